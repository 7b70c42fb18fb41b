#!/usr/bin/env bash
# Builds what bench/gpu.sh runs on a GPU machine without Go, into bench/bin/ (ignored by git):
#
#   bench/bin/estil      the command (estil bench, estil stylize --scales …)
#   bench/bin/nst.test   package nst's tests (TestLoweringsAgreeOnXLA: the Go backend vs XLA)
#
# Both need cgo: go-xla loads the PJRT plugin with dlopen (github.com/gomlx/go-xla/pkg/pjrt uses
# cgo and -ldl). They link only glibc dynamically (libc, libdl, libpthread, libm); the newest
# glibc symbol version they need is printed below, and must not be newer than the target's glibc.
set -euo pipefail
cd "$(dirname "$0")/.."
# GOEXPERIMENT=simd: the same build as everywhere else (the Go backend's fast matmul; the bench
# also times the Go backend when asked to, and the test compares it with XLA).
export GOMLX_NO_AUTO_INSTALL=1 CGO_ENABLED=1 GOOS=linux GOARCH=amd64 GOEXPERIMENT=simd
mkdir -p bench/bin
# -s -w: no symbol tables (the two must travel in ≤ 64 MiB to the device machine).
go build -trimpath -ldflags="-s -w" -o bench/bin/estil ./cmd/estil
go test -c -trimpath -ldflags="-s -w" -o bench/bin/nst.test ./nst
for b in bench/bin/estil bench/bin/nst.test; do
	echo "$b: $(du -h "$b" | cut -f1)"
	if command -v ldd >/dev/null; then ldd "$b" | sed 's/^/  /'; fi
	if command -v objdump >/dev/null; then
		echo "  newest glibc symbol: $(objdump -T "$b" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
	fi
done
echo "built; on the device machine run: bash bench/gpu.sh   (carry bench/bin)"
