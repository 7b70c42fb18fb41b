package nst

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/weights"
	"github.com/estil-nst/estil/weights/weightstest"
)

// goBackend is GoMLX's pure-Go backend, shared by the tests (it is what CI has).
// $ESTIL_TEST_GO_BACKEND may give it options, e.g. "go:ops_sequential".
var goBackend = sync.OnceValue(func() compute.Backend {
	spec := os.Getenv("ESTIL_TEST_GO_BACKEND")
	if spec == "" {
		spec = BackendGo
	}
	b, _, err := OpenBackend(spec, nil)
	if err != nil {
		panic(err)
	}
	return b
})

// identityInput makes a model read its input as is, like the PyTorch fixtures (no normalization).
var identityInput = weights.Preprocessing{Scale: 1, Std: [3]float64{1, 1, 1}}

// tinyModel is a VGG19 with few channels and random weights: the real structure, fast to run.
func tinyModel(t testing.TB, lowering Lowering) *Model {
	t.Helper()
	return tinyModelWith(t, lowering, 7)
}

// tinyModelSeed is tinyModel with other random weights.
func tinyModelSeed(t testing.TB, seed int64) *Model {
	t.Helper()
	return tinyModelWith(t, NativeLowering, seed)
}

func tinyModelWith(t testing.TB, lowering Lowering, seed int64) *Model {
	t.Helper()
	layout, err := weights.LayoutWithChannels([]int{4, 4, 8, 8, 8, 8, 8, 8, 16, 16, 16, 16, 16, 16, 16, 16})
	if err != nil {
		t.Fatal(err)
	}
	w, err := weights.RandomLayout(weights.VGG19, layout, seed)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(goBackend(), w, lowering)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomImage(h, w int, seed uint64) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, h*w*3)
	for i := range data {
		data[i] = r.Float32()
	}
	return tensors.FromFlatDataAndDimensions(data, h, w, 3)
}

// eval runs a small graph function on the Go backend and returns its float32 outputs.
func eval(t testing.TB, fn func([]*Node) []*Node, args ...any) [][]float32 {
	t.Helper()
	e, err := NewExec(goBackend(), fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float32, len(out))
	for i, o := range out {
		res[i] = tensors.MustCopyFlatData[float32](o)
	}
	return res
}

func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestOpenBackend(t *testing.T) {
	b, lowering, err := OpenBackend(BackendGo, nil)
	if err != nil || !IsPureGo(b) || lowering != NativeLowering {
		t.Fatalf("OpenBackend(go) = %v, %v, %v; want the pure-Go backend with the native lowering", b, lowering, err)
	}
	if _, _, err := OpenBackend("tpu", nil); err == nil {
		t.Error("OpenBackend(tpu) did not fail")
	}
	// auto falls back to the pure-Go backend where no PJRT plugin loads, saying so.
	t.Setenv("GOMLX_BACKEND", "")
	var notice strings.Builder
	b, _, err = OpenBackend(BackendAuto, &notice)
	if err != nil {
		t.Fatal(err)
	}
	if IsPureGo(b) != strings.Contains(notice.String(), "pure-Go") {
		t.Errorf("auto gave %s with notice %q", b.Name(), notice.String())
	}
}

func TestLayerNamesMatchTheOriginal(t *testing.T) {
	// The original notebook's dictionary: index in vgg19().features → name.
	want := map[int]string{0: "conv1_1", 5: "conv2_1", 10: "conv3_1", 19: "conv4_1", 21: "conv4_2", 28: "conv5_1",
		4: "pool1", 36: "pool5", 34: "conv5_4", 35: "relu5_4"}
	for index, name := range want {
		if VGG19[index].Name != name {
			t.Errorf("VGG19[%d] = %s, want %s", index, VGG19[index].Name, name)
		}
		byName, err := LayerByName(name)
		if err != nil || byName.Index != index {
			t.Errorf("LayerByName(%q) = %v, %v; want index %d", name, byName.Index, err, index)
		}
	}
	if len(VGG19) != 37 || len(ConvNames()) != 16 {
		t.Errorf("VGG19 has %d layers and %d convs, want 37 and 16", len(VGG19), len(ConvNames()))
	}
	if _, err := LayerByName("conv6_1"); err == nil {
		t.Error("LayerByName(conv6_1) did not fail")
	}
	for i, c := range weights.VGG19Layout {
		if ConvIndices()[i] != c.FeatureIndex || ConvNames()[i] != c.Name {
			t.Errorf("conv %d: nst says %s at %d, weights says %s at %d", i, ConvNames()[i], ConvIndices()[i], c.Name, c.FeatureIndex)
		}
	}
}

