package nst

import (
	"context"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/images"
)

// halfMask is a w×h mask that is white on the left half (left) or the right half.
func halfMask(w, h int, left bool) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if (x < w/2) == left {
				m.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	return m
}

// stripes and checker are two style pictures with very different statistics: red and blue
// vertical stripes 4 px wide, and a green and yellow 8 px checkerboard.
func stripes(w, h int) image.Image {
	return twoColours(w, h, color.NRGBA{220, 30, 30, 255}, color.NRGBA{30, 40, 200, 255}, func(x, _ int) bool { return x/4%2 == 1 })
}

func checker(w, h int) image.Image {
	return twoColours(w, h, color.NRGBA{40, 180, 40, 255}, color.NRGBA{240, 230, 60, 255}, func(x, y int) bool { return (x/8+y/8)%2 == 1 })
}

// twoColours is a w×h picture in colour a, and b where second(x, y).
func twoColours(w, h int, a, b color.NRGBA, second func(x, y int) bool) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := a
			if second(x, y) {
				c = b
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// TestGuidedGramAllOnesIsGram checks GuidedGram against GramMatrix: with an all-ones guide they
// are equal (with every GramNorm), and with a guide that keeps some columns the guided Gram
// matrix is the Gram matrix of those columns alone, times h·w over their number of positions.
func TestGuidedGramAllOnesIsGram(t *testing.T) {
	const d, h, w = 4, 6, 5
	feature := randomMatrix(d, h*w, 3)
	ones := tensors.FromFlatDataAndDimensions(allOnes(w, h), h, w)
	for _, norm := range []GramNorm{GramNormNone, GramNormHW, GramNormCHW} {
		out := eval(t, func(in []*Node) []*Node {
			f := Reshape(in[0], d, h, w)
			return []*Node{norm.Gram(f), norm.GuidedGram(f, in[1])}
		}, feature, ones)
		for i := range out[0] {
			if !closeTo(float64(out[0][i]), float64(out[1][i]), 1e-6) {
				t.Fatalf("%s: guided Gram with an all-ones guide [%d] = %v, Gram %v", norm, i, out[1][i], out[0][i])
			}
		}
	}

	// Columns 0 and 1 of 5: the guided Gram matrix is (h·w / (2·h))·Σ over those positions.
	cols := make([]float32, w*h)
	for y := range h {
		cols[y*w], cols[y*w+1] = 1, 1
	}
	got := eval(t, func(in []*Node) []*Node {
		return []*Node{GuidedGram(Reshape(in[0], d, h, w), in[1])}
	}, feature, tensors.FromFlatDataAndDimensions(cols, h, w))[0]
	f := tensors.MustCopyFlatData[float32](feature)
	for i := range d {
		for j := range d {
			var sum float64
			for p := range h * w {
				if cols[p] == 1 {
					sum += float64(f[i*h*w+p]) * float64(f[j*h*w+p])
				}
			}
			want := sum * float64(h*w) / float64(2*h)
			if !closeTo(float64(got[i*d+j]), want, 1e-5) {
				t.Fatalf("guided Gram [%d][%d] = %v, want %v", i, j, got[i*d+j], want)
			}
		}
	}
}

// TestHalveMaskAveragesBlocks checks the mask's downsampling on a 5×3 mask: each position is the
// mean of its 2×2 block, and the last odd column and row are dropped, as VGG19's pooling does.
func TestHalveMaskAveragesBlocks(t *testing.T) {
	m := []float32{
		1, 1, 0, 1, 1,
		1, 0, 0, 1, 1,
		0, 0, 0, 0, 1,
	}
	got, w, h := halveMask(m, 5, 3)
	want := []float32{0.75, 0.5}
	if w != 2 || h != 1 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("halveMask = %v (%d×%d), want %v (2×1)", got, w, h, want)
	}
}

