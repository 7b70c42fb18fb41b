// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// ConvGeneral's Winograd F(2×2, 3×3) fast path (a patch carried by estil; see
// third_party/PATCHES.md).
//
// Where the im2col fast path (convgeneral_im2col.go) applies and the kernel window is 3×3 with
// stride 1 and no dilation -- every convolution of VGG19, and the gradients of those with respect
// to their input -- this path computes each 2×2 tile of output from a 4×4 tile of input (Lavin
// and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015):
//
//	Y = Aᵀ · [ Σ_c (G·g_{o,c}·Gᵀ) ⊙ (Bᵀ·d_{c,tile}·B) ] · A
//
// The 16 entries ξ of the 4×4 transformed tiles are independent: for each ξ the sum over input
// channels is one matrix product M_ξ = U_ξ · V_ξ, [outC × inC] · [inC × tiles] channels first
// ([tiles × inC] · [inC × outC] channels last), and the 16 go to the registered DotGeneral
// implementation as one batched call. That is 16 multiply-adds per 4 outputs and input channel,
// against 36 for im2col: 2.25× fewer in the products, at the price of the three transforms
// (linear in the data, not in the channel product) and a somewhat larger rounding error (the
// transforms add and halve; see convgeneral_winograd_test.go for the tolerance measured).
//
// The kernel is read through the im2col plan's strides and spatial reversal, so the same code
// runs the forward convolution (OIHW) and GoMLX's gradient with respect to the input (the kernel
// read as IOHW, spatial axes reversed: the Reverse absorbed by convgeneral_reverse.go). The
// tiles are processed a chunk of tile rows at a time, so that the transformed input and the
// products stay within the im2col budget (GOMLX_CONV_IM2COL_BUDGET_MB) and 4 MiB. Maps of fewer
// than 32×32 output pixels (over the batch) are left to im2col, for which the kernel transform
// costs more than it saves (see defaultWinogradMinPixels).
//
// It is on by default; GOMLX_CONV_WINOGRAD=false turns it off. Measured on 2 quiet Zen 5 cores
// with the AVX-512 matmul, estil's whole evaluation (VGG19's loss and its gradient) took 552-556
// ms against 610-628 ms at 256 px and 156-159 ms against 161-166 ms at 128 px (three alternated
// runs each), with a 10-20 % lower peak RSS. The gain is modest: the convolutions are about half
// of an evaluation, Winograd runs only on the large maps, and its transforms take back much of
// what the products save. See estil's third_party/PATCHES.md, patch 11.

import (
	"os"
	"strconv"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/compute/support/envutil"
	"github.com/pkg/errors"
)

func init() {
	// Above the im2col executor (PriorityTyped), which it calls where it does not apply.
	gobackend.SetNodeExecutor(compute.OpTypeConvGeneral, gobackend.PriorityTyped+1, execConvGeneralWinograd)
}

// ConvWinogradEnv is the environment variable that turns the Winograd fast path off when "false"
// (it is on by default).
const ConvWinogradEnv = "GOMLX_CONV_WINOGRAD"

// ConvWinogradMinPixelsEnv sets the smallest output, in pixels over the batch, that the Winograd
// path runs (default 1024, or 256 for a constant kernel: see defaultWinogradMinPixels and
// defaultWinogradMinPixelsConstant); set, it is the threshold for both. 0 runs it on every 3×3
// stride-1 convolution, whatever its size and channels (winogradMinInChannels is lifted too), e.g.
// to test it on small images.
const ConvWinogradMinPixelsEnv = "GOMLX_CONV_WINOGRAD_MIN_PIXELS"

// Where it pays, measured on VGG19's layers (2 Zen 5 cores, AVX-512; BenchmarkConvWinograd): the
// kernel transform reads the whole kernel and writes 16/9 of it (16 MB at 512 → 512 channels),
// which only a large enough map amortizes. 512 → 512 channels, forward: 32×32 outputs 11-14 ms
// against im2col's 15-20 ms, 24×24 10-13 ms against 9-12 ms, 16×16 5.7-6.2 ms against 3.9-4.4
// ms, 8×8 3.7 ms against 1.1 ms. Below these many output pixels (over the batch) im2col runs the
// convolution.
const defaultWinogradMinPixels = 32 * 32

