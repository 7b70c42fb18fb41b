package backend

import (
	"fmt"
	"runtime"

	"github.com/gomlx/compute/gobackend"
)

// GoMLX's Go backend multiplies matrices with an AVX-512 or AVX2 kernel on amd64 only when the
// program was built with GOEXPERIMENT=simd (Go's simd/archsimd package is still an experiment in
// Go 1.26), and with a NEON kernel on arm64 in any build (estil's patch 8: plain Go assembly).
// Elsewhere it falls back to plain Go loops. Measured on 2 cores (go test ./nst -bench
// ForwardBackward/128px): 0.31 s per L-BFGS evaluation at 128 px with AVX-512, 2.69 s with the
// plain Go loops.

// SIMDBuild reports whether this program was built with GOEXPERIMENT=simd (simd_on.go,
// simd_off.go: the build tag Go sets for the experiment, as Go's own internal/goexperiment does).
func SIMDBuild() bool { return simdBuild }

// Kernel names the matrix-product kernel GoMLX's Go backend multiplies float32 matrices with
// (and so runs every convolution on): chosen once, when the program starts, from the build, the
// CPU and the GOMLX_SIMD_* variables.
type Kernel string

// The kernels of GoMLX's Go backend, fastest first on the machines they exist for.
const (
	KernelAVX512  Kernel = "AVX-512"
	KernelAVX2    Kernel = "AVX2"
	KernelNEON    Kernel = "NEON"
	KernelGeneric Kernel = "generic Go"
)

// MatMulKernel is the kernel this process's Go backend uses for float32 matrix products.
func MatMulKernel() Kernel {
	switch name := gobackend.MatMulImplementation(); name {
	case "simd:avx512":
		return KernelAVX512
	case "simd:avx2":
		return KernelAVX2
	case "simd:neon":
		return KernelNEON
	case "simd:nosimd", "":
		return KernelGeneric
	default:
		return Kernel(name)
	}
}

// Fast reports whether k is a SIMD kernel, within a small factor of the machine's peak, rather
// than the plain Go loops (~8× slower on a whole evaluation).
func (k Kernel) Fast() bool { return k != KernelGeneric }

// SIMDNotice is the one line that tells a user of the Go backend that its matrix products run
// on plain Go loops, why, and what would give them a fast kernel; "" where a SIMD kernel runs.
func SIMDNotice() string {
	if MatMulKernel().Fast() {
		return ""
	}
	const cost = "measured: 2.7 s instead of 0.31 s per L-BFGS evaluation at 128 px"
	switch {
	case runtime.GOARCH == "amd64" && !SIMDBuild():
		return "estil: built without GOEXPERIMENT=simd, so GoMLX's Go backend multiplies matrices without AVX-512/AVX2 " +
			"(" + cost + "); rebuild with e.g. GOEXPERIMENT=simd go run ./cmd/estil demo\n"
	case runtime.GOARCH == "amd64":
		return "estil: no AVX-512 or AVX2 kernel for GoMLX's Go backend (this CPU lacks them, or GOMLX_SIMD_AVX512/GOMLX_SIMD_AVX2 " +
			"turned them off): matrix products run on plain Go loops (" + cost + ")\n"
	case runtime.GOARCH == "arm64":
		return "estil: the NEON kernel of GoMLX's Go backend is turned off (GOMLX_SIMD_NEON): matrix products run on plain Go loops " +
			"(" + cost + "); unset GOMLX_SIMD_NEON to get it back\n"
	default:
		return fmt.Sprintf("estil: GoMLX's Go backend has no SIMD kernel for %s/%s: matrix products run on plain Go loops (%s); "+
			"amd64 (with GOEXPERIMENT=simd) and arm64 have fast ones\n", runtime.GOOS, runtime.GOARCH, cost)
	}
}
