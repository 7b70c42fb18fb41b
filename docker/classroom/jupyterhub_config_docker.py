# JupyterHub's configuration for a classroom on one Docker host (docker/classroom/compose.yaml
# mounts it, with roster.py and the roster, into the hub's container at /srv/jupyterhub).
#
# Each student listed in roster.txt logs in (setting a password on the first login), and gets
# their own container of estil's image, with 2 CPUs and 2 GB at most, their home in a volume of
# their own and the VGG19 weights read-only. A server idle for an hour is stopped.
#
# docker/classroom_test.go reads the one-line `c.DockerSpawner.X = ...` assignments below and
# checks them against docker/Dockerfile, compose.yaml and values.yaml: keep each on one line.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from roster import read_roster  # noqa: E402

c = get_config()  # noqa: F821

# Students' servers: containers of the image compose.yaml builds from docker/Dockerfile. Its
# ENTRYPOINT, estil-session, copies the notebooks into ~/estil/ and runs the command below (at
# the hub's version: JUPYTERHUB_VERSION in docker/install.sh), and ends what a stopped server
# leaves behind. The image is built here, never pulled.
c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = "estil:classroom"
c.DockerSpawner.pull_policy = "never"
c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
c.DockerSpawner.notebook_dir = "/home/jovyan"
c.DockerSpawner.default_url = "/lab/tree/estil"
c.DockerSpawner.environment = {"ESTIL_LANG": os.environ.get("ESTIL_LANG", "en")}

# A container is removed when its server stops; the home volume stays.
c.DockerSpawner.remove = True

# Limits, enforced by Docker (cgroups): 2 GB of memory (a 256 px transfer peaks at about 1.4 GB,
# a notebook at about 0.7 GB), and no swap beyond it (memswap_limit below: Docker's default would
# add as much swap again), 2 CPUs (Go sizes GOMAXPROCS, and GoMLX its workers, from the quota).
c.DockerSpawner.mem_limit = "2G"
c.DockerSpawner.cpu_limit = 2
# Guarantees: DockerSpawner only passes these to the server (MEM_GUARANTEE, CPU_GUARANTEE).
# Docker gets the memory one from extra_host_config: mem_reservation, a soft limit that Docker
# reclaims a container down to when the host runs short of memory. For CPU, Docker gives every
# container the same weight by default (cpu_shares 1024), so when all cores are busy the students
# share them equally: 1 CPU each holds while the host has a core per running student. Neither
# reserves anything: size the host for the class (README, "In a classroom").
c.DockerSpawner.mem_guarantee = "1G"
c.DockerSpawner.cpu_guarantee = 1
c.DockerSpawner.extra_host_config = {"mem_reservation": "1G", "memswap_limit": "2G"}

# One home volume per student, created on the first start from the image's /home/jovyan (owned
# by jovyan), kept across servers, and the weights, read-only, from the volume compose.yaml's
# `weights` one-shot filled.
c.DockerSpawner.volumes = {"estil-home-{username}": "/home/jovyan"}
c.DockerSpawner.read_only_volumes = {"estil-weights": "/opt/estil/weights"}

# The students' containers join compose.yaml's network and reach the hub by its container name.
c.DockerSpawner.network_name = "estil-classroom"
c.DockerSpawner.use_internal_ip = True
c.JupyterHub.hub_ip = "0.0.0.0"
c.JupyterHub.hub_connect_ip = "estil-hub"
c.JupyterHub.hub_port = 8081

# The hub's state (database, cookie secret, passwords) on its own volume.
c.JupyterHub.db_url = "sqlite:////data/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/data/jupyterhub_cookie_secret"

# Who may log in: the roster's students, and the teacher as admin. Each sets a password on their
# first login; to reset a student's password, the teacher deletes the user in the admin panel
# (the home volume stays) and adds them again. The hub keeps the users it has seen in its
# database: a student taken off the roster is also deleted in the admin panel.
admin, students = read_roster(os.environ.get("ESTIL_ROSTER", "/srv/jupyterhub/roster.txt"))
c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
c.FirstUseAuthenticator.dbm_path = "/data/passwords.dbm"
c.FirstUseAuthenticator.create_users = False
c.Authenticator.allowed_users = set(students)
c.Authenticator.admin_users = {admin}

# Stop servers idle for an hour (jupyterhub-idle-culler, as a service of the hub, with only the
# permissions it needs).
c.JupyterHub.load_roles = [
    {
        "name": "jupyterhub-idle-culler-role",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["jupyterhub-idle-culler-service"],
    }
]
c.JupyterHub.services = [
    {
        "name": "jupyterhub-idle-culler-service",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600", "--cull-every=600"],
    }
]
