package backend

import "runtime"

// GoMLX's Go backend multiplies matrices with AVX-512 or AVX2 only when the program was built
// with GOEXPERIMENT=simd (Go's simd/archsimd package is still an experiment in Go 1.26): without
// it, it falls back to plain Go loops. Measured on 2 cores (go test ./nst -bench
// ForwardBackward/128px): 0.31 s per L-BFGS evaluation at 128 px with it, 2.69 s without.

// SIMDBuild reports whether this program was built with GOEXPERIMENT=simd (simd_on.go,
// simd_off.go: the build tag Go sets for the experiment, as Go's own internal/goexperiment does).
func SIMDBuild() bool { return simdBuild }

// SIMDNotice is the one line that tells a user of the Go backend on amd64 that this build lacks
// GOEXPERIMENT=simd, and what it costs; "" where that does not apply.
func SIMDNotice() string {
	if SIMDBuild() || runtime.GOARCH != "amd64" {
		return ""
	}
	return "estil: built without GOEXPERIMENT=simd, so GoMLX's Go backend multiplies matrices without AVX-512/AVX2 " +
		"(measured: 2.7 s instead of 0.31 s per L-BFGS evaluation at 128 px); rebuild with e.g. GOEXPERIMENT=simd go run ./cmd/estil demo\n"
}
