"""A class's roster (the format is described at the top of roster.example.txt).

The hubs' configurations import it: jupyterhub_config_docker.py (the Docker host) and values.yaml's
hub.extraConfig (Zero to JupyterHub, which mounts this file and the roster with helm --set-file).

    python3 docker/classroom/roster.py ROSTER

prints the roster as JSON ({"admin": ..., "students": [...]}), or says on which line it is wrong
and exits with 1.
"""

import json
import re
import sys

# What useradd accepts on the school server without Docker, and what JupyterHub keeps as it is
# (it lowercases names): a lowercase letter or _, then lowercase letters, digits, _ or -.
NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


class RosterError(ValueError):
    pass


def read_roster(path):
    """Returns (admin, students): the teacher's name and the students' names in roster order."""
    admin = None
    students = []
    seen = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            where = f"{path}:{number}"
            is_admin = False
            if text.startswith("admin:"):
                is_admin = True
                text = text[len("admin:") :].strip()
            if not NAME.fullmatch(text):
                raise RosterError(
                    f"{where}: {text!r} is not a username (1 to 32 characters: a lowercase letter "
                    "or _ first, then lowercase letters, digits, _ or -)"
                )
            if text in seen:
                raise RosterError(f"{where}: {text!r} is already listed on line {seen[text]}")
            seen[text] = number
            if is_admin:
                if admin is not None:
                    raise RosterError(
                        f"{where}: a second admin line ({text!r}); the teacher is {admin!r}"
                    )
                admin = text
            else:
                students.append(text)
    if admin is None:
        raise RosterError(f"{path}: no 'admin: NAME' line names the teacher")
    return admin, students


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: roster.py ROSTER")
    try:
        admin, students = read_roster(sys.argv[1])
    except (OSError, RosterError) as e:
        print(f"roster.py: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"admin": admin, "students": students}))