func TestGramMatrixByHand(t *testing.T) {
	// A 1×3 feature map with 2 channels: channel 0 = (1, 2, 3), channel 1 = (4, 5, 6), stored [d, h, w].
	f := tensors.FromValue([][][]float32{{{1, 2, 3}}, {{4, 5, 6}}})
	got := eval(t, func(in []*Node) []*Node { return []*Node{GramMatrix(in[0])} }, f)[0]
	// G = F·Fᵀ: [1·1+2·2+3·3, 1·4+2·5+3·6; ·, 4·4+5·5+6·6]
	want := []float32{14, 32, 32, 77}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Gram = %v, want %v", got, want)
		}
	}
}

func TestContentAndStyleLossByHand(t *testing.T) {
	target := tensors.FromValue([][][]float32{{{1, 2, 3}}, {{4, 5, 6}}}) // [2, 1, 3]
	content := tensors.FromValue([][][]float32{{{0, 2, 3}}, {{4, 3, 6}}})
	styleGram := tensors.FromValue([][]float32{{10, 30}, {30, 80}})
	got := eval(t, func(in []*Node) []*Node {
		return []*Node{ContentLoss(in[0], in[1]), StyleLayerLoss(in[0], in[2])}
	}, target, content, styleGram)
	// content: differences 1, 0, 0, 2, 0, 0 → mean of squares = 5/6.
	if !closeTo(float64(got[0][0]), 5.0/6, 1e-6) {
		t.Errorf("ContentLoss = %v, want %v", got[0][0], 5.0/6)
	}
	// style: G_T = [14 32; 32 77]; G_T − G_S = [4 2; 2 −3] → mean of squares = (16+4+4+9)/4 = 8.25,
	// divided by d·h·w = 2·1·3 = 6.
	if !closeTo(float64(got[1][0]), 8.25/6, 1e-6) {
		t.Errorf("StyleLayerLoss = %v, want %v", got[1][0], 8.25/6)
	}
}

func TestTotalVariationByHand(t *testing.T) {
	x := tensors.FromValue([][][]float32{{{0}, {1}}, {{3}, {5}}}) // 2×2, one channel
	got := eval(t, func(in []*Node) []*Node { return []*Node{TotalVariation(in[0])} }, x)[0][0]
	// vertical: (3−0)² + (5−1)² = 25; horizontal: (1−0)² + (5−3)² = 5.
	if got != 30 {
		t.Errorf("TotalVariation = %v, want 30", got)
	}
}

// TestFeaturesMatchPyTorch runs the tiny network of the weights fixtures (written by
// scripts/make_fixtures.py with PyTorch) and compares all 16 post-ReLU activations.
func TestFeaturesMatchPyTorch(t *testing.T) {
	dir := weightstest.Dir()
	input, want, err := weightstest.ReadFeatures()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{weightstest.Weights, weightstest.WeightsLegacy} {
		w, err := weights.ReadFile(dir+"/"+file, weights.VGG19)
		if err != nil {
			t.Fatal(err)
		}
		w.Model.Input = identityInput // the fixture feeds its input as is
		for _, lowering := range []Lowering{Im2colLowering, NativeLowering} {
			m, err := NewModel(goBackend(), w, lowering)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Features(nchwToHWC(input), ConvNames()...)
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range ConvNames() {
				ref := want[ConvIndices()[i]]
				g := tensors.MustCopyFlatData[float32](got[name])
				r := tensors.FromFlatDataAndDimensions(ref.Data, ref.Shape[1:]...) // [1, C, H, W] → [C, H, W]
				rv := tensors.MustCopyFlatData[float32](r)
				if !got[name].Shape().Equal(r.Shape()) {
					t.Fatalf("%s %s %s: shape %s, PyTorch %s", file, lowering, name, got[name].Shape(), r.Shape())
				}
				for k := range g {
					if math.Abs(float64(g[k]-rv[k])) > 1e-5*math.Max(1, math.Abs(float64(rv[k]))) {
						t.Fatalf("%s %s %s[%d] = %v, PyTorch %v", file, lowering, name, k, g[k], rv[k])
					}
				}
			}
		}
	}
}