// regionGrams are the guided Gram matrices of picture img at each style layer of tr's loss, in
// the region mask (w×h values; nil: the whole picture), computed here in float64 from the
// network's features, independently of GuidedGram and of the objective.
func regionGrams(t *testing.T, tr *Transfer, img image.Image, mask []float32) [][]float64 {
	t.Helper()
	names := styleNames(tr.Loss.StyleLayers)
	layers, _ := resolveLayers(names)
	feats, err := tr.Model.Features(ImageTensor(img), names...)
	if err != nil {
		t.Fatal(err)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if mask == nil {
		mask = allOnes(w, h)
	}
	guides, err := maskPyramid(mask, w, h, layers)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(names))
	for l, name := range names {
		f := tensors.MustCopyFlatData[float32](feats[name])
		d := feats[name].Shape().Dim(0)
		g := tensors.MustCopyFlatData[float32](guides[l])
		var size float64
		for _, v := range g {
			size += float64(v * v)
		}
		n := len(g)
		gram := make([]float64, d*d)
		for i := range d {
			for j := range d {
				var s float64
				for p, v := range g {
					s += float64(v*v) * float64(f[i*n+p]) * float64(f[j*n+p])
				}
				gram[i*d+j] = s * float64(n) / size
			}
		}
		out[l] = gram
	}
	return out
}

// gramDistance is Σ_l w_l·‖G_l − H_l‖_F / ‖H_l‖_F with the loss's layer weights w_l: how far the
// Gram matrices G are from H, each layer relative to H's size, weighted as the style loss weighs
// the layers.
func gramDistance(g, h [][]float64, layers []StyleLayer) float64 {
	var sum float64
	for l := range g {
		var diff, norm float64
		for i := range g[l] {
			diff += (g[l][i] - h[l][i]) * (g[l][i] - h[l][i])
			norm += h[l][i] * h[l][i]
		}
		sum += layers[l].Weight * math.Sqrt(diff/norm)
	}
	return sum
}

// TestSpatialControlPutsEachStyleInItsRegion runs a transfer with two styles and two masks, the
// stripes on the left half and the checkerboard on the right, and checks that each region of the
// result has its own style's Gram matrices: its distance (gramDistance) to its own style's is at
// most half its distance to the other's. It also checks the styles' statistics really came apart:
// in the content, each region is nearer neither style by that margin.
func TestSpatialControlPutsEachStyleInItsRegion(t *testing.T) {
	const w, h = 64, 64
	content := images.Lighthouse(w, h)
	left, right := halfMask(w, h, true), halfMask(w, h, false)
	styles := []Style{
		{Image: stripes(w, h), Weight: 1, Mask: left},
		{Image: checker(w, h), Weight: 1, Mask: right},
	}
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 100
	res, err := tr.Run(context.Background(), content, styles)
	if err != nil {
		t.Fatal(err)
	}
	stripesG, checkerG := regionGrams(t, tr, styles[0].Image, nil), regionGrams(t, tr, styles[1].Image, nil)
	const margin = 0.7
	for _, tc := range []struct {
		name       string
		mask       *image.Gray
		own, other [][]float64
		ownName    string
		otherName  string
	}{
		{"left", left, stripesG, checkerG, "stripes", "checker"},
		{"right", right, checkerG, stripesG, "checker", "stripes"},
	} {
		m, _, _, err := Mask(tc.mask)
		if err != nil {
			t.Fatal(err)
		}
		before := regionGrams(t, tr, content, m)
		after := regionGrams(t, tr, res.Image, m)
		own, other := gramDistance(after, tc.own, tr.Loss.StyleLayers), gramDistance(after, tc.other, tr.Loss.StyleLayers)
		t.Logf("%s region: distance to %s %.3f, to %s %.3f (in the content: %.3f, %.3f)", tc.name, tc.ownName, own, tc.otherName, other,
			gramDistance(before, tc.own, tr.Loss.StyleLayers), gramDistance(before, tc.other, tr.Loss.StyleLayers))
		if !(own <= margin*other) {
			t.Errorf("%s region: its Gram matrices are %.3f from the %s style's and %.3f from the %s style's, want at most %.1f× as far from its own",
				tc.name, own, tc.ownName, other, tc.otherName, margin)
		}
		if gramDistance(before, tc.own, tr.Loss.StyleLayers) <= margin*gramDistance(before, tc.other, tr.Loss.StyleLayers) {
			t.Errorf("%s region of the content is already near the %s style: the test shows nothing", tc.name, tc.ownName)
		}
	}
}

