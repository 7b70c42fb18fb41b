# JupyterHub for estil's classroom on one school server without Docker.
#
# What it runs: Debian's JupyterHub (3.0), students logging in with their system accounts (PAM),
# each student's server started as that student by the default LocalProcessSpawner through
# estil-session (docker/install.sh --system), which copies the course notebooks into ~/estil/ on
# the first login and, when the server stops, ends the kernels and transfers it leaves behind.
#
# Set it up with `sudo docker/install.sh --classroom roster.txt` (which creates the users and
# starts this as the service estil-hub). Settings come from the environment (install.sh writes
# them to /etc/estil/hub.env):
#
#   ESTIL_PREFIX          the system install (default /opt/estil)
#   ESTIL_HUB_ROSTER      the roster (default /etc/estil/roster.txt; format: roster.example.txt)
#   ESTIL_HUB_STATE       the hub's database, cookie secret and proxy pid (default /var/lib/estil-hub)
#   ESTIL_HUB_IP, ESTIL_HUB_PORT       where students connect (default all addresses, port 8000)
#   ESTIL_HUB_API_PORT, ESTIL_HUB_INTERNAL_PORT   the proxy's API and the hub's own port
#                                       (defaults 8001, 8081: only for running two hubs at once)
#   ESTIL_LANG            en or ca: the notebooks students get (default en)
#   ESTIL_NOTEBOOK_TINY   passed on to the students' kernels (tiny pictures: demos and tests)
#
# Limits. LocalProcessSpawner does NOT enforce mem_limit or cpu_limit (JupyterHub's own
# documentation says so): they are set below only so that the hub shows them and passes them to
# the servers as MEM_LIMIT and CPU_LIMIT. What does hold on this set-up is GOMAXPROCS=2 (a Go
# program, so every notebook cell and transfer, uses at most 2 cores at a time) and GOMEMLIMIT
# (Go's garbage collector works harder near it; it is a target, not a wall). For limits that the
# kernel enforces, use the Docker set-up (docker/classroom/compose.yaml) or Kubernetes
# (docker/classroom/values.yaml).
#
# Idle culling uses what jupyter_server itself has: a kernel idle for 30 minutes is shut down, and a
# server with no kernel and no activity for an hour stops itself (jupyterhub-idle-culler is not in
# Debian).

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
prefix = os.environ.get("ESTIL_PREFIX", "/opt/estil")
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(prefix, "src", "docker", "classroom"))
import roster  # noqa: E402  (roster.py, beside this file or in the install)

c = get_config()  # noqa: F821  (JupyterHub's config loader defines it)

# Debian's configurable-http-proxy finds its Node modules through Debian's own node, which
# searches /usr/share/nodejs; another build of node (NodeSource's, as on estil's CI machines)
# needs them on NODE_PATH. The proxy inherits the hub's environment.
if os.path.isdir("/usr/share/nodejs"):
    os.environ["NODE_PATH"] = os.pathsep.join(p for p in (os.environ.get("NODE_PATH"), "/usr/share/nodejs") if p)

state = os.environ.get("ESTIL_HUB_STATE", "/var/lib/estil-hub")
os.makedirs(state, mode=0o700, exist_ok=True)
admin, students = roster.read_roster(os.environ.get("ESTIL_HUB_ROSTER", "/etc/estil/roster.txt"))

c.JupyterHub.ip = os.environ.get("ESTIL_HUB_IP", "")
c.JupyterHub.port = int(os.environ.get("ESTIL_HUB_PORT", "8000"))
c.JupyterHub.hub_port = int(os.environ.get("ESTIL_HUB_INTERNAL_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%s" % os.environ.get("ESTIL_HUB_API_PORT", "8001")
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "jupyterhub-proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")

# Students and the teacher: system accounts (install.sh --classroom creates them), checked by PAM.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(students) | {admin}
c.Authenticator.admin_users = {admin}
c.JupyterHub.admin_access = False  # the teacher manages servers, but cannot open a student's

# Each student's server: the default LocalProcessSpawner, as the student, through estil-session.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(prefix, "bin", "estil-session"), "jupyterhub-singleuser"]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/tree/estil"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.mem_limit = "2G"  # shown and exported as MEM_LIMIT; NOT enforced by this spawner
c.Spawner.cpu_limit = 2  # likewise (CPU_LIMIT)
c.Spawner.environment = {
    "ESTIL_ROOT": os.path.join(prefix, "src"),
    "ESTIL_LANG": os.environ.get("ESTIL_LANG", "en"),
    "ESTIL_CACHE_DIR": os.path.join(prefix, "weights"),
    "JUPYTER_PATH": os.path.join(prefix, "share", "jupyter"),
    "GOMLX_NO_AUTO_INSTALL": "1",
    "GOMAXPROCS": "2",
    "GOMEMLIMIT": "1800MiB",
}
if os.environ.get("ESTIL_NOTEBOOK_TINY"):
    c.Spawner.environment["ESTIL_NOTEBOOK_TINY"] = os.environ["ESTIL_NOTEBOOK_TINY"]
c.Spawner.args = [
    "--MappingKernelManager.cull_idle_timeout=1800",
    "--MappingKernelManager.cull_interval=120",
    "--ServerApp.shutdown_no_activity_timeout=3600",
]
