# The hub of a classroom on one Docker host (docker/classroom/compose.yaml builds it): JupyterHub
# with DockerSpawner, which starts each student's server in a container of estil's image
# (docker/Dockerfile), the idle culler and a login fit for a class. Every version is pinned and
# agrees with the others; docker/classroom_test.go checks the hub's version against install.sh's
# JUPYTERHUB_VERSION (the students' jupyterhub-singleuser) and values.yaml's chart.
#
# - quay.io/jupyterhub/jupyterhub:5.5.0: JupyterHub's official hub image, built by
#   github.com/jupyterhub/jupyterhub-container-images (base/Dockerfile: Ubuntu 24.04, a venv in
#   /srv/venv, jupyterhub from base/requirements.txt, which pins jupyterhub==5.5.0 since commit
#   0f77e7e "base: refreeze requirements.txt", 2026-06-18). JupyterHub 5.5.0 was released
#   2026-06-10 (jupyterhub's docs/source/reference/changelog.md). The tag 5.5.0 is rebuilt with
#   security updates; 5.5.0-N (a build number) never changes, if you need that.
# - dockerspawner 14.0.0 (PyPI; tag 14.0.0 of github.com/jupyterhub/dockerspawner, 2025-02-12,
#   the latest release): requires jupyterhub>=4 (its requirements.txt), so JupyterHub 5 is
#   supported (jupyterhub-deploy-docker's basic example, which its CI tests weekly with
#   `docker compose up`, installs the latest dockerspawner on quay.io/jupyterhub/jupyterhub:latest).
# - jupyterhub-idle-culler 1.4.0 and jupyterhub-firstuseauthenticator 1.1.1: the versions Zero to
#   JupyterHub 4.4.0 ships in its own hub image with JupyterHub 5.5.0
#   (zero-to-jupyterhub-k8s, tag 4.4.0, images/hub/requirements.txt), so both set-ups run the
#   same culler and login. (idle-culler 2.0.0 replaced its command-line options with traitlets;
#   1.4.0's --timeout is what compose and the chart both use.)
#
# jupyterhub==5.5.0 is repeated in the pip line so that nothing pip resolves can move it.
FROM quay.io/jupyterhub/jupyterhub:5.5.0

RUN python3 -m pip install --no-cache-dir \
    jupyterhub==5.5.0 \
    dockerspawner==14.0.0 \
    jupyterhub-idle-culler==1.4.0 \
    jupyterhub-firstuseauthenticator==1.1.1

CMD ["jupyterhub", "-f", "/srv/jupyterhub/jupyterhub_config.py"]
