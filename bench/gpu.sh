#!/usr/bin/env bash
# estil vs PyTorch on a CUDA GPU, in one call, with prebuilt binaries (Go need not be installed).
#
#   here:            bash bench/build_gpu_bundle.sh            # → bench/bin/estil, bench/bin/nst.test
#   on the GPU host: OUT=/some/dir bash bench/gpu.sh           # carry bench/bin along
#
# Steps (each under its own time limit; a failing step is logged and the next one runs):
#   0. the machine: nvidia-smi, python, torch, jax's CUDA PJRT plugin and NVIDIA's libraries;
#   1. the XLA equality test (bench/bin/nst.test -test.run XLA): the Go backend vs XLA, same features;
#   2. estil bench at 512 and 1024 px, estil on XLA CUDA, PyTorch on cuda, 10 evaluations, no
#      float64 control run, to fit the device time (if
#      estil's backend fails to load, PyTorch alone: estil bench --no-estil);
#   3. the same at 512 px with TF32 matrix products in estil (go-xla's "tf32" option);
#   4. estil stylize --scales 256,512,1024,2048 (random weights): one 2048 px picture, time and
#      memory per scale.
# Everything lands in $OUT: logs (PJRT loading errors verbatim), JSON, nvidia-smi samples every
# 0.5 s (GPU memory: estil's device memory shows only there), summary.txt.
#
# Options (environment): OUT (default ./gpu-out), PYTHON (default: python3 on PATH), EVALS (10),
# SIZES ("512,1024"), STEPS ("0 1 2 3 4"), SCALE_ITERS (20).
#
# go-xla v0.4.1 (GoMLX v0.28) takes options after the plugin, comma-separated: the backend is
# "xla:/abs/plugin.so,preallocate=false,tf32=false". tf32 now defaults to true, which would make
# estil's float32 matrix products TF32 while PyTorch's stay float32 (and the losses differ by
# ~1e-3 instead of ~1e-6): steps 1 and 2 turn it off, step 3 on. preallocate=false (the default for
# plugins whose name says cuda; set explicitly since the plugin is given by path) keeps XLA from
# reserving 75 % of the GPU's memory up front, so nvidia-smi shows what estil really uses.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-out}
PYTHON=${PYTHON:-$(command -v python3 || command -v python)}
EVALS=${EVALS:-10}
SIZES=${SIZES:-512,1024}
STEPS=${STEPS:-0 1 2 3 4}
SCALE_ITERS=${SCALE_ITERS:-20}
mkdir -p "$OUT"
export GOMLX_NO_AUTO_INSTALL=1 # no network there: never try to download a plugin
BIN=$PWD/bench/bin
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
step() { # step NAME SECONDS CMD...: run with a time limit, log to $OUT/NAME.log, record the exit code
	local name=$1 limit=$2
	shift 2
	say "== $name ($(date -u +%H:%M:%S), limit ${limit}s): $*"
	timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
	local rc=$?
	say "   exit $rc$([ $rc = 124 ] && echo ' (timed out)')"
	tail -n 25 "$OUT/$name.log" | sed 's/^/   | /' >>"$SUMMARY"
	return $rc
}

for b in estil nst.test; do
	if [ ! -x "$BIN/$b" ]; then
		say "missing $BIN/$b: run bash bench/build_gpu_bundle.sh first and carry bench/bin"
		exit 2
	fi
done

# GPU memory, sampled for the whole run.
if command -v nvidia-smi >/dev/null; then
	nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv -lms 500 >"$OUT/nvidia-smi.csv" 2>&1 &
	SMI=$!
	trap 'kill $SMI 2>/dev/null' EXIT
fi

