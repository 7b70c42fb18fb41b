package nst

import (
	"fmt"

	"github.com/gomlx/compute/shapes"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX code reads best with its ops unqualified.
)

// Lowering is how the network's two kinds of operation are written as graph ops. VGG19 is defined
// once (VGG19 and Model.forward); a Lowering decides which GoMLX ops compute it:
//
//   - NativeLowering uses GoMLX's Convolve and MaxPool, which XLA compiles to cuDNN-class kernels.
//   - Im2colLowering uses only ops whose gradients GoMLX's pure-Go backend can compute fast:
//     a Gather that lays each pixel's 3×3 neighbourhood out as a row ("im2col"), one matrix
//     product with the kernel, and pooling by Reshape + ReduceMax. (On that backend the gradients
//     of ConvGeneral and MaxPool are not implemented, and ConvGeneral itself runs at ~0.3 GFLOP/s
//     against ~10 GFLOP/s for a matrix product.)
//
// Both compute the same function; a test checks that their features agree.
type Lowering int

const (
	// Im2colLowering writes convolutions as Gather + MatMul; it runs on every backend.
	Im2colLowering Lowering = iota
	// NativeLowering uses Convolve and MaxPool; use it on XLA.
	NativeLowering
)

func (l Lowering) String() string {
	if l == NativeLowering {
		return "native"
	}
	return "im2col"
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
	if p == AveragePooling {
		return "avg"
	}
	return "max"
}

// conv3x3 computes a 3×3 convolution, stride 1, zero padding 1, of x [H, W, Cin] with kernel
// [3, 3, Cin, Cout] (height, width, in, out) and bias [Cout]. Output: [H, W, Cout].
func (l Lowering) conv3x3(x, kernel, bias *Node) *Node {
	h, w, cin := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	cout := kernel.Shape().Dim(3)
	var y *Node
	switch l {
	case NativeLowering:
		y = Convolve(InsertAxes(x, 0), kernel).Strides(1).PadSame().Done()
		y = Reshape(y, h, w, cout)
	default:
		// im2col: row p = (py, px) of `patches` holds the 3×3×Cin values around pixel p, in the
		// same (ky, kx, cin) order as the kernel flattened to [9·Cin, Cout]; the convolution is then
		// one matrix product: Y[p, o] = Σ_k patches[p, k] · K[k, o].
		// Out-of-image neighbours point at an extra row of zeros appended to the pixels: that is
		// the zero padding, without Pad (which the pure-Go backend lacks).
		pixels := Reshape(x, h*w, cin)
		pixels = Concatenate([]*Node{pixels, Zeros(x.Graph(), shapes.Make(x.DType(), 1, cin))}, 0)
		idx := Const(x.Graph(), im2colIndices(h, w))
		patches := Reshape(Gather(pixels, idx), h*w, 9*cin)
		y = MatMul(patches, Reshape(kernel, 9*cin, cout))
		y = Reshape(y, h, w, cout)
	}
	return Add(y, Reshape(bias, 1, 1, cout))
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

// pool2x2 halves height and width with a 2×2 window and stride 2. Like PyTorch (floor mode), an
// odd last row or column is dropped.
func (l Lowering) pool2x2(x *Node, kind Pooling) *Node {
	h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	if h < 2 || w < 2 {
		panic(fmt.Sprintf("image too small for VGG19's pooling: a %d×%d feature map cannot be halved", h, w))
	}
	if l == NativeLowering {
		x4 := InsertAxes(x, 0)
		var y *Node
		if kind == AveragePooling {
			y = MeanPool(x4).Window(2).Strides(2).NoPadding().Done()
		} else {
			y = MaxPool(x4).Window(2).Strides(2).NoPadding().Done()
		}
		return Reshape(y, h/2, w/2, c)
	}
	if h%2 != 0 || w%2 != 0 {
		x = cropEven(x)
		h, w = h/2*2, w/2*2
	}
	windows := Reshape(x, h/2, 2, w/2, 2, c)
	if kind == AveragePooling {
		return ReduceMean(windows, 1, 3)
	}
	return ReduceMax(windows, 1, 3)
}

// cropEven drops the last row and/or column of x [H, W, C] to make both sides even. It uses
// Gather, whose gradient the pure-Go backend has (Slice's gradient needs Pad, which it lacks).
func cropEven(x *Node) *Node {
	h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	h2, w2 := h/2*2, w/2*2
	idx := make([][]int32, 0, h2*w2)
	for y := range h2 {
		for xx := range w2 {
			idx = append(idx, []int32{int32(y*w + xx)})
		}
	}
	return Reshape(Gather(Reshape(x, h*w, c), Const(x.Graph(), idx)), h2, w2, c)
}
