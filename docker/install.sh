#!/usr/bin/env bash
# Installs estil's teaching kit: Jupyter, GoNB (the Go kernel) registered with Jupyter, the estil
# command, and a warm Go build cache so that the notebooks' first cells compile quickly.
#
# The Docker image (docker/Dockerfile) runs it with --system at build time, and CI (.ci/run) runs
# it with --offline and with --system --offline, so that CI exercises the image's install steps.
#
#   docker/install.sh [--offline] [--no-gpu-plugin] [--bin DIR]         for one user
#   docker/install.sh --system [--prefix P] [--offline] [--no-gpu-plugin]
#   docker/install.sh --classroom ROSTER [--lang en|ca] [--prefix P] [--offline] [--no-gpu-plugin]
#
#   (no mode)        for whoever runs it: GoNB's kernel in that user's Jupyter folder, Go's caches
#                    in that user's home (as root: root's, which other users cannot read).
#   --system         for every user of the machine, and tamper-proof: everything under P
#                    (default /opt/estil), owned by root, readable by all, writable by none of them.
#                      P/src          estil's module (the notebooks' setup cell finds it: ESTIL_ROOT)
#                                    (less notebooks/teacher: the answers and solutions)
#                      P/go/pkg/mod   Go's module cache; the kernel runs with GOPROXY=off
#                      P/gocache      a warm Go build cache, copied into each user's own cache by
#                                     their first kernel (a cache another user can write would be
#                                     code that runs in your kernel)
#                      P/bin          estil, estil-session, gonb, goimports, gonb-kernel
#                      P/share/jupyter/kernels/gonb   the GoNB kernel spec (JUPYTER_PATH)
#                      P/weights      the VGG19 weights (ESTIL_CACHE_DIR), filled once by the
#                                     teacher: sudo ESTIL_CACHE_DIR=P/weights P/bin/estil weights
#                    With the default P, the kernel spec is linked into /usr/local/share/jupyter and
#                    estil into /usr/local/bin.
#   --classroom R    --system, then a JupyterHub for a class on this server (Debian's jupyterhub;
#                    docker/classroom/jupyterhub_config.py): one system user per student of the
#                    roster file R, created with a random password written to
#                    /etc/estil/passwords.txt (root only), the teacher as admin, and a systemd
#                    service estil-hub where systemd runs. See README, "In a classroom".
#   --lang en|ca     the notebooks students get (default en).
#   --offline        skip what needs the internet beyond Debian/Ubuntu's apt and Go's module
#                    proxy: downloading Go itself, JupyterLab from PyPI, XLA's PJRT plugins.
#   --no-gpu-plugin  skip the XLA PJRT plugins (CPU and CUDA); GoMLX then uses its pure-Go backend.
#   --bin DIR        for one user: where the estil command goes (default: /usr/local/bin).
set -euo pipefail

# The jupyterhub package beside JupyterLab gives the image jupyterhub-singleuser, which must match
# the hub's version: quay.io/jupyterhub/jupyterhub:5.5.0 (docker/classroom/hub.Dockerfile) and the
# Zero to JupyterHub chart 4.4.0 ("4.4.0 upgrades JupyterHub to 5.5.0": its docs/source/changelog.md).
JUPYTERHUB_VERSION=5.5.0

offline=0
gpu_plugin=1
bin=/usr/local/bin
mode=user
prefix=/opt/estil
roster=""
lang=en
while [ $# -gt 0 ]; do
	case "$1" in
	--offline) offline=1 ;;
	--no-gpu-plugin) gpu_plugin=0 ;;
	--bin) bin="$2"; shift ;;
	--system) [ $mode = classroom ] || mode=system ;;
	--classroom) mode=classroom; roster="${2:?--classroom needs a roster file}"; shift ;;
	--prefix) prefix="${2:?--prefix needs a folder}"; shift ;;
	--lang) lang="${2:-}"; shift ;;
	-h | --help) sed -n '2,45p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$lang" in en | ca) ;; *) echo "install.sh: --lang must be en or ca, got '$lang'" >&2; exit 2 ;; esac
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be an absolute path, got '$prefix'" >&2; exit 2 ;; esac
if [ $mode != user ] && [ "$(id -u)" != 0 ]; then
	echo "install.sh: --$mode installs for every user: run it as root (sudo)" >&2
	exit 1