// nchwToHWC turns a PyTorch image [1, C, H, W] into an image tensor [H, W, C].
func nchwToHWC(t weights.Tensor) *tensors.Tensor {
	c, h, w := t.Shape[1], t.Shape[2], t.Shape[3]
	out := make([]float32, len(t.Data))
	for ci := range c {
		for y := range h {
			for x := range w {
				out[(y*w+x)*c+ci] = t.Data[(ci*h+y)*w+x]
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(out, h, w, c)
}

// TestLoweringsAgree checks that the im2col lowering (Gather + MatMul) and the native one
// (Convolve: on the Go backend, estil's im2col fast path in compute) compute the same features,
// also for odd sizes and average pooling.
func TestLoweringsAgree(t *testing.T) {
	img := randomImage(37, 50, 3)
	layers := []string{"conv1_1", "conv2_1", "conv3_1", "conv4_2", "conv5_1", "pool5"}
	for _, pooling := range []Pooling{MaxPooling, AveragePooling} {
		a, b := tinyModel(t, Im2colLowering), tinyModel(t, NativeLowering)
		a.Pooling, b.Pooling = pooling, pooling
		fa, err := a.Features(img, layers...)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := b.Features(img, layers...)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range layers {
			compareTensors(t, pooling.String()+" "+name, fa[name], fb[name], 1e-4)
		}
	}
}

// TestLoweringsAgreeOnGradient checks that both lowerings give the same gradient of the loss with
// respect to the image on the Go backend: the native lowering's comes from GoMLX's Convolve
// gradient (another Convolve, on estil's im2col fast path), the im2col lowering's from the
// gradients of Gather and MatMul. So the gradient XLA would use is checked in every CI run.
func TestLoweringsAgreeOnGradient(t *testing.T) {
	gradient := func(lowering Lowering) *tensors.Tensor {
		objective, rest := originalLoss(t, tinyModel(t, lowering), randomImage(37, 26, 1), randomImage(30, 34, 2))
		e, err := NewExec(goBackend(), func(in []*Node) []*Node {
			loss, _ := objective(in[0], in[1:])
			return []*Node{Gradient(loss, in[0])[0]}
		})
		if err != nil {
			t.Fatal(err)
		}
		return e.MustExec(append([]any{randomImage(37, 26, 3)}, rest...)...)[0]
	}
	native, im2col := gradient(NativeLowering), gradient(Im2colLowering)
	a, b := tensors.MustCopyFlatData[float32](native), tensors.MustCopyFlatData[float32](im2col)
	var largest float64
	for _, v := range b {
		largest = math.Max(largest, math.Abs(float64(v)))
	}
	if largest == 0 {
		t.Fatal("the im2col lowering's gradient is all zeros")
	}
	for i := range a {
		if d := math.Abs(float64(a[i] - b[i])); d > 1e-4*largest {
			t.Fatalf("∂loss/∂x[%d]: native %v, im2col %v (largest component %v)", i, a[i], b[i], largest)
		}
	}
}

// TestLoweringsAgreeOnXLA compares the pure-Go backend's features with XLA's. It needs an XLA
// PJRT plugin, which cannot be installed on machines without network access to its release site
// (this project's CI among them).
func TestLoweringsAgreeOnXLA(t *testing.T) {
	xla, lowering, err := OpenBackend(BackendXLACPU, nil)
	if err != nil {
		// go-xla v0.4 multiplies float32 matrices in TF32 on CUDA unless told not to.
		if xla, lowering, err = OpenBackend(BackendXLACUDA+",tf32=false", nil); err != nil {
			t.Skipf("no XLA PJRT plugin loads here (%v): the XLA half of the lowering check runs where one does", oneLineSummary(err.Error()))
		}
	}
	w := tinyModel(t, NativeLowering).Weights
	onXLA, err := NewModel(xla, w, lowering)
	if err != nil {
		t.Fatal(err)
	}
	img := randomImage(40, 33, 5)
	layers := []string{"conv1_1", "conv2_1", "conv3_1", "conv4_2", "conv5_1"}
	fa, err := tinyModel(t, NativeLowering).Features(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := onXLA.Features(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range layers {
		compareTensors(t, name, fa[name], fb[name], 1e-4)
	}
}

func compareTensors(t *testing.T, what string, a, b *tensors.Tensor, tol float64) {
	t.Helper()
	if !a.Shape().Equal(b.Shape()) {
		t.Fatalf("%s: shapes %s and %s", what, a.Shape(), b.Shape())
	}
	av, bv := tensors.MustCopyFlatData[float32](a), tensors.MustCopyFlatData[float32](b)
	for i := range av {
		if !closeTo(float64(av[i]), float64(bv[i]), tol) {
			t.Fatalf("%s[%d]: %v vs %v", what, i, av[i], bv[i])
		}
	}
}

// originalLoss sets up the original's loss (a Transfer's defaults) on m for a content and a style
// image: the objective, and the tensors that follow the image in its inputs (the network's
// parameters, then the content and style targets).
func originalLoss(t testing.TB, m *Model, content, style *tensors.Tensor) (func(x *Node, inputs []*Node) (*Node, []*Node), []any) {
	t.Helper()
	return lossOf(t, NewTransfer(m), content, style)
}

func randomMatrix(rows, cols int, seed uint64) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 9))
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, rows, cols)
}

// TestLossGradientMatchesFiniteDifferences checks the gradient the optimizer gets (autodiff
// through each lowering, pooling and the Gram matrices) against central finite differences of the
// loss, on a tiny network.
func TestLossGradientMatchesFiniteDifferences(t *testing.T) {
	for _, lowering := range []Lowering{NativeLowering, Im2colLowering} {
		t.Run(lowering.String(), func(t *testing.T) { checkGradientByFiniteDifferences(t, lowering) })
	}
}

func checkGradientByFiniteDifferences(t *testing.T, lowering Lowering) {
	contentImg, _ := TensorImage(randomImage(20, 18, 1))
	objective, rest := originalLoss(t, tinyModel(t, lowering), ImageTensor(contentImg), randomImage(22, 16, 2))
	x := randomImage(20, 18, 3) // the point where the gradient is taken
	args := append([]any{x}, rest...)
	e, err := NewExec(goBackend(), func(in []*Node) []*Node {
		loss, _ := objective(in[0], in[1:])
		return []*Node{loss, Gradient(loss, in[0])[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	out := e.MustExec(args...)
	grad := tensors.MustCopyFlatData[float32](out[1])

	// The finite differences are taken in float64, on the same graph fed float64 tensors. In
	// float32 they cannot check this gradient: the loss here is ~1.2·10⁸, whose float32 spacing is
	// 8, so a central difference with eps 10⁻² moves in steps of 8/(2·eps) = 400, ~2 % of the
	// derivative (seen: −17600 against −18221.5, and −18000 or −18667 with other eps).
	args64 := make([]any, len(args))
	for k, a := range args {
		args64[k] = toFloat64(a.(*tensors.Tensor))
	}
	e64, err := NewExec(goBackend(), func(in []*Node) []*Node {
		loss, _ := objective(in[0], in[1:])
		return []*Node{loss}
	})
	if err != nil {
		t.Fatal(err)
	}
	lossAt := func(v []float64) float64 {
		args64[0] = tensors.FromFlatDataAndDimensions(v, 20, 18, 3)
		return tensors.MustCopyFlatData[float64](e64.MustExec(args64...)[0])[0]
	}
	base := tensors.MustCopyFlatData[float64](args64[0].(*tensors.Tensor))
	finiteDifferences(lossAt, base, 1e-3, 8, func(i int, fd float64) {
		if !closeTo(fd, float64(grad[i]), 1e-3) {
			t.Errorf("∂loss/∂x[%d]: autodiff %v, finite differences %v", i, grad[i], fd)
		}
	})
}

// finiteDifferences calls check(i, (f(x + eps·e_i) − f(x − eps·e_i))/(2·eps)), the central
// difference of f at base along component i, for n components i drawn with a fixed seed.
func finiteDifferences(f func([]float64) float64, base []float64, eps float64, n int, check func(i int, fd float64)) {
	r := rand.New(rand.NewPCG(4, 4))
	for range n {
		i := r.IntN(len(base))
		plus, minus := append([]float64{}, base...), append([]float64{}, base...)
		plus[i] += eps
		minus[i] -= eps
		check(i, (f(plus)-f(minus))/(2*eps))
	}
}

// toFloat64 converts a float32 tensor to float64, with its shape.
func toFloat64(t *tensors.Tensor) *tensors.Tensor {
	v := tensors.MustCopyFlatData[float32](t)
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return tensors.FromFlatDataAndDimensions(w, t.Shape().Dimensions...)
}

// TestNormalize checks each model's input preparation (nst's normalize, the one home of it) on one
// pixel, by hand, and that denormalize inverts it. The Caffe model's BGR order is not done here:
// its first kernel's input channels are reversed instead (TestCaffeInput).
func TestNormalize(t *testing.T) {
	rgb := tensors.FromValue([][][]float32{{{1, 0.5, 0}}})
	for _, c := range []struct {
		model weights.Model
		want  []float32
	}{
		// Caffe: ×255, minus (123.68, 116.779, 103.939) in RGB order.
		{weights.VGG19Caffe, []float32{255 - 123.68, 127.5 - 116.779, 0 - 103.939}},
		// torchvision: (x − mean) / std.
		{weights.VGG19, []float32{(1 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0 - 0.406) / 0.225}},
	} {
		m := &Model{Weights: &weights.Set{Model: c.model}}
		got := eval(t, func(in []*Node) []*Node {
			x := m.normalize(in[0])
			return []*Node{x, m.denormalize(x)}
		}, rgb)
		for i := range 3 {
			if !closeTo(float64(got[0][i]), float64(c.want[i]), 1e-6) {
				t.Errorf("%s: normalize = %v, want %v", c.model.Name, got[0], c.want)
			}
			if !closeTo(float64(got[1][i]), []float64{1, 0.5, 0}[i], 1e-5) {
				t.Errorf("%s: denormalize(normalize(x)) = %v, want x", c.model.Name, got[1])
			}
		}
	}
}

// TestCaffeInput checks the Caffe model's preparation: estil takes RGB in [0, 1] and reverses the
// first kernel's input channels, which must equal feeding the network what Caffe fed it,
// BGR·255 − (103.939, 116.779, 123.68), with the kernel as stored.
func TestCaffeInput(t *testing.T) {
	caffe := tinyModel(t, Im2colLowering).Weights
	caffe.Model = weights.VGG19Caffe
	asStored := *caffe
	asStored.Model.BGR, asStored.Model.Input = false, identityInput
	a, err := NewModel(goBackend(), caffe, Im2colLowering)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewModel(goBackend(), &asStored, Im2colLowering)
	if err != nil {
		t.Fatal(err)
	}
	img := randomImage(24, 20, 8)
	rgb := tensors.MustCopyFlatData[float32](img)
	bgr := make([]float32, len(rgb))
	mean := [3]float32{103.939, 116.779, 123.68} // B, G, R
	for p := 0; p < len(rgb); p += 3 {
		for c := range 3 {
			bgr[p+c] = 255*rgb[p+2-c] - mean[c]
		}
	}
	fa, err := a.Features(img, "conv1_1", "conv3_1")
	if err != nil {
		t.Fatal(err)
	}
	fb, err := b.Features(tensors.FromFlatDataAndDimensions(bgr, 24, 20, 3), "conv1_1", "conv3_1")
	if err != nil {
		t.Fatal(err)
	}
	compareTensors(t, "conv1_1", fa["conv1_1"], fb["conv1_1"], 1e-4)
	compareTensors(t, "conv3_1", fa["conv3_1"], fb["conv3_1"], 1e-4)
}

// TestSIMDNotice checks that the Go backend tells a build without GOEXPERIMENT=simd so, in one
// line, and says nothing for a build with it. The test binary is built as `go test` was run, so
// it checks whichever case this run is, against the build settings.
func TestSIMDNotice(t *testing.T) {
	simd, recorded := SIMDBuild()
	if !recorded {
		t.Fatal("no build settings in the test binary")
	}
	var notice strings.Builder
	if _, _, err := OpenBackend(BackendGo, &notice); err != nil {
		t.Fatal(err)
	}
	switch {
	case simd && notice.Len() != 0:
		t.Errorf("built with GOEXPERIMENT=simd, yet the backend says: %q", notice.String())
	case !simd && runtime.GOARCH == "amd64":
		if n := strings.Count(notice.String(), "\n"); n != 1 || !strings.Contains(notice.String(), "GOEXPERIMENT=simd") {
			t.Errorf("built without GOEXPERIMENT=simd, the notice is %q; want one line naming GOEXPERIMENT=simd", notice.String())
		}
	}
	if os.Getenv("CI") != "" && !simd && runtime.GOARCH == "amd64" {
		t.Error("CI builds without GOEXPERIMENT=simd: the timings and the notebooks then run the slow matrix products")
	}
}

// TestLoadModelOfflineFallback: when the default weights cannot be had (here a damaged file in
// the cache, which fails without any network), LoadModel calls OfflineFallback with the reason
// and goes on with random weights, saying so; without the option it fails.
func TestLoadModelOfflineFallback(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("ESTIL_CACHE_DIR", cache)
	if err := os.WriteFile(filepath.Join(cache, weights.VGG19.FileName), []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModel(context.Background(), LoadOptions{Backend: BackendGo}); err == nil {
		t.Fatal("a damaged cached checkpoint loaded without an error")
	}
	var reason error
	var notice strings.Builder
	m, err := LoadModel(context.Background(), LoadOptions{Backend: BackendGo, Notice: &notice, OfflineFallback: func(err error) { reason = err }})
	if err != nil {
		t.Fatal(err)
	}
	if reason == nil || !m.Weights.Random || !strings.Contains(notice.String(), RandomWeightsWarning) {
		t.Errorf("fallback reason %v, random weights %v, notice %q: want a reason, random weights and the warning",
			reason, m.Weights.Random, notice.String())
	}
}
