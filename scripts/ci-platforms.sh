#!/usr/bin/env bash
# The platforms students bring, checked from this Linux amd64 machine (.ci/run runs it after the
# README's test command; issue 22):
#
#   1. estil builds without a C compiler (CGO_ENABLED=0: the Go backend only, no XLA) for
#      darwin/arm64, darwin/amd64, windows/amd64 and linux/arm64, with and without
#      GOEXPERIMENT=simd where it applies (amd64); and such a build runs here (doctor, bench).
#   2. The short tests of nst and compute's matrix-product and convolution tests run under each
#      amd64 kernel: AVX-512 (the README's test command already did), AVX2 forced
#      (GOMLX_SIMD_AVX512=false) and the generic Go loops (GOMLX_SIMD_AVX2=false too).
#      ESTIL_CI_KERNEL makes nst/backend's TestMatMulKernel fail if a leg runs another kernel.
#   3. linux/arm64 under qemu-aarch64-static (Debian's qemu-user-static), with the NEON kernel:
#      nst's short tests, compute's matmul tests and `estil bench --size 32 --no-pytorch`.
#      qemu checks correctness only; its timings say nothing about a real arm64 CPU.
#
#   scripts/ci-platforms.sh [cross|nocgo|kernels|arm64]...   (default: all four, in that order)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOMLX_NO_AUTO_INSTALL=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/estil-platforms.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The tests that the -short runs below leave out (they run in .ci/run's main go test).
short_skip='^TestStyleLossBalances$'

step() { printf '\n== ci-platforms: %s (%s)\n' "$*" "$(date -u +%T)"; }

cross() {
	local target goos goarch exp
	for target in darwin/arm64 darwin/amd64 windows/amd64 linux/arm64; do
		goos=${target%/*} goarch=${target#*/}
		for exp in "" simd; do
			# GOEXPERIMENT=simd changes nothing off amd64 (the SIMD files are amd64-only).
			[ "$goarch" != amd64 ] && [ "$exp" = simd ] && continue
			step "go build ./cmd/estil for $target, CGO_ENABLED=0, GOEXPERIMENT=${exp:-(none)}"
			CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOEXPERIMENT=$exp go build -o "$tmp/estil-$goos-$goarch$exp" ./cmd/estil
		done
	done
}

nocgo() {
	step "a build without cgo, here: XLA gives a one-line error, auto falls back, doctor and bench run"
	CGO_ENABLED=0 GOEXPERIMENT=simd go build -o "$tmp/estil-nocgo" ./cmd/estil
	CGO_ENABLED=0 GOEXPERIMENT=simd go test -count=1 ./nst/backend
	"$tmp/estil-nocgo" doctor --seconds 1
	if "$tmp/estil-nocgo" bench --size 32 --evals 2 --no-pytorch --backend xla:cpu 2>"$tmp/err"; then
		echo "ci-platforms: --backend xla:cpu worked in a build without cgo" >&2
		exit 1
	fi
	cat "$tmp/err"
	# The error is one line (the line above it says the weights are random).
	tail -n 1 "$tmp/err" | grep -q '^estil: backend "xla:cpu": this estil was built without cgo.*CGO_ENABLED=1' ||
		{ echo "ci-platforms: want a last line naming cgo" >&2; exit 1; }
	"$tmp/estil-nocgo" bench --size 32 --evals 2 --no-pytorch
}

kernels() {
	local leg kernel
	for leg in "AVX2 GOMLX_SIMD_AVX512=false" "generic GOMLX_SIMD_AVX512=false GOMLX_SIMD_AVX2=false"; do
		kernel=${leg%% *}
		[ "$kernel" = generic ] && kernel="generic Go"
		step "the $kernel kernel: ${leg#* }"
		# -short, and by name (testutil.SkipIfShort fails a -short skip under CI) the one nst test
		# of a full-size VGG19, which the main run (AVX-512) runs.
		env ${leg#* } ESTIL_CI_KERNEL="$kernel" GOEXPERIMENT=simd go test -short -skip "$short_skip" -count=1 ./nst/... \
			github.com/gomlx/compute/gobackend \
			github.com/gomlx/compute/internal/gobackend/dot/... \
			github.com/gomlx/compute/internal/gobackend/ops/...
	done
}

arm64() {
	command -v qemu-aarch64-static >/dev/null ||
		{ echo "ci-platforms: qemu-aarch64-static missing (apt-get install qemu-user-static)" >&2; exit 1; }
	step "linux/arm64 test binaries (CGO_ENABLED=0)"
	CGO_ENABLED=0 GOARCH=arm64 go test -c -o "$tmp/nst.test" ./nst
	CGO_ENABLED=0 GOARCH=arm64 go test -c -o "$tmp/backend.test" ./nst/backend
	CGO_ENABLED=0 GOARCH=arm64 go test -c -o "$tmp/matmul.test" github.com/gomlx/compute/internal/gobackend/dot/matmul
	CGO_ENABLED=0 GOARCH=arm64 go build -o "$tmp/estil-arm64" ./cmd/estil
	step "linux/arm64 under qemu: the NEON kernel's tests, nst/backend, nst -short, bench"
	qemu-aarch64-static "$tmp/matmul.test" -test.count=1
	# ESTIL_TEST_EXEC: tests that start a child process of their own binary start it through qemu.
	ESTIL_CI_KERNEL=NEON ESTIL_TEST_EXEC=qemu-aarch64-static qemu-aarch64-static "$tmp/backend.test" -test.count=1
	ESTIL_CI_KERNEL=NEON ESTIL_TEST_EXEC=qemu-aarch64-static qemu-aarch64-static "$tmp/nst.test" -test.short -test.skip "$short_skip" -test.count=1
	qemu-aarch64-static "$tmp/estil-arm64" bench --size 32 --evals 2 --no-pytorch
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(cross nocgo kernels arm64)
for s in "${steps[@]}"; do
	case "$s" in
	cross | nocgo | kernels | arm64) "$s" ;;
	*) echo "ci-platforms: unknown step $s (cross, nocgo, kernels, arm64)" >&2; exit 2 ;;
	esac
done
step "done"