fi
if [ -n "$roster" ]; then
	[ -r "$roster" ] || { echo "install.sh: cannot read the roster file '$roster'" >&2; exit 1; }
	roster="$(cd "$(dirname "$roster")" && pwd)/$(basename "$roster")"
	# A mistake in the roster is said now, before the minutes of the install.
	python3 "$(dirname "$0")/classroom/roster.py" "$roster" >/dev/null || exit 1
fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
step() { echo "== install.sh: $*"; }

# finish_online: steps 6 and 7, which need more than apt and Go's module proxy.
finish_online() {
	if [ $offline = 1 ]; then
		step "--offline: skipping JupyterLab (PyPI) and the XLA PJRT plugins"
		step "done"
		return
	fi
	# 6. JupyterLab, from PyPI into its own virtual environment (Ubuntu's Python refuses pip
	# installs into the system), seeing the system's packages and the kernels registered above.
	step "JupyterLab"
	python3 -m venv --system-site-packages /opt/jupyterlab
	/opt/jupyterlab/bin/pip install --no-cache-dir jupyterlab "jupyterhub==$JUPYTERHUB_VERSION"
	ln -sf /opt/jupyterlab/bin/jupyter /opt/jupyterlab/bin/jupyter-lab "$bin/"

	# 7. XLA's PJRT plugins: CPU, and CUDA with NVIDIA's libraries (used when a GPU is present).
	if [ $gpu_plugin = 1 ]; then
		step "XLA PJRT plugins (CPU and CUDA) into /usr/local/lib/go-xla"
		go run ./docker/pjrt -dir /usr/local/lib
	fi
	step "done"
}

# kernel_env prints the environment of the system-wide GoNB kernel, one NAME=VALUE a line: the
# same for the install's own builds below (so that their cache entries are the ones a notebook
# cell looks up) and for every cell.
kernel_env() {
	cat <<ENV
PATH=$prefix/bin:$(go env GOROOT)/bin:/usr/local/bin:/usr/bin:/bin
GOROOT=$(go env GOROOT)
GOTOOLCHAIN=local
GOEXPERIMENT=simd
GOPROXY=off
GOSUMDB=off
GOTELEMETRY=off
GOMODCACHE=$prefix/go/pkg/mod
GOPATH=$prefix/go
ESTIL_ROOT=$prefix/src
ESTIL_CACHE_DIR=$prefix/weights
GOMLX_NO_AUTO_INSTALL=1
ENV
}