// TestSpatialControlLeavesUnmaskedRegionAlone masks the left half of the result only: the right
// half, from 8 px past the boundary, must stay within a mean absolute difference of 0.03 (on
// pixel values in [0, 1]) of the content, while the left half moves by more than 0.1.
func TestSpatialControlLeavesUnmaskedRegionAlone(t *testing.T) {
	const w, h = 48, 48
	content := images.Lighthouse(w, h)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 40
	res, err := tr.Run(context.Background(), content, []Style{{Image: stripes(w, h), Weight: 1, Mask: halfMask(w, h, true)}})
	if err != nil {
		t.Fatal(err)
	}
	a, _, _ := images.ToHWC(content)
	b, _, _ := images.ToHWC(res.Image)
	meanDiff := func(x0, x1 int) float64 {
		var s float64
		var n int
		for y := range h {
			for x := x0; x < x1; x++ {
				for c := range 3 {
					i := (y*w+x)*3 + c
					s += math.Abs(float64(a[i] - b[i]))
					n++
				}
			}
		}
		return s / float64(n)
	}
	masked, unmasked := meanDiff(0, w/2), meanDiff(w/2+8, w)
	t.Logf("mean |result − content|: masked half %.4f, unmasked half (past 8 px) %.4f", masked, unmasked)
	if !(masked > 0.1) {
		t.Errorf("the masked half moved by %.4f on average, want > 0.1: the style did not arrive", masked)
	}
	if !(unmasked < 0.03) {
		t.Errorf("the unmasked half moved by %.4f on average, want < 0.03: it should keep the content", unmasked)
	}
}

// TestSpatialControlRefusesBadMasks checks each bad mask's error.
func TestSpatialControlRefusesBadMasks(t *testing.T) {
	const w, h = 32, 32
	content, style := images.Lighthouse(w, h), stripes(w, h)
	grey := image.NewGray(image.Rect(0, 0, w, h))
	for i := range grey.Pix {
		grey.Pix[i] = 128
	}
	for _, tc := range []struct {
		name   string
		styles []Style
		want   string
	}{
		{"wrong size", []Style{{Image: style, Weight: 1, Mask: halfMask(w, h+1, true)}}, "mask is 32×33, but the content is 32×32"},
		{"grey", []Style{{Image: style, Weight: 1, Mask: grey}}, "is not black and white: pixel (0, 0) is grey (0.50)"},
		{"empty", []Style{{Image: style, Weight: 1, Mask: image.NewGray(image.Rect(0, 0, w, h))}}, "is empty"},
		{"overlap", []Style{{Image: style, Weight: 1, Mask: halfMask(w, h, true)}, {Image: style, Weight: 1, Mask: halfMask(w, h, true)}},
			"the masks of styles 1 and 2 overlap, at pixel (0, 0)"},
		{"one without", []Style{{Image: style, Weight: 1, Mask: halfMask(w, h, true)}, {Image: style, Weight: 1}},
			"style 2 has no mask"},
		{"guide size", []Style{{Image: style, Weight: 1, Guide: halfMask(w+2, h, true)}}, "style 1's guide is 34×32, but its picture is 32×32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTransfer(tinyModel(t, NativeLowering))
			tr.Iterations = 1
			_, err := tr.Run(context.Background(), content, tc.styles)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
		})
	}
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Loss.StyleLoss = StyleLossW2
	_, err := tr.Run(context.Background(), content, []Style{{Image: style, Weight: 1, Mask: halfMask(w, h, true)}})
	if err == nil || !strings.Contains(err.Error(), "gram style loss only") {
		t.Fatalf("masks with the w2 loss: error %v, want a refusal", err)
	}
}

