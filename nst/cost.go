package nst

import (
	"runtime"

	"github.com/gomlx/compute"
)

// ConvFLOPs counts the floating-point operations (a multiply-add counts 2) of VGG19's
// convolutions on an h×w image, from conv1_1 through the layer with torchvision index upTo.
// The 3×3 convolutions are almost all of VGG19's work.
func ConvFLOPs(h, w int, channels []int, upTo int) float64 {
	var flops float64
	conv, in := 0, 3
	for _, l := range VGG19[:upTo+1] {
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

// pureGoFLOPsPerCore is the effective rate of a forward+backward pass of the im2col VGG19 on
// GoMLX's pure-Go backend, per core: BenchmarkForwardBackward measured ~6.3 GFLOP/s on a 2-core
// machine at 128 px. Used only to warn about long runs.
const pureGoFLOPsPerCore = 3e9

// EstimateSeconds roughly estimates a transfer's time on the pure-Go backend: each L-BFGS
// iteration with the line search evaluates the loss about 1.5 times, each evaluation is a
// forward and a backward pass to conv5_1 (the backward about one more forward's convolutions,
// since only the gradient with respect to the image is needed).
func EstimateSeconds(b compute.Backend, w, h, iterations int, optimizer string) float64 {
	_ = b
	evals := float64(iterations)
	if optimizer != Adam {
		evals *= 1.5
	}
	vgg19Channels := []int{64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512}
	flops := 2 * ConvFLOPs(h, w, vgg19Channels, 28)
	return evals * flops / (pureGoFLOPsPerCore * float64(runtime.NumCPU()))
}
