#!/usr/bin/env bash
# Where an evaluation's time goes on GoMLX's Go backend: a CPU profile of nst's
# BenchmarkForwardBackward (one L-BFGS evaluation: VGG19 to conv5_1, the original's loss, and its
# gradient with respect to the image; random weights) at each size, its samples grouped by what
# the code does. Only the evaluations count (the benchmark labels them estil=evaluation), not
# building the model or compiling.
#
#   scripts/profile.sh [SIZE...]        (default 64 128 256; issue 23's "profile first")
#   ESTIL_PROFILE_EVALS=N               evaluations per size (default: 40, 15, 6)
#
# The groups, in the order a function is matched against them:
#   kernel     the matrix product's micro-kernels (assembly or SIMD Go)
#   winograd   Winograd's transforms of the kernel, the input tiles and the output (patch 11)
#   output     adding the matmul's output panels into the result
#   packing    packing the matmul's operands into panels, and im2col's packing of the kernels
#   im2col     building the column matrix from the feature maps
#   transpose  transposes (GoMLX's and the matmul's)
#   copies     memmove and memclr (buffers copied or cleared)
#   elementwise  everything else in compute's ops: ReLU's selects, bias adds, the losses, pooling
#   runtime    Go's scheduler, locks, allocation and GC
#   other      the rest (estil's own code, the executor)
# and "waiting": the 2 cores' wall-clock time that no sample covers (threads idle, waiting for
# work or for each other), 2 × wall − CPU, as a share of 2 × wall.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(64 128 256)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/estil-profile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
GOEXPERIMENT=${GOEXPERIMENT-simd} go test -c -o "$tmp/nst.test" ./nst

printf '%-5s %8s %6s' size s/eval evals
for g in kernel winograd packing im2col output transpose copies elementwise runtime other waiting; do printf ' %10s' "$g"; done
printf '\n'
for size in "${sizes[@]}"; do
	evals=${ESTIL_PROFILE_EVALS:-}
	if [ -z "$evals" ]; then
		case $size in 64) evals=40 ;; 128) evals=15 ;; *) evals=6 ;; esac
	fi
	"$tmp/nst.test" -test.run '^$' -test.bench "ForwardBackward/${size}px\$" -test.benchtime "${evals}x" \
		-test.cpuprofile "$tmp/cpu$size.prof" >"$tmp/bench$size.txt"
	nsop=$(awk '/^BenchmarkForwardBackward/ {print $3; exit}' "$tmp/bench$size.txt")
	[ -n "$nsop" ] || { cat "$tmp/bench$size.txt" >&2; exit 1; }
	go tool pprof -top -nodecount=100000 -tagfocus=estil=evaluation "$tmp/nst.test" "$tmp/cpu$size.prof" 2>/dev/null |
		awk -v size="$size" -v nsop="$nsop" -v evals="$evals" -v cores="${GOMAXPROCS:-$(nproc)}" '
		function secs(s) { if (s ~ /ms$/) return substr(s, 1, length(s)-2)/1000; if (s ~ /us$/) return substr(s, 1, length(s)-2)/1e6; return substr(s, 1, length(s)-1) + 0 }
		$1 ~ /^[0-9.]+(s|ms|us)$/ && NF >= 6 {
			t = secs($1); f = $0; sub(/^ *[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +/, "", f)
			if (f ~ /matmul\..*(Kernel[0-9]|KernelAsm|[Kk]ernel[A-Z0-9]*Float|microKernel|neon)/ && f !~ /Pack/) g = "kernel"
			else if (f ~ /[Ww]inograd/) g = "winograd"
			else if (f ~ /matmul\..*Output/) g = "output"
			else if (f ~ /Pack|packKernel|unsafePack/) g = "packing"
			else if (f ~ /im2col|fillColumns/) g = "im2col"
			else if (f ~ /[Tt]ranspose/) g = "transpose"
			else if (f ~ /^runtime\.(memmove|memclr)/) g = "copies"
			else if (f ~ /gobackend\/ops\./) g = "elementwise"
			else if (f ~ /^(runtime|internal\/sync|sync)\./) g = "runtime"
			else g = "other"
			sum[g] += t; total += t
		}
		END {
			wall = nsop / 1e9 * evals
			wait = cores * wall - total; if (wait < 0) wait = 0
			printf "%-5s %8.3f %6d", size, nsop / 1e9, evals
			n = split("kernel winograd packing im2col output transpose copies elementwise runtime other", gs, " ")
			for (i = 1; i <= n; i++) printf " %9.1f%%", 100 * sum[gs[i]] / (cores * wall)
			printf " %9.1f%%\n", 100 * wait / (cores * wall)
		}'
done
echo "(shares of ${GOMAXPROCS:-$(nproc)} cores × the evaluations' wall-clock time; profiles sample at 100 Hz)"
