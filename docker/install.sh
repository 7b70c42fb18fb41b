#!/usr/bin/env bash
# Installs estil's teaching kit: Jupyter, GoNB (the Go kernel) registered with Jupyter, the estil
# command, and a warm Go build cache so that the notebooks' first cells compile quickly.
#
# The Docker image (docker/Dockerfile) runs this script at build time, and CI (.ci/run) runs it
# with --offline, so that CI exercises the image's install steps.
#
#   docker/install.sh [--offline] [--no-gpu-plugin] [--bin DIR]
#
#   --offline        skip what needs the internet beyond Debian/Ubuntu's apt and Go's module
#                    proxy: downloading Go itself, JupyterLab from PyPI, XLA's PJRT plugins.
#   --no-gpu-plugin  skip the XLA PJRT plugins (CPU and CUDA); GoMLX then uses its pure-Go backend.
#   --bin DIR        where the estil command goes (default: /usr/local/bin).
set -euo pipefail

# The jupyterhub package beside JupyterLab gives the image jupyterhub-singleuser, which must match
# the hub's version: quay.io/jupyterhub/jupyterhub:5.5.0 (docker/classroom/hub.Dockerfile) and the
# Zero to JupyterHub chart 4.4.0 ("4.4.0 upgrades JupyterHub to 5.5.0": its docs/source/changelog.md).
JUPYTERHUB_VERSION=5.5.0

offline=0
gpu_plugin=1
bin=/usr/local/bin
while [ $# -gt 0 ]; do
	case "$1" in
	--offline) offline=1 ;;
	--no-gpu-plugin) gpu_plugin=0 ;;
	--bin) bin="$2"; shift ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
step() { echo "== install.sh: $*"; }

# 1. System packages. Only the missing ones are installed, so that a machine that has them all
# (as CI's) needs no package index.
step "system packages"
want=(ca-certificates curl git gcc libc6-dev jupyter-notebook jupyter-nbconvert python3-ipykernel python3-venv)
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

if [ $offline = 1 ]; then
	step "--offline: skipping JupyterLab (PyPI) and the XLA PJRT plugins"
	exit 0
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