# install_system lays out the install for every user under $prefix (see --help).
install_system() {
	umask 022
	step "--system: estil's module into $prefix/src"
	mkdir -p "$prefix"
	rm -rf "$prefix/src.new"
	mkdir -p "$prefix/src.new"
	# The checkout as git knows it when there is one (no build outputs), else the folder less .git.
	if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$repo" ls-files -z --cached --others --exclude-standard | (cd "$repo" && xargs -0 tar -cf - --no-recursion) | tar -C "$prefix/src.new" -xf -
	else
		tar -C "$repo" --exclude=.git -cf - . | tar -C "$prefix/src.new" -xf -
	fi
	# Students can read everything in src: leave out the teacher's copies of the notebooks and the
	# exercises' solutions (notebooks/teacher), and the generator that needs them.
	rm -rf "$prefix/src.new/notebooks/teacher" "$prefix/src.new/notebooks/internal/nbgen" "$prefix/src.new/notebooks/gen"
	rm -rf "$prefix/src" && mv "$prefix/src.new" "$prefix/src"

	# The module cache, filled from this machine's own cache where it has the modules (so that CI
	# and a re-install need no network), else from the module proxy.
	step "--system: Go's module cache into $prefix/go/pkg/mod"
	local user_cache proxy
	user_cache="$(go env GOMODCACHE)"
	proxy="$(go env GOPROXY)"
	[ -d "$user_cache/cache/download" ] && proxy="file://$user_cache/cache/download,$proxy"
	mkdir -p "$prefix/bin" "$prefix/weights" "$prefix/share/jupyter/kernels"
	(
		cd "$prefix/src"
		while IFS= read -r kv; do export "${kv?}"; done < <(kernel_env)
		export GOPROXY="$proxy" GOCACHE="$prefix/gocache"
		go mod download
		step "--system: gonb, goimports, estil and estil-session into $prefix/bin"
		GOBIN="$prefix/bin" go install tool
		go build -o "$prefix/bin/estil" ./cmd/estil
		go build -o "$prefix/bin/estil-session" ./cmd/estil-session
		# 5. Compile what the notebooks import, from $prefix/src with the kernel's environment:
		# Go keys its cache on the source folder, so these are the entries a cell looks up.
		step "--system: warm the build cache $prefix/gocache"
		go build ./...
		go build -o /dev/null github.com/janpfeifer/gonb/gonbui/widgets
	)

	# gonb-kernel: GoNB with a build cache of the user's own, a copy of the warm one on first use.
	step "--system: GoNB's kernel spec into $prefix/share/jupyter/kernels/gonb"
	cat >"$prefix/bin/gonb-kernel" <<SH
#!/bin/sh
# GoNB for one user of estil's system-wide install ($prefix). Go needs a build cache it can write,
# and one shared with other users would be code that runs in your kernel: each user gets their own,
# a copy of the warm $prefix/gocache made by their first kernel (a few seconds, once).
set -e
cache="\${XDG_CACHE_HOME:-\$HOME/.cache}/estil/go-build"
if [ ! -f "\$cache/README" ]; then
	mkdir -p "\${cache%/*}"
	tmp="\$(mktemp -d "\$cache.XXXXXX")"
	cp -R "$prefix/gocache/." "\$tmp/"
	mv -T "\$tmp" "\$cache" 2>/dev/null || rm -rf "\$tmp" # another kernel made it first
fi
export GOCACHE="\$cache"
exec "$prefix/bin/gonb" "\$@"
SH
	chmod 755 "$prefix/bin/gonb-kernel"
	local tmpdata
	tmpdata="$(mktemp -d)"
	PATH="$prefix/bin:$PATH" JUPYTER_DATA_DIR="$tmpdata" "$prefix/bin/gonb" --install --force_deps >/dev/null 2>&1
	rm -rf "$prefix/share/jupyter/kernels/gonb"
	cp -R "$tmpdata/kernels/gonb" "$prefix/share/jupyter/kernels/gonb"
	rm -rf "$tmpdata"
	python3 - "$prefix/share/jupyter/kernels/gonb/kernel.json" "$prefix/bin/gonb-kernel" "$(kernel_env)" <<'PY'
import json, sys
path, kernel, env = sys.argv[1:4]
with open(path) as f:
    spec = json.load(f)
spec["argv"][0] = kernel  # gonb-kernel execs gonb with these arguments
spec["env"] = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
PY

	# Readable by all, writable by root alone.
	chown -R 0:0 "$prefix"
	chmod -R a+rX,go-w "$prefix"
	if [ "$prefix" = /opt/estil ]; then
		mkdir -p /usr/local/share/jupyter/kernels
		ln -sfn "$prefix/share/jupyter/kernels/gonb" /usr/local/share/jupyter/kernels/gonb
		ln -sf "$prefix/bin/estil" /usr/local/bin/estil
	fi
	echo "installed for every user under $prefix; the weights: sudo ESTIL_CACHE_DIR=$prefix/weights $prefix/bin/estil weights"
}

# install_classroom sets up JupyterHub for the roster (see --help and docker/classroom/).
install_classroom() {
	step "--classroom: students and teacher from $roster"
	local etc=/etc/estil state=/var/lib/estil-hub
	mkdir -p "$etc" "$state"
	chmod 700 "$state"
	install -m 644 "$roster" "$etc/roster.txt"
	touch "$etc/passwords.txt"
	chmod 600 "$etc/passwords.txt"
	local name names
	names="$(python3 "$repo/docker/classroom/roster.py" "$etc/roster.txt" |
		python3 -c 'import json, sys; r = json.load(sys.stdin); print("\n".join([r["admin"]] + r["students"]))')"
	while read -r name; do
		if id -u "$name" >/dev/null 2>&1; then
			echo "user $name exists: left as it is"
			continue
		fi
		useradd --create-home --shell /bin/bash "$name"
		chmod 700 "$(getent passwd "$name" | cut -d: -f6)" # Debian's homes are readable by all
		local password
		password="$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | cut -c1-12)"
		echo "$name:$password" | chpasswd
		echo "$name $password" >>"$etc/passwords.txt"
		echo "created user $name"
	done <<<"$names"
	cat >"$etc/hub.env" <<ENV