// defaultWinogradMinPixelsConstant is the threshold for a kernel whose buffer is constant (estil
// patch 29). Patch 13's cache keeps its transform U and patch 28 keeps U packed for the products,
// so no execution pays the transform, and 16×16 maps pay: in estil's whole evaluation (VGG19 to
// conv5_1, where conv3 runs on 16×16 maps at 64 px and conv4 at 128 px), alternated rounds gave
// 35.2 → 33.8 ms at 64 px and 95.4 → 86.3 ms at 128 px. 8×8 maps do not (32.3 against 37.1 ms at
// 64 px): 16 tiles fill half of the matmul's 32-wide column tiles.
const defaultWinogradMinPixelsConstant = 16 * 16

// winogradMinInChannels: with fewer input channels the products are too short (contracting
// inC) to pay for the output transform. VGG19's conv1_1 (3 → 64 channels at 128×128): 2.0-2.2 ms
// against im2col's 0.51-0.60 ms; its input gradient (64 → 3) is faster with Winograd (2.5-2.9
// ms against 4.0-4.9 ms).
const winogradMinInChannels = 16

// winogradBudgetBytes caps the Winograd workspace (transformed input and products of one chunk)
// below the im2col budget: with 4 MiB the chunk's matrices stay in the caches between the
// transforms and the products (VGG19's conv1_2 at 128 px: 8.3-8.7 ms, against 11.6-12.8 ms with
// 32 MiB).
const winogradBudgetBytes = 4 << 20

var (
	convWinogradEnabled = envutil.MustReadBool(ConvWinogradEnv, true)

	// The thresholds for kernels derived at each execution and for constant ones.
	convWinogradMinPixels, convWinogradMinPixelsConstant = readWinogradMinPixels()

	// Convolutions the Winograd path ran, read by the tests (export_test.go).
	convWinogradRuns atomic.Int64
)

func readWinogradMinPixels() (derived, constant int) {
	v := os.Getenv(ConvWinogradMinPixelsEnv)
	if v == "" {
		return defaultWinogradMinPixels, defaultWinogradMinPixelsConstant
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		panic(errors.Errorf("%s=%q: want a non-negative whole number of pixels", ConvWinogradMinPixelsEnv, v))
	}
	return n, n
}

// winogradApplies reports whether the Winograd path runs a convolution the im2col plan p
// describes, of a kernel that the kernel cache keeps (constant) or not.
func (p *im2colPlan) winogradApplies(constantKernel bool) bool {
	minPixels := convWinogradMinPixels
	if constantKernel {
		minPixels = convWinogradMinPixelsConstant
	}
	return convWinogradEnabled && p.kH == 3 && p.kW == 3 && p.strideH == 1 && p.strideW == 1 &&
		p.dilationH == 1 && p.dilationW == 1 && p.batch*p.outH*p.outW >= minPixels &&
		(p.inC >= winogradMinInChannels || minPixels == 0) &&
		!p.tapProductsApply() // few output channels: tap products do less work
}

