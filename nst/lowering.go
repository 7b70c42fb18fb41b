package nst

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	timage "github.com/gomlx/gomlx/core/tensors/images"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX code reads best with its ops unqualified.
)

// Lowering is how the network's convolutions are written as graph ops. VGG19 is defined once
// (VGG19 and Model.forward); a Lowering decides which GoMLX ops compute its 3×3 convolutions:
//
//   - NativeLowering uses GoMLX's Convolve. XLA compiles it to cuDNN-class kernels; on GoMLX's Go
//     backend it runs as im2col plus the SIMD matrix product (estil's patch to compute, see
//     third_party/PATCHES.md), and so does its gradient, which GoMLX writes as another Convolve.
//   - Im2colLowering writes the same im2col out in plain graph ops: a Gather that lays each
//     pixel's 3×3 neighbourhood out as a column, and one matrix product with the kernel. It
//     needs nothing from the backend but Gather and DotGeneral, and is kept as the independent
//     check of the native one (their features and gradients are compared in the tests).
//
// Both lay feature maps out channels first, [C, H, W], as PyTorch does (without its batch axis).
type Lowering int

const (
	// NativeLowering writes convolutions as Convolve: the fast one on every backend.
	NativeLowering Lowering = iota
	// Im2colLowering writes convolutions as Gather + MatMul.
	Im2colLowering
)

func (l Lowering) String() string {
	if l == Im2colLowering {
		return "im2col"
	}
	return "native"
}

// Pooling selects the pooling of the five pool layers.
type Pooling int

const (
	// MaxPooling is VGG19's own 2×2 max pooling.
	MaxPooling Pooling = iota
	// AveragePooling replaces it with 2×2 averaging, which Gatys et al. found gives smoother results.
	AveragePooling
)

func (p Pooling) String() string {
	if p < 0 || int(p) >= len(poolings) {
		return fmt.Sprintf("Pooling(%d)", int(p))
	}
	return poolings[p] // the names ParsePooling reads
}

// conv3x3 computes a 3×3 convolution, stride 1, zero padding 1, of x [Cin, H, W] with kernel
// [Cout, Cin, 3, 3] (PyTorch's layout) and bias [Cout]. Output: [Cout, H, W].
func (l Lowering) conv3x3(x, kernel, bias *Node) *Node {
	cin, h, w := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	cout := kernel.Shape().Dim(0)
	var y *Node
	switch l {
	case Im2colLowering:
		// im2col: column p = (py, px) of `patches` holds the 3×3×Cin values around pixel p, in the
		// same (cin, ky, kx) order as the kernel flattened to [Cout, Cin·9]; the convolution is then
		// one matrix product: Y[o, p] = Σ_k K[o, k] · patches[k, p].
		// Out-of-image neighbours point at an extra row of zeros appended to the pixels: that is
		// the zero padding.
		pixels := Transpose(Reshape(x, cin, h*w), 0, 1) // [H·W, Cin]
		pixels = Concatenate([]*Node{pixels, Zeros(x.Graph(), shapes.Make(x.DType(), 1, cin))}, 0)
		idx := Const(x.Graph(), im2colIndices(h, w))
		neighbours := Gather(pixels, idx)                                     // [H·W, 9, Cin]
		patches := Reshape(TransposeAllDims(neighbours, 2, 1, 0), cin*9, h*w) // [Cin·9, H·W]
		y = MatMul(Reshape(kernel, cout, cin*9), patches)
		y = Reshape(y, cout, h, w)
	default:
		y = Convolve(InsertAxes(x, 0), kernel).ChannelsAxis(timage.ChannelsFirst).Strides(1).PadSame().Done()
		y = Reshape(y, cout, h, w)
	}
	return Add(y, Reshape(bias, cout, 1, 1))
}

// im2colIndices returns, for every pixel of an h×w image and every tap of a 3×3 window, the flat
// index of the neighbour, or h·w (the row of zeros) when it falls outside. Shape [h·w, 9, 1].
func im2colIndices(h, w int) [][][]int32 {
	idx := make([][][]int32, h*w)
	flat := make([]int32, h*w*9)
	for y := range h {
		for x := range w {
			p := y*w + x
			idx[p] = make([][]int32, 9)
			for ky := range 3 {
				for kx := range 3 {
					t := ky*3 + kx
					sy, sx := y+ky-1, x+kx-1
					v := int32(h * w)
					if sy >= 0 && sy < h && sx >= 0 && sx < w {
						v = int32(sy*w + sx)
					}
					flat[p*9+t] = v
					idx[p][t] = flat[p*9+t : p*9+t+1]
				}
			}
		}
	}
	return idx
}

// pool2x2 halves height and width of x [C, H, W] with a 2×2 window and stride 2. Like PyTorch
// (floor mode), an odd last row or column is dropped.
//
// Both lowerings pool the same way. Max pooling is one ReduceWindow, as in XLA: its gradient,
// SelectAndScatterMax, sends each window's gradient to its first largest element, as PyTorch's
// does. On GoMLX's Go backend both run as plain loops over the windows (compute patch 14; the
// generic executors walk index vectors). Average pooling makes the 2×2 windows two axes of their
// own ([C, H/2, 2, W/2, 2]) and takes their mean, whose gradient is plain broadcasting.
func pool2x2(x *Node, kind Pooling) *Node {
	c, h, w := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	if h < 2 || w < 2 {
		panic(fmt.Sprintf("image too small for VGG19's pooling: a %d×%d feature map cannot be halved", w, h))
	}
	if kind == MaxPooling {
		window := []int{1, 2, 2}
		return BackendReduceWindow(x, compute.ReduceOpMax, window, window, nil, nil, nil)
	}
	if h%2 != 0 || w%2 != 0 {
		h, w = h/2*2, w/2*2
		x = Slice(x, AxisRange(), AxisRange(0, h), AxisRange(0, w))
	}
	return ReduceMean(Reshape(x, c, h/2, 2, w/2, 2), 2, 4)
}
