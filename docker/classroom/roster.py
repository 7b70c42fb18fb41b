"""The class roster: who may log in to the hub, and who is its admin (the teacher).

A roster is a text file, one user name a line:

    # 2n de batxillerat, grup B       <- comments and blank lines are ignored
    admin: mgarcia                    <- the teacher (admin); one or more such lines
    anna
    pau

Names are system user names (lower case letters, digits, '-' and '_', starting with a letter
or '_', at most 32 characters), so that the same roster serves a server with one system user a
student (install.sh --classroom) and a Docker host (DockerSpawner).

Both hub configurations import this module; `python3 roster.py FILE` prints every name, the
admins first, one a line, for install.sh.
"""

import re
import sys

NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


class RosterError(ValueError):
    pass


def read(path):
    """Returns (students, admins) of the roster file at path, each a list in file order."""
    students, admins = [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            admin = line.lower().startswith("admin:")
            name = line.split(":", 1)[1].strip() if admin else line
            if not NAME.match(name):
                raise RosterError(f"{path}:{number}: {name!r} is not a user name "
                                  "(lower-case letters, digits, - and _, starting with a letter)")
            if name in students or name in admins:
                raise RosterError(f"{path}:{number}: {name!r} is listed twice")
            (admins if admin else students).append(name)
    if not admins:
        raise RosterError(f"{path}: no teacher: add a line 'admin: NAME'")
    return students, admins


if __name__ == "__main__":
    try:
        students, admins = read(sys.argv[1])
    except (OSError, RosterError, IndexError) as e:
        print(f"roster: {e}", file=sys.stderr)
        sys.exit(1)
    print("\n".join(admins + students))