# Where jax keeps its CUDA PJRT plugin, and NVIDIA's libraries (site-packages/nvidia).
PLUGIN_DIR=$("$PYTHON" -c 'import jax_plugins.xla_cuda13, os; print(os.path.dirname(jax_plugins.xla_cuda13.__file__))' 2>"$OUT/plugin-find.err")
PLUGIN=$(ls "$PLUGIN_DIR"/*.so 2>/dev/null | head -1)
SITE=$(dirname "$(dirname "$PLUGIN_DIR")")
# ptxas and libdevice for XLA's GPU compiler: from the nvidia-* wheels next to the plugin.
PTXAS=$(find "$SITE/nvidia" -name ptxas -type f 2>/dev/null | head -1)
LIBDEVICE=$(find "$SITE/nvidia" -name 'libdevice*.bc' 2>/dev/null | head -1)
[ -n "$PTXAS" ] && export PATH="$(dirname "$PTXAS"):$PATH"
if [ -n "$LIBDEVICE" ]; then # …/X/nvvm/libdevice/libdevice.10.bc → --xla_gpu_cuda_data_dir=…/X
	export XLA_FLAGS="${XLA_FLAGS:-} --xla_gpu_cuda_data_dir=$(dirname "$(dirname "$(dirname "$LIBDEVICE")")")"
fi
# go-xla's own CUDA path guess (../nvidia next to the plugin) does not fit jax's layout: off.
export GOPJRT_CUDA_CHECKS=0
# The plugin is loaded in place (its RPATH finds site-packages/nvidia); the test looks it up by
# the name "cuda", which needs a file called pjrt_c_api_cuda_plugin.so: a link to it.
LINKS=$(mktemp -d)
[ -n "$PLUGIN" ] && ln -s "$PLUGIN" "$LINKS/pjrt_c_api_cuda_plugin.so"
export PJRT_PLUGIN_LIBRARY_PATH=$LINKS
BACKEND="xla:$PLUGIN,preallocate=false,tf32=false"
BACKEND_TF32="xla:$PLUGIN,preallocate=false,tf32=true"

if [[ " $STEPS " == *" 0 "* ]]; then
	{
		date -u
		nvidia-smi
		echo "python: $PYTHON"
		"$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else "")'
		"$PYTHON" -c 'import torchvision; print("torchvision", torchvision.__version__)' || echo "no torchvision: the script builds the same network itself"
		"$PYTHON" -m pip list 2>/dev/null | grep -iE '^(jax|jaxlib|jax-cuda|nvidia|torch)' || true
		echo "plugin dir: $PLUGIN_DIR"; ls -la "$PLUGIN_DIR"; cat "$OUT/plugin-find.err"
		echo "plugin: $PLUGIN"
		echo "ptxas: $PTXAS"; echo "libdevice: $LIBDEVICE"; echo "XLA_FLAGS=${XLA_FLAGS:-}"
		readelf -d "$PLUGIN" 2>/dev/null | grep -iE 'rpath|runpath|needed' || true
		ldd "$PLUGIN" 2>&1 | grep -i 'not found' || echo "ldd: every library of the plugin found"
		ldd "$BIN/estil"
		nproc; free -g
	} >"$OUT/machine.txt" 2>&1
	say "== machine: $(grep -m1 -E 'H200|H100|A100|NVIDIA' "$OUT/machine.txt" | head -c 200)"
	say "   plugin: ${PLUGIN:-NOT FOUND (see machine.txt)}"
fi

if [[ " $STEPS " == *" 1 "* ]]; then
	# -test.v prints PJRT's error verbatim if the plugin does not load (the test then skips).
	step xla_equality 240 "$BIN/nst.test" -test.run 'XLA' -test.v
	grep -E 'SKIP|no XLA|PJRT|plugin|error' "$OUT/xla_equality.log" | head -20 >>"$SUMMARY"
fi

if [[ " $STEPS " == *" 2 "* ]]; then
	step bench 420 "$BIN/estil" bench --backend "$BACKEND" --device cuda --size "$SIZES" --evals "$EVALS" \
		--python "$PYTHON" --float64-control=false --json
	sed -n '/^{/,$p' "$OUT/bench.log" >"$OUT/bench.json"
	if [ ! -s "$OUT/bench.json" ]; then # estil's backend did not load: at least PyTorch's figures
		step bench_torch_only 240 "$BIN/estil" bench --no-estil --device cuda --size "$SIZES" --evals "$EVALS" \
			--python "$PYTHON" --float64-control=false --json
		sed -n '/^{/,$p' "$OUT/bench_torch_only.log" >"$OUT/bench_torch_only.json"
	fi
fi

if [[ " $STEPS " == *" 3 "* ]]; then
	step bench_tf32 240 "$BIN/estil" bench --backend "$BACKEND_TF32" --device cuda --size 512 --evals "$EVALS" \
		--python "$PYTHON" --float64-control=false --json
	sed -n '/^{/,$p' "$OUT/bench_tf32.log" >"$OUT/bench_tf32.json"
fi

if [[ " $STEPS " == *" 4 "* ]]; then
	"$BIN/estil" help >/dev/null # the binary runs
	TMPD=$(mktemp -d)
	"$PYTHON" - "$TMPD" <<'EOF' || true
import sys, zlib, struct
# Two 2048 px pictures in PNG for stylize (no PIL needed): smooth gradients with stripes.
def png(path, w, h, f):
    rows = b"".join(b"\x00" + bytes(v for x in range(w) for v in f(x, y)) for y in range(h))
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))
d = sys.argv[1]
png(d + "/content.png", 2048, 1536, lambda x, y: (x * 255 // 2048, y * 255 // 1536, 128))
png(d + "/style.png", 1024, 1024, lambda x, y: (((x + y) // 32 % 2) * 200, ((x - y) // 24 % 2) * 180, (x * y // 4096) % 256))
EOF
	step scales 300 "$BIN/estil" stylize --backend "$BACKEND" --weights random --content "$TMPD/content.png" \
		--style "$TMPD/style.png" --scales 256,512,1024,2048 --iters "$SCALE_ITERS" --quiet \
		--out "$OUT/scales_2048.png" --report "$OUT/scales_report.json"
	grep -E '^estil: scale' "$OUT/scales.log" >>"$SUMMARY"
	rm -rf "$TMPD"
fi

# The table: time ratio, and the convolutions' share of the H200's dense TF32 peak. 494.7 TFLOP/s
# is NVIDIA's H200 (SXM) datasheet figure for TF32 Tensor Core *dense* (989.4 with sparsity).
for j in "$OUT/bench.json" "$OUT/bench_tf32.json" "$OUT/bench_torch_only.json"; do
	[ -s "$j" ] || continue
	"$PYTHON" - "$j" <<'EOF' | tee -a "$SUMMARY"
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{sys.argv[1]}: {r['date']}, {r['evaluations']} evaluations, weights: {r['weights']}")
for x in r["runs"]:
    dev = f", device peak {x['peak_device_bytes']/1e9:.2f} GB" if x.get("peak_device_bytes") else ""
    print(f"  {x['width']:5d} px {x['implementation']:8s} {x['backend'][:40]:40s} {x['seconds_per_evaluation']:.4f} s/eval "
          f"(first {x['first_seconds']:.1f} s) {x['gflop_per_s']/1e3:7.1f} TFLOP/s = {100*x['gflop_per_s']/494.7e3:5.1f} % of 494.7 "
          f"RSS {x['peak_rss_bytes']/1e9:.2f} GB{dev}")
for c in r["comparisons"]:
    print(f"  {c['size']} px: estil/PyTorch {c['ratio']:.2f} (goal ≤ 0.7 at 512); agree {c['agree']} "
          f"(start {c['first_loss_rel_diff']:.1e}, probe {c['loss_at_result_rel_diff']:.1e}, final {c['final_loss_rel_diff']:.1e})")
EOF
done
if [ -s "$OUT/nvidia-smi.csv" ]; then
	say "peak GPU memory.used over the run (all processes): $(awk -F', ' 'NR>1{gsub(/ MiB/,"",$2); if($2>m)m=$2} END{print m" MiB"}' "$OUT/nvidia-smi.csv")"
fi
rm -rf "$LINKS"
say "done $(date -u +%H:%M:%S); files in $OUT"