// TestMasksAreInputs checks that masks and guides enter the inputs' digest, so that a checkpoint
// of a run with one mask is refused by a run with another, while a run without masks keeps the
// digest it had before masks existed.
func TestMasksAreInputs(t *testing.T) {
	const w, h = 32, 32
	content, style := images.Lighthouse(w, h), stripes(w, h)
	plain := inputsDigest(content, []Style{{Image: style, Weight: 1}}, nil)
	left := inputsDigest(content, []Style{{Image: style, Weight: 1, Mask: halfMask(w, h, true)}}, nil)
	right := inputsDigest(content, []Style{{Image: style, Weight: 1, Mask: halfMask(w, h, false)}}, nil)
	guided := inputsDigest(content, []Style{{Image: style, Weight: 1, Mask: halfMask(w, h, true), Guide: halfMask(w, h, true)}}, nil)
	if plain == left || left == right || left == guided {
		t.Fatalf("digests: no mask %s, left %s, right %s, left with a guide %s: want all different", plain, left, right, guided)
	}
}

// TestRunScalesResizesMasks runs two scales with masks given at the content's size: each scale
// gets them resized (a mask of another size would be refused), and a mask that does not fit the
// content as given is refused before any scale runs.
func TestRunScalesResizesMasks(t *testing.T) {
	const w, h = 48, 48
	content := images.Lighthouse(w, h)
	styles := []Style{
		{Image: stripes(w, h), Weight: 1, Mask: halfMask(w, h, true), Guide: halfMask(w, h, false)},
		{Image: checker(w, h), Weight: 1, Mask: halfMask(w, h, false)},
	}
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 2
	var sizes []int
	res, err := tr.RunScales(context.Background(), content, styles, []int{32, 48}, StyleSizing{}, func(r ScaleReport) error {
		sizes = append(sizes, r.Width)
		return nil
	})
	if err != nil || len(sizes) != 2 || res.Image.Bounds().Dx() != 48 {
		t.Fatalf("RunScales with masks: scales %v, error %v", sizes, err)
	}
	styles[1].Mask = halfMask(w/2, h/2, false)
	if _, err := tr.RunScales(context.Background(), content, styles, []int{32, 48}, StyleSizing{}, nil); err == nil ||
		!strings.Contains(err.Error(), "style 2's mask is 24×24, but the content is 48×48") {
		t.Fatalf("a mask of half the content's size: error %v", err)
	}
}

// TestLabelMask picks the regions of a label image painted in three colours: each colour's mask
// is exactly its pixels, a colour 10/255 off (a JPEG's error in flat parts) still counts, and one
// 20/255 off does not.
func TestLabelMask(t *testing.T) {
	sky, ground, sea := color.NRGBA{135, 206, 235, 255}, color.NRGBA{139, 69, 19, 255}, color.NRGBA{0, 0, 128, 255}
	labels := image.NewNRGBA(image.Rect(0, 0, 6, 3))
	for x := range 6 {
		labels.SetNRGBA(x, 0, sky)
		labels.SetNRGBA(x, 1, ground)
		labels.SetNRGBA(x, 2, sea)
	}
	labels.SetNRGBA(0, 0, color.NRGBA{145, 196, 235, 255}) // sky, 10/255 off
	labels.SetNRGBA(1, 0, color.NRGBA{155, 206, 235, 255}) // 20/255 off: no region
	for row, c := range []color.NRGBA{sky, ground, sea} {
		m := LabelMask(labels, c)
		for y := range 3 {
			for x := range 6 {
				want := y == row && !(y == 0 && x == 1)
				if got := m.GrayAt(x, y).Y == 255; got != want {
					t.Errorf("colour %v at (%d, %d): in the mask %v, want %v", c, x, y, got, want)
				}
			}
		}
	}
}