// execConvGeneralWinograd is the ConvGeneral executor: the Winograd path where it applies, else
// the im2col executor (which itself falls back to the generic one).
func execConvGeneralWinograd(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, donate []bool) (*gobackend.Buffer, error) {
	if !convWinogradEnabled {
		return execConvGeneralIm2col(backend, node, inputs, donate)
	}
	params, reversed := (*convNode)(nil), [2]bool{}
	switch data := node.Data.(type) {
	case *convNode:
		params = data
	case im2colReversedKernel:
		params, reversed = data.convParams(), data.reversedAxes()
	default:
		return nil, errors.Errorf("ConvGeneral: unexpected node data %T", node.Data)
	}
	plan, ok := newIm2colPlan(params, reversed, inputs[0], inputs[1], node.Shape)
	if !ok || !plan.winogradApplies(convKernelCacheEnabled && inputs[1].Constant() != 0) {
		return execConvGeneralIm2col(backend, node, inputs, donate)
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	if err := execConvWinograd(backend, plan, inputs[0], inputs[1], output); err != nil {
		backend.PutBuffer(output)
		return nil, err
	}
	convWinogradRuns.Add(1)
	convIm2colRuns.Add(1) // the fast path ran (as the im2col tests count it)
	return output, nil
}

// winogradTiles returns how many tile rows and columns of 2×2 output tiles cover the output.
func (p *im2colPlan) winogradTiles() (tilesH, tilesW int) { return (p.outH + 1) / 2, (p.outW + 1) / 2 }

// winogradChunkRows returns how many tile rows (of the batch·tilesH) one chunk holds so that its
// transformed input (16·inC floats per tile) and products (16·outC per tile) stay within the
// budget: at least one tile row, at most all.
func (p *im2colPlan) winogradChunkRows(budgetBytes int) int {
	tilesH, tilesW := p.winogradTiles()
	return min(max(budgetBytes/(4*16*(p.inC+p.outC)*tilesW), 1), p.batch*tilesH)
}

// execConvWinograd runs the plan: the kernel transform once, then per chunk of tile rows the
// input transform (in parallel), the 16 products (one batched call of the registered matmul) and
// the output transform (in parallel) into the output.
func execConvWinograd(backend *gobackend.Backend, p im2colPlan, input, kernel, output *gobackend.Buffer) error {
	p.inputFlat, p.kernelFlat, p.outpt = input.Flat.([]float32), kernel.Flat.([]float32), output.Flat.([]float32)
	tilesH, tilesW := p.winogradTiles()
	get := func(size int) ([]float32, func(), error) {
		buf, err := backend.GetBuffer(shapes.Make(dtypes.Float32, size))
		if err != nil {
			return nil, nil, err
		}
		return buf.Flat.([]float32)[:size], func() { backend.PutBuffer(buf) }, nil
	}
	total := p.batch * tilesH
	rows := p.winogradChunkRows(min(convIm2colBudgetBytes, winogradBudgetBytes))
	// Channels first, U is the products' left operand: a constant kernel is kept transformed and
	// packed for the matmul where it can take it so (patch 28, convgeneral_prepacked.go).
	var packing *dot.PrepackedLHSFloat32
	var packedU, u []float32
	if p.channelsFirst {
		packing, packedU = p.prepackedKernel(backend, kernel, p.derivation(true), 16, p.outC, p.inC, rows*tilesW,
			func(dst []float32) { p.winogradKernel(backend, dst) })
	}
	if packedU == nil {
		// A constant kernel (convgeneral_kernelcache.go) is transformed once, then kept.
		u = cachedKernel(kernel, p.derivation(true), 16*p.outC*p.inC, func(dst []float32) { p.winogradKernel(backend, dst) })
		if u == nil {
			var putU func()
			var err error
			if u, putU, err = get(16 * p.outC * p.inC); err != nil {
				return err
			}
			defer putU()
			p.winogradKernel(backend, u)
		}
	}
	v, putV, err := get(16 * p.inC * rows * tilesW)
	if err != nil {
		return err
	}
	defer putV()
	m, putM, err := get(16 * p.outC * rows * tilesW)
	if err != nil {
		return err
	}
	defer putM()
	zeros := make([]float32, max(p.inW, p.inC)) // what the input's padding reads
	for r0 := 0; r0 < total; r0 += rows {
		n := min(rows, total-r0)
		tiles := n * tilesW
		if p.channelsFirst {
			parallelForBlocks(backend, p.inC*n, func(start, end int) {
				var scratch winogradScratch // once per block: zeroing it per call cost ~5 % at 128 px
				for i := start; i < end; i++ {
					c, r := i/n, i%n
					p.winogradInputChannelsFirst(v, tiles, c, r0+r, r*tilesW, zeros, &scratch)
				}
			})
			if packedU != nil {
				matmulPrepacked(backend, packing, packedU, v, m, 16, p.outC, p.inC, tiles)
			} else {
				p.batchedMatmul(backend, u, v, m, p.outC, p.inC, tiles)
			}
			parallelForBlocks(backend, p.outC*n, func(start, end int) {
				var scratch winogradScratch
				for i := start; i < end; i++ {
					o, r := i/n, i%n
					p.winogradOutputChannelsFirst(m, tiles, o, r0+r, r*tilesW, &scratch)
				}
			})
			continue
		}
		parallelFor(backend, tiles, func(t int) { p.winogradInputChannelsLast(v, tiles, r0*tilesW+t, t, zeros) })
		p.batchedMatmul(backend, v, u, m, tiles, p.inC, p.outC)
		parallelFor(backend, tiles, func(t int) { p.winogradOutputChannelsLast(m, tiles, r0*tilesW+t, t) })
	}
	return nil
}

// batchedMatmul computes, for ξ in [0, 16), out_ξ[m, n] = Σ_k lhs_ξ[m, k] · rhs_ξ[k, n] with the
// registered DotGeneral implementation, the 16 matrices of each operand one after the other.
func (p *im2colPlan) batchedMatmul(backend *gobackend.Backend, lhs, rhs, out []float32, m, k, n int) {
	view := func(flat []float32) *gobackend.Buffer { return &gobackend.Buffer{Flat: flat} }
	dot.CallRegisteredImplementation(backend, p.implementation, view(lhs[:16*m*k]), view(rhs[:16*k*n]), view(out[:16*m*n]), &dot.NodeData{
		InputDType: dtypes.Float32, OutputDType: dtypes.Float32, Layout: dot.LayoutNonTransposed,
		BatchSize: 16, LHSCrossSize: m, RHSCrossSize: n, ContractingSize: k,
	})
}

// winogradKernel writes U = G·g·Gᵀ for every pair of channels, g the 3×3 kernel read through the
// plan's strides (and spatial reversal): u[ξ][o][c] channels first, u[ξ][c][o] channels last,
// ξ = 4·i + j for entry (i, j) of the 4×4 transform, with
//
//	G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
func (p *im2colPlan) winogradKernel(backend *gobackend.Backend, u []float32) {
	src := p.tapOffsets() // where tap (ky, kx) of the 3×3 window is in the kernel
	// A task transforms a block of 16 output × 16 input channels into buf, then copies buf's rows
	// out: the 16 entries go to 16 matrices a power of two apart in the large layers, and writing
	// them one pair of channels at a time thrashes the cache sets. Within the block, the loop runs
	// along the kernel's smaller channel stride, so that its reads are close together (the forward
	// OIHW kernel has its input channels 9 floats apart, the gradient's view its output channels).
	const block = 16
	plane := p.outC * p.inC
	oBlocks, cBlocks := (p.outC+block-1)/block, (p.inC+block-1)/block
	kernelFlat, kOutStride, kInStride, channelsFirst := p.kernelFlat, p.kOutStride, p.kInStride, p.channelsFirst
	s0, s1, s2, s3, s4, s5, s6, s7, s8 := src[0], src[1], src[2], src[3], src[4], src[5], src[6], src[7], src[8]
	parallelFor(backend, oBlocks, func(ob int) {
		// buf[ξ·256 + row·16 + column]: rows o, columns c (channels first) or the reverse.
		var buf [16 * block * block]float32
		o0, o1 := ob*block, min((ob+1)*block, p.outC)
		for cb := range cBlocks {
			c0, c1 := cb*block, min((cb+1)*block, p.inC)
			// The inner loop runs along the smaller of the kernel's channel strides.
			n0, n1, m0, m1 := o0, o1, c0, c1 // outer o, inner c
			if kInStride > kOutStride {
				n0, n1, m0, m1 = c0, c1, o0, o1
			}
			for outer := n0; outer < n1; outer++ {
				for inner := m0; inner < m1; inner++ {
					o, c := outer, inner
					if kInStride > kOutStride {
						o, c = inner, outer
					}
					k := kernelFlat[o*kOutStride+c*kInStride:]
					g00, g01, g02 := k[s0], k[s1], k[s2]
					g10, g11, g12 := k[s3], k[s4], k[s5]
					g20, g21, g22 := k[s6], k[s7], k[s8]
					// H = G·g (4×3), then U = H·Gᵀ (4×4), row by row.
					h10, h11, h12 := 0.5*(g00+g10+g20), 0.5*(g01+g11+g21), 0.5*(g02+g12+g22)
					h20, h21, h22 := 0.5*(g00-g10+g20), 0.5*(g01-g11+g21), 0.5*(g02-g12+g22)
					at := (o-o0)*block + (c - c0)
					if !channelsFirst {
						at = (c-c0)*block + (o - o0)
					}
					d := buf[at:]
					const x = block * block // one ξ to the next
					_ = d[15*x]
					d[0*x], d[1*x], d[2*x], d[3*x] = g00, 0.5*(g00+g01+g02), 0.5*(g00-g01+g02), g02
					d[4*x], d[5*x], d[6*x], d[7*x] = h10, 0.5*(h10+h11+h12), 0.5*(h10-h11+h12), h12
					d[8*x], d[9*x], d[10*x], d[11*x] = h20, 0.5*(h20+h21+h22), 0.5*(h20-h21+h22), h22
					d[12*x], d[13*x], d[14*x], d[15*x] = g20, 0.5*(g20+g21+g22), 0.5*(g20-g21+g22), g22
				}
			}
			for xi := range 16 {
				dst := u[xi*plane:][:plane]
				rows := buf[xi*block*block:][:block*block]
				if channelsFirst {
					for o := o0; o < o1; o++ {
						copy(dst[o*p.inC+c0:][:c1-c0], rows[(o-o0)*block:][:c1-c0])
					}
				} else {
					for c := c0; c < c1; c++ {
						copy(dst[c*p.outC+o0:][:o1-o0], rows[(c-c0)*block:][:o1-o0])
					}
				}
			}
		}
	})
}

// winogradBlock is how many tiles of a row the channels-first transforms take at a time.
const winogradBlock = 64

// winogradScratch is the channels-first transforms' working memory. The calls of one block of
// indices (parallelForBlocks) share one: each call writes what it reads, and the AVX-512 loops'
// results past a row's last tile, which read stale values, are not stored. Declared in each call,
// its 6 KB were zeroed at each of them: ~5 % of an evaluation's samples at 128 px.
type winogradScratch struct {
	w   [4][2*winogradBlock + 2]float32 // the columns' Bᵀ·d of a block of tiles
	buf [16][winogradBlock]float32      // the plain loops' 16 rows of a block of tiles
}

// winogradInputChannelsFirst writes V = Bᵀ·d·B of input channel c for the tiles of tile row R
// (R = b·tilesH + ty, over the batch) into v[ξ][c][t0 + tx], tiles being the chunk's tile count.
// Neighbouring tiles share two input columns, so each column's Bᵀ·d is computed once.
func (p *im2colPlan) winogradInputChannelsFirst(v []float32, tiles, c, R, t0 int, zeros []float32, scratch *winogradScratch) {
	tilesH, tilesW := p.winogradTiles()
	b, ty := R/tilesH, R%tilesH
	plane := p.inputFlat[(b*p.inC+c)*p.inH*p.inW:][:p.inH*p.inW]
	var rows [4][]float32
	for k := range 4 {
		if iy := 2*ty - p.padH + k; iy >= 0 && iy < p.inH {
			rows[k] = plane[iy*p.inW:][:p.inW]
		} else {
			rows[k] = zeros[:p.inW]
		}
	}
	// The 16 entries go to 16 matrices of inC·tiles floats each, often a power of two apart, so
	// that writing them one tile at a time would keep 16 lines of the same cache set in flight:
	// the plain loops transform a block of tiles into buf first, then copy it out row by row; the
	// AVX-512 loops write 16 tiles of one matrix at a time, straight into V. Within a block,
	// the columns' Bᵀ·d (w; neighbouring tiles share two columns) are computed first, then the
	// tiles' (Bᵀ·d)·B, each as a loop along contiguous rows.
	const block = winogradBlock
	w, buf := &scratch.w, &scratch.buf
	stride := p.inC * tiles
	dst := v[c*tiles+t0:]
	for tb := 0; tb < tilesW; tb += block {
		n := min(block, tilesW-tb)
		x0, width := 2*tb-p.padW, 2*n+2 // the block's input columns: x0 + [0, width)
		lo := min(max(-x0, 0), width)
		hi := max(min(p.inW-x0, width), lo)
		for k := range 4 {
			clear(w[k][:lo])
			clear(w[k][hi:width])
		}
		if hi > lo {
			d0 := rows[0][x0+lo : x0+hi]
			d1, d2, d3 := rows[1][x0+lo:x0+hi], rows[2][x0+lo:x0+hi], rows[3][x0+lo:x0+hi]
			w0, w1, w2, w3 := w[0][lo:hi], w[1][lo:hi], w[2][lo:hi], w[3][lo:hi]
			d1, d2, d3 = d1[:len(d0)], d2[:len(d0)], d3[:len(d0)]
			w0, w1, w2, w3 = w0[:len(d0)], w1[:len(d0)], w2[:len(d0)], w3[:len(d0)]
			if winogradAVX512 {
				winogradColumnsAVX512(w0, w1, w2, w3, d0, d1, d2, d3)
			} else {
				for j := range d0 { // Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
					w0[j], w1[j], w2[j], w3[j] = d0[j]-d2[j], d1[j]+d2[j], d2[j]-d1[j], d1[j]-d3[j]
				}
			}
		}
		if winogradAVX512 {
			// Straight into V's 16 rows (estil patch 30): 16 values per store, so no cache set
			// thrashes, and no copy.
			for k := range 4 {
				row := func(xi int) []float32 { return dst[xi*stride+tb:][:n] }
				winogradRowsAVX512(row(4*k), row(4*k+1), row(4*k+2), row(4*k+3), w[k][:], n)
			}
			continue
		}
		for k := range 4 {
			wk := w[k][:width]
			o0, o1, o2, o3 := buf[4*k][:n], buf[4*k+1][:n], buf[4*k+2][:n], buf[4*k+3][:n]
			for i := range o0 {
				e := wk[2*i : 2*i+4]
				o0[i], o1[i], o2[i], o3[i] = e[0]-e[2], e[1]+e[2], e[2]-e[1], e[1]-e[3]
			}
		}
		for xi := range 16 {
			copy(dst[xi*stride+tb:][:n], buf[xi][:n])
		}
	}
}

// winogradOutputChannelsFirst writes Y = Aᵀ·M·A of output channel o for the tiles of tile row R
// into the output, m holding m[ξ][o][t] for the chunk's tiles (t0 the row's first):
// Aᵀ = [1 1 1 0; 0 1 -1 -1]. Tiles past the output's last row or column write only what is in it.
func (p *im2colPlan) winogradOutputChannelsFirst(m []float32, tiles, o, R, t0 int, scratch *winogradScratch) {
	tilesH, tilesW := p.winogradTiles()
	b, ty := R/tilesH, R%tilesH
	plane := p.outpt[(b*p.outC+o)*p.outH*p.outW:][:p.outH*p.outW]
	y := 2 * ty
	row0, row1 := plane[y*p.outW:][:p.outW], []float32(nil)
	if y+1 < p.outH {
		row1 = plane[(y+1)*p.outW:][:p.outW]
	}
	// As in winogradInputChannelsFirst, the 16 matrices are read a block of tiles at a time (the
	// plain loops through a copy, the AVX-512 ones 16 tiles of one matrix at a time).
	const block = winogradBlock
	src := &scratch.buf
	stride := p.outC * tiles
	for tb := 0; tb < tilesW; tb += block {
		n := min(block, tilesW-tb)
		if winogradAVX512 { // straight from M's 16 rows (estil patch 30), 16 values per load
			var rows [16][]float32
			for xi := range 16 {
				rows[xi] = m[xi*stride+o*tiles+t0+tb:][:n]
			}
			winogradOutputAVX512(&rows, n, row0, row1, 2*tb)
			continue
		}
		for xi := range 16 {
			copy(src[xi][:n], m[xi*stride+o*tiles+t0+tb:][:n])
		}
		for i := range n {
			tx := tb + i
			// Aᵀ·M: rows s (i = 0) and u (i = 1), 4 columns each.
			m00, m01, m02, m03 := src[0][i], src[1][i], src[2][i], src[3][i]
			m10, m11, m12, m13 := src[4][i], src[5][i], src[6][i], src[7][i]
			m20, m21, m22, m23 := src[8][i], src[9][i], src[10][i], src[11][i]
			m30, m31, m32, m33 := src[12][i], src[13][i], src[14][i], src[15][i]
			s0, s1, s2, s3 := m00+m10+m20, m01+m11+m21, m02+m12+m22, m03+m13+m23
			u0, u1, u2, u3 := m10-m20-m30, m11-m21-m31, m12-m22-m32, m13-m23-m33
			x := 2 * tx
			if x+1 < p.outW {
				row0[x], row0[x+1] = s0+s1+s2, s1-s2-s3
				if row1 != nil {
					row1[x], row1[x+1] = u0+u1+u2, u1-u2-u3
				}
				continue
			}
			row0[x] = s0 + s1 + s2
			if row1 != nil {
				row1[x] = u0 + u1 + u2
			}
		}
	}
}

// winogradInputChannelsLast writes V = Bᵀ·d·B of tile g (g = (b·tilesH + ty)·tilesW + tx over
// the batch) for every input channel into v[ξ][t][c], t its index in the chunk.
func (p *im2colPlan) winogradInputChannelsLast(v []float32, tiles, g, t int, zeros []float32) {
	tilesH, tilesW := p.winogradTiles()
	R, tx := g/tilesW, g%tilesW
	b, ty := R/tilesH, R%tilesH
	var d [16][]float32 // the 4×4 input pixels, each inC channels
	for i := range 4 {
		iy := 2*ty - p.padH + i
		for j := range 4 {
			ix := 2*tx - p.padW + j
			if iy < 0 || iy >= p.inH || ix < 0 || ix >= p.inW {
				d[4*i+j] = zeros[:p.inC]
			} else {
				d[4*i+j] = p.inputFlat[((b*p.inH+iy)*p.inW+ix)*p.inC:][:p.inC]
			}
		}
	}
	stride := tiles * p.inC
	var dst [16][]float32
	for xi := range 16 {
		dst[xi] = v[xi*stride+t*p.inC:][:p.inC]
	}
	for c := range p.inC {
		var w [4][4]float32 // Bᵀ·d
		for j := range 4 {
			d0, d1, d2, d3 := d[j][c], d[4+j][c], d[8+j][c], d[12+j][c]
			w[0][j], w[1][j], w[2][j], w[3][j] = d0-d2, d1+d2, d2-d1, d1-d3
		}
		for i := range 4 {
			a, b, e, f := w[i][0], w[i][1], w[i][2], w[i][3]
			dst[4*i][c], dst[4*i+1][c], dst[4*i+2][c], dst[4*i+3][c] = a-e, b+e, e-b, b-f
		}
	}
}

// winogradOutputChannelsLast writes Y = Aᵀ·M·A of tile g for every output channel into the
// output, m holding m[ξ][t][o].
func (p *im2colPlan) winogradOutputChannelsLast(m []float32, tiles, g, t int) {
	tilesH, tilesW := p.winogradTiles()
	R, tx := g/tilesW, g%tilesW
	b, ty := R/tilesH, R%tilesH
	y, x := 2*ty, 2*tx
	var out [4][]float32 // the 2×2 output pixels, nil where outside the output
	for i := range 2 {
		for j := range 2 {
			if y+i < p.outH && x+j < p.outW {
				out[2*i+j] = p.outpt[((b*p.outH+y+i)*p.outW+x+j)*p.outC:][:p.outC]
			}
		}
	}
	stride := tiles * p.outC
	var src [16][]float32
	for xi := range 16 {
		src[xi] = m[xi*stride+t*p.outC:][:p.outC]
	}
	for o := range p.outC {
		var s, u [4]float32 // the two rows of Aᵀ·M
		for j := range 4 {
			m0, m1, m2, m3 := src[j][o], src[4+j][o], src[8+j][o], src[12+j][o]
			s[j], u[j] = m0+m1+m2, m1-m2-m3
		}
		if out[0] != nil {
			out[0][o] = s[0] + s[1] + s[2]
		}
		if out[1] != nil {
			out[1][o] = s[1] - s[2] - s[3]
		}
		if out[2] != nil {
			out[2][o] = u[0] + u[1] + u[2]
		}
		if out[3] != nil {
			out[3][o] = u[1] - u[2] - u[3]
		}
	}
}