ESTIL_PREFIX=$prefix
ESTIL_LANG=$lang
ESTIL_HUB_ROSTER=$etc/roster.txt
ESTIL_HUB_STATE=$state
ENV
	install -m 644 "$repo/docker/classroom/jupyterhub_config.py" "$etc/jupyterhub_config.py"
	local start="jupyterhub -f $etc/jupyterhub_config.py"
	if [ -d /run/systemd/system ]; then
		cat >/etc/systemd/system/estil-hub.service <<UNIT
[Unit]
Description=JupyterHub for estil's classroom
After=network-online.target

[Service]
EnvironmentFile=$etc/hub.env
WorkingDirectory=$state
ExecStart=/usr/bin/$start
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
		systemctl daemon-reload
		systemctl enable --now estil-hub
		echo "JupyterHub runs as the service estil-hub on port 8000; passwords of new users: $etc/passwords.txt"
	else
		echo "no systemd here: start the hub with: (set -a; . $etc/hub.env; cd $state; $start)"
		echo "passwords of new users: $etc/passwords.txt"
	fi
}

# 1. System packages. Only the missing ones are installed, so that a machine that has them all
# (as CI's) needs no package index.
step "system packages"
want=(ca-certificates curl git gcc libc6-dev jupyter-notebook jupyter-nbconvert python3-ipykernel python3-venv)
[ $mode = classroom ] && want+=(jupyterhub)
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
else
	echo "all present: ${want[*]}"
fi

# 2. Go, at the version go.mod asks for.
go_version="$(awk '/^go [0-9]/ {print $2}' go.mod)"
if ! command -v go >/dev/null || [ "$(go env GOVERSION)" != "go$go_version" ]; then
	if [ $offline = 1 ]; then
		echo "install.sh: Go $go_version is needed (found: $(command -v go >/dev/null && go env GOVERSION || echo none)) and --offline forbids downloading it" >&2
		exit 1
	fi
	step "Go $go_version"
	arch="$(dpkg --print-architecture)"
	curl -fsSL "https://go.dev/dl/go${go_version}.linux-${arch}.tar.gz" -o /tmp/go.tar.gz
	rm -rf /usr/local/go && tar -C /usr/local -xzf /tmp/go.tar.gz && rm /tmp/go.tar.gz
	export PATH="/usr/local/go/bin:$PATH"
fi
export GOTOOLCHAIN=local
# GoMLX's Go backend multiplies matrices with AVX-512/AVX2 only in a GOEXPERIMENT=simd build
# (about 7x faster on estil's convolutions); every Go build below, and the notebooks', uses it.
export GOEXPERIMENT=simd
gobin="$(go env GOBIN)"
gobin="${gobin:-$(go env GOPATH)/bin}"
export PATH="$gobin:$PATH"

if [ $mode != user ]; then
	install_system
	[ $mode = classroom ] && install_classroom
	finish_online
	exit 0
fi

# 3. GoNB and goimports, at the versions pinned as tools in go.mod, then GoNB's kernel.
# (`go tool gonb --install` would register a temporary binary: install it first.) gopls, which
# GoNB uses only for auto-completion, is left out: recent versions need a newer Go than go.mod's.
step "GoNB and goimports (go install tool) into $gobin"
go install tool
step "register GoNB's Jupyter kernel"
"$gobin/gonb" --install --force_deps
# The kernel compiles each notebook cell with `go`: give it GOEXPERIMENT=simd in its kernel.json,
# so that notebooks are fast however Jupyter was started.
kernel_json="$(jupyter --data-dir)/kernels/gonb/kernel.json"
python3 - "$kernel_json" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    spec = json.load(f)
spec.setdefault("env", {})["GOEXPERIMENT"] = "simd"
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
PY
echo "GOEXPERIMENT=simd set in $kernel_json"

# 4. The estil command.
step "estil into $bin"
mkdir -p "$bin"
go build -o "$bin/estil" ./cmd/estil

# 5. Compile what the notebooks import, so that their first cell does not compile GoMLX.
step "warm the Go build cache"
go build ./...
go build -o /dev/null github.com/janpfeifer/gonb/gonbui/widgets

finish_online