// TestGuideTakesTheStyleFromItsRegion gives one style picture, stripes on its left half and the
// checkerboard on its right, with a guide on its left half only: the whole result must take the
// stripes' statistics; the same picture guided to its right half must take the checkerboard's.
// "Take" is measured against the same picture without a guide, run alike: the ratio of the
// result's distance (gramDistance) to the guided region's Gram matrices over its distance to the
// other region's must be at most 0.7× the unguided result's ratio. (An absolute bound on the
// ratio, 0.7, sat inside the spread that float rounding alone gives after 100 L-BFGS iterations:
// 0.66–0.71 for the stripes across the AVX-512, AVX2 and generic kernels and two summation
// orders, against 1.26 unguided; the checkerboard gave 0.31–0.33 against 0.79.)
func TestGuideTakesTheStyleFromItsRegion(t *testing.T) {
	const w, h = 64, 64
	content := images.Lighthouse(w, h)
	half := image.NewNRGBA(image.Rect(0, 0, w, h))
	st, ch := stripes(w, h), checker(w, h)
	for y := range h {
		for x := range w {
			src := st
			if x >= w/2 {
				src = ch
			}
			half.Set(x, y, src.At(x, y))
		}
	}
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 100
	stripesG, checkerG := regionGrams(t, tr, st, nil), regionGrams(t, tr, ch, nil)
	run := func(guide image.Image) [][]float64 { // guide nil: none
		t.Helper()
		res, err := tr.Run(context.Background(), content, []Style{{Image: half, Weight: 1, Guide: guide}})
		if err != nil {
			t.Fatal(err)
		}
		return regionGrams(t, tr, res.Image, nil)
	}
	unguided := run(nil)
	for _, tc := range []struct {
		left       bool
		own, other [][]float64
		name       string
	}{{true, stripesG, checkerG, "stripes"}, {false, checkerG, stripesG, "checker"}} {
		g := run(halfMask(w, h, tc.left))
		own, other := gramDistance(g, tc.own, tr.Loss.StyleLayers), gramDistance(g, tc.other, tr.Loss.StyleLayers)
		ownUnguided, otherUnguided := gramDistance(unguided, tc.own, tr.Loss.StyleLayers), gramDistance(unguided, tc.other, tr.Loss.StyleLayers)
		t.Logf("guide on the %s: distance to %s %.3f, to the other %.3f (ratio %.3f); unguided %.3f and %.3f (ratio %.3f)",
			tc.name, tc.name, own, other, own/other, ownUnguided, otherUnguided, ownUnguided/otherUnguided)
		if !(own/other <= 0.7*ownUnguided/otherUnguided) {
			t.Errorf("guided to the %s half, the result is %.3f from the %s's Gram matrices and %.3f from the other's (ratio %.3f); "+
				"unguided, %.3f and %.3f (ratio %.3f): want the guided ratio at most 0.7× the unguided one",
				tc.name, own, tc.name, other, own/other, ownUnguided, otherUnguided, ownUnguided/otherUnguided)
		}
	}
}

// TestRegionWeightsAreInTheCompiledObjective: the regions' weights are constants of the
// objective's graph, so a run with other weights (or without masks) on the same model and size
// must not reuse the graphs of the last: its result equals a fresh model's.
func TestRegionWeightsAreInTheCompiledObjective(t *testing.T) {
	const w, h = 32, 32
	m := tinyModel(t, NativeLowering)
	content := images.Lighthouse(w, h)
	styles := func(right float64) []Style {
		return []Style{{Image: stripes(w, h), Weight: 1, Mask: halfMask(w, h, true)}, {Image: checker(w, h), Weight: right, Mask: halfMask(w, h, false)}}
	}
	run := func(m *Model, s []Style) image.Image {
		t.Helper()
		tr := NewTransfer(m)
		tr.Iterations = 3
		res, err := tr.Run(context.Background(), content, s)
		if err != nil {
			t.Fatal(err)
		}
		return res.Image
	}
	run(m, styles(1))
	for _, c := range []struct {
		name   string
		styles []Style
	}{
		{"the right region weighted 3", styles(3)},
		{"no masks", []Style{{Image: stripes(w, h), Weight: 1}}},
	} {
		if got, want := run(m, c.styles), run(tinyModel(t, NativeLowering), c.styles); !sameImage(got, want) {
			t.Errorf("%s, after another run: the result differs from a fresh model's (the graphs of the other loss were reused)", c.name)
		}
	}
}
