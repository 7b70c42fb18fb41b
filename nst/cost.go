package nst

import (
	"runtime"

	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/optim"
)

// ConvFLOPs counts the floating-point operations (a multiply-add counts 2) of VGG19's
// convolutions on a w×h image (width first), from conv1_1 through the layer with torchvision index upTo.
// The 3×3 convolutions are almost all of VGG19's work.
func ConvFLOPs(w, h int, channels []int, upTo int) float64 {
	var flops float64
	conv, in := 0, 3
	for _, l := range vgg19[:upTo+1] {
		switch l.Kind {
		case Conv:
			out := channels[conv]
			flops += 2 * float64(h*w) * 9 * float64(in*out)
			in = out
			conv++
		case Pool:
			h, w = h/2, w/2
		}
	}
	return flops
}

// pureGoFLOPsPerCore is the effective rate of a forward+backward pass of VGG19 on GoMLX's Go
// backend, per core, with a SIMD matrix-product kernel (AVX-512 measured; AVX2 and NEON are
// assumed alike) and with the plain Go loops: BenchmarkForwardBackward measured 77 and
// 8.8 GFLOP/s on a 2-core machine at 128 px (87 and 9.3 at 256 px). Used only to warn about long
// runs.
func pureGoFLOPsPerCore() float64 {
	if backend.MatMulKernel().Fast() {
		return 35e9
	}
	return 4.4e9
}

// EstimateSeconds roughly estimates a transfer's time on the pure-Go backend: each L-BFGS
// iteration with the line search evaluates the loss about 1.5 times, each evaluation is a
// forward and a backward pass to conv5_1 (the backward about one more forward's convolutions,
// since only the gradient with respect to the image is needed).
func EstimateSeconds(w, h, iterations int, optimizer optim.Name) float64 {
	return evaluationFLOPs(w, h, iterations, optimizer) / (pureGoFLOPsPerCore() * float64(runtime.NumCPU()))
}

// EvaluationEfficiency is the fraction of a convolution-shaped matrix product's rate that a
// whole evaluation reaches on the Go backend: `estil bench` measured 36–57 % at 128–512 px (the
// rest is im2col copies, element-wise work, the Gram matrices and the optimizer).
const EvaluationEfficiency = 0.45

// EstimateSecondsAtRate estimates a transfer's time as EstimateSeconds does, from a matrix
// product's rate measured on this machine (GFLOP/s of a convolution-shaped product, as
// `estil doctor` and `estil bench` time it) instead of a fixed per-core figure.
func EstimateSecondsAtRate(w, h, iterations int, optimizer optim.Name, matMulGFLOPs float64) float64 {
	return evaluationFLOPs(w, h, iterations, optimizer) / (EvaluationEfficiency * matMulGFLOPs * 1e9)
}

// evaluationFLOPs are the convolution FLOPs of a transfer's evaluations (see EstimateSeconds).
func evaluationFLOPs(w, h, iterations int, optimizer optim.Name) float64 {
	evals := float64(iterations)
	if optimizer == optim.LBFGSName {
		evals *= 1.5
	}
	return evals * 2 * ConvFLOPs(w, h, VGG19Channels(), 28)
}
