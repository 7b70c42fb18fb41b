package nst

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst/styleloss"
	"github.com/estil-nst/estil/optim"
)

// Init says where the optimized image starts (Transfer.Init).
type Init string

const (
	InitContent Init = "content" // a copy of the content image (the original's choice)
	InitNoise   Init = "noise"   // uniform noise (Gatys et al.)
	InitStyle   Init = "style"   // the (first) style image, resized to the content's size
)

// Style is one style image and its weight in the blend (several styles are mixed by
// averaging their Gram matrices with these weights, as neural-style does).
//
// With spatial control (Gatys et al. 2017, §4; see mask.go) a style may instead take one region
// of the result: Mask, a black-and-white picture of the content's size, is white where the
// result takes this style (nil: everywhere); Guide, one of the style picture's size, is white
// where the style's statistics are taken from (nil: the whole picture). With any Mask or Guide
// the styles are not blended: each has its own guided style term, weighted by Weight, and pixels
// in no Mask only feel the content loss. Masks work with the Gram style loss only.
//
// Layers, when set, are the style layers (names from Loss.StyleLayers) at which this style is
// matched; at the others the targets come from the other styles alone, blended by their weights.
// Scale control (SynthesizeStyle) uses it: the fine layers' targets from one picture, the coarse
// layers' from another. Nil: every style layer. Every style layer needs a style.
type Style struct {
	Image  image.Image
	Weight float64
	Mask   image.Image
	Guide  image.Image
	Layers []string
}

// at reports whether the style is matched at style layer name (Style.Layers).
func (s Style) at(name string) bool { return s.Layers == nil || slices.Contains(s.Layers, name) }

// Transfer is one style transfer: it adjusts the pixels of a target image, starting from Init,
// so that its content features stay those of the content image and its Gram matrices become
// those of the style image(s), minimizing Loss with Optimizer. Create it with NewTransfer.
type Transfer struct {
	Model *Model
	Loss  LossConfig

	// Optimizer is optim.LBFGSName (default, the original's), optim.AdamName or
	// optim.GradientDescentName (the baseline the others are compared with in the teaching kit);
	// Iterations counts L-BFGS iterations (each may evaluate the loss more than once) or Adam and
	// gradient-descent steps.
	Optimizer  optim.Name
	Iterations int
	// LearningRate is L-BFGS's lr (default 1, torch's) or Adam's (default 0.02 on normalized
	// pixels).
	LearningRate float64
	// LineSearch makes L-BFGS search along each direction for a step that satisfies the strong
	// Wolfe conditions (torch's line_search_fn="strong_wolfe"; the default). Without it each
	// step is lr·d, torch's default, which on VGG19's style loss can overshoot by orders of
	// magnitude in the first iterations.
	LineSearch bool

	// Init is InitContent, InitNoise, InitStyle, or an image given in InitImage.
	Init      Init
	InitImage image.Image
	Seed      uint64

	// OnEvaluation, if set, is called after every evaluation of the loss with its parts; an error
	// stops the run (the best image so far is still returned).
	OnEvaluation func(Evaluation) error
	// OnIteration, if set, is called after every L-BFGS iteration with what the optimizer saw (step
	// length, gradient norm, curvature sᵀy, history used, evaluations so far); an error stops the
	// run. Adam and gradient descent don't call it.
	OnIteration func(optim.Iteration) error
	// Snapshot, if set, is called every SnapshotEvery iterations with the current image.
	Snapshot      func(iteration int, img image.Image) error
	SnapshotEvery int

	// Save, if set, is called with the transfer's whole state (Checkpoint) every SaveEvery
	// iterations and, when ctx is cancelled, at the end of the current iteration (the run then
	// stops with ctx's error). Resume, if set, is a checkpoint to continue from instead of Init;
	// Run refuses it if its settings, inputs or weights differ from the run's.
	// With SaveAtEnd, Save is also called when the run ends (at RunScales's last scale), so that
	// the finished run can be resumed with more Iterations.
	Save      func(*Checkpoint) error
	SaveEvery int
	SaveAtEnd bool
	Resume    *Checkpoint
}

// runStart is where one run of the optimizer starts. Run takes it from the Transfer's Init,
// InitImage and Resume; RunScales gives each scale its own, so that a Transfer is a description
// that no run changes.
type runStart struct {
	init      Init
	initImage image.Image
	resume    *Checkpoint
	scale     *scaleRun // nil unless the run is a scale of RunScales
}

// Evaluation is one evaluation of the loss during a transfer.
type Evaluation struct {
	N         int     `json:"evaluation"`
	Iteration int     `json:"iteration"`
	Total     float64 `json:"total"`
	// Content is α·Σ content losses; Style[l] is β·w_l·E_l for each style layer (in
	// Loss.StyleLayers order), so that Total = Content + Σ Style + TV.
	Content float64   `json:"content"`
	Style   []float64 `json:"style"`
	TV      float64   `json:"tv"`
}

// Result is what a transfer produced.
type Result struct {
	Image       image.Image
	Loss        float64 // the last finite total loss
	Iterations  int
	Evaluations int
	// Converged is set when L-BFGS stopped before Iterations because one of torch's tolerances
	// was met: optim.StopOptimalAtStart says the starting picture was already optimal (its
	// gradient is 0, e.g. when the content is the style); the others, that it stopped changing.
	Converged optim.StopReason
}

// NewTransfer returns a transfer with the original notebook's settings: its loss, L-BFGS,
// starting from the content image; L-BFGS with the strong-Wolfe line search.
func NewTransfer(m *Model) *Transfer {
	return &Transfer{Model: m, Loss: DefaultLoss(), Optimizer: optim.LBFGSName, LineSearch: true, Iterations: 300, Init: InitContent}
}

// ErrNotFinite is returned (wrapped) when the loss became NaN or infinite; the Result then holds
// the last image whose loss was finite.
var ErrNotFinite = errors.New("the loss is not a finite number")

// Run performs the transfer of styles onto content. content and every style are resized by the
// caller; styles may differ in size from content. Cancelling ctx stops after the current
// evaluation and returns the current image with ctx's error.
func (t *Transfer) Run(ctx context.Context, content image.Image, styles []Style) (*Result, error) {
	return t.run(ctx, content, styles, runStart{init: t.Init, initImage: t.InitImage, resume: t.Resume})
}

// run is Run from start instead of t's Init, InitImage and Resume.
func (t *Transfer) run(ctx context.Context, content image.Image, styles []Style, start runStart) (*Result, error) {
	if err := t.validate(styles, start.init, start.initImage); err != nil {
		return nil, err
	}
	m := t.Model
	contentLayers, _ := resolveLayers(t.Loss.ContentLayers)
	styleLayers, _ := resolveLayers(styleNames(t.Loss.StyleLayers))
	contentT := ImageTensor(content)
	if err := checkImageTensor(contentT); err != nil {
		return nil, fmt.Errorf("content image: %w", err)
	}

	// A checkpoint to resume from must belong to this run.
	ck, err := t.checkpointing(content, styles, start)
	if err != nil {
		return nil, err
	}
	resume := start.resume
	if resume != nil {
		if !resume.Image.Shape().Equal(contentT.Shape()) {
			return nil, fmt.Errorf("cannot resume: the checkpoint's picture is %s, this run's %s", resume.Image.Shape(), contentT.Shape())
		}
	}

	// Targets, computed once: the content's features and the (blended) style Gram matrices.
	targets, err := t.targets(contentT, styles, contentLayers, styleLayers)
	if err != nil {
		return nil, err
	}
	var x0 *tensors.Tensor
	if resume != nil {
		x0 = resume.Image
	} else if x0, err = t.initialImage(contentT, styles, start.init, start.initImage); err != nil {
		return nil, err
	}

	rw := regionWeights(styles)
	objective := t.objective(contentLayers, styleLayers, rw)
	inputs := append(m.parameters(), targets...)
	var evals int
	var lastFinite = math.Inf(1)
	if resume != nil {
		evals, lastFinite = resume.Evaluations, resume.Loss
	}
	observe := func(total float64, extras []float64, iteration int) error {
		evals++
		e := Evaluation{N: evals, Iteration: iteration, Total: total, Content: extras[0],
			Style: extras[1 : 1+len(styleLayers)], TV: extras[1+len(styleLayers)]}
		if !math.IsNaN(total) && !math.IsInf(total, 0) {
			lastFinite = total
		}
		if t.OnEvaluation != nil {
			if err := t.OnEvaluation(e); err != nil {
				return err
			}
		}
		if t.Save != nil {
			return nil // a cancelled run ends at the end of the iteration, with a checkpoint
		}
		return ctx.Err()
	}
	// save hands the transfer's whole state to t.Save.
	save := func(x *tensors.Tensor, done, left int, opt optim.Optimizer) error {
		state, err := opt.State()
		if err != nil {
			return err
		}
		c := &Checkpoint{Settings: ck.settings, Inputs: ck.inputs, Weights: ck.weights, Iterations: done,
			Evaluations: evals, StepLeft: left, Loss: lastFinite, Image: x, Optimizer: state}
		if sr := start.scale; sr != nil {
			c.Scale = sr.index
			c.Before.Iterations, c.Before.Evaluations = sr.before.Iterations, sr.before.Evaluations
		}
		return t.Save(c)
	}

	x, iterations, converged, runErr := t.optimize(ctx, x0, objective, t.objectiveKey(rw), inputs, observe, save, start)
	img, err := t.toImage(x)
	if err != nil {
		if runErr != nil {
			return nil, fmt.Errorf("%w (and its last picture could not be read back: %v)", runErr, err)
		}
		return nil, err
	}
	res := &Result{Image: img, Loss: lastFinite, Iterations: iterations, Evaluations: evals, Converged: converged}
	if errors.Is(runErr, optim.ErrNotFinite) {
		runErr = fmt.Errorf("%w at evaluation %d (%v); kept the last image with a finite loss", ErrNotFinite, evals, runErr)
	}
	return res, runErr
}

// checkpointing is what a checkpoint of this run records: its settings and the digests of its
// inputs and weights (computed only when the run saves or resumes).
type checkpointing struct {
	settings        Settings
	inputs, weights string
}

func (t *Transfer) checkpointing(content image.Image, styles []Style, start runStart) (*checkpointing, error) {
	if t.Save == nil && start.resume == nil {
		return nil, nil
	}
	ck := &checkpointing{weights: t.Model.WeightsDigest(), settings: Settings{Loss: t.Loss, Optimizer: t.Optimizer,
		Iterations: t.Iterations, LearningRate: t.LearningRate, LineSearch: t.LineSearch, Init: start.init, Seed: t.Seed,
		Pooling: t.Model.Pooling.String()}}
	scale := 0
	if sr := start.scale; sr != nil {
		ck.inputs, scale = sr.inputs, sr.index
		ck.settings.Scales, ck.settings.StyleSizing, ck.settings.Init = sr.sides, sr.sizing, sr.init
	} else {
		var initImage image.Image
		if start.init == "" {
			initImage = start.initImage
		}
		ck.inputs = inputsDigest(content, styles, initImage)
	}
	if start.resume != nil {
		if err := start.resume.matches(ck.settings, ck.inputs, ck.weights, scale); err != nil {
			return nil, fmt.Errorf("cannot resume from this checkpoint: %w", err)
		}
	}
	return ck, nil
}

func styleNames(s []StyleLayer) []string {
	names := make([]string, len(s))
	for i, l := range s {
		names[i] = l.Name
	}
	return names
}

// validate checks t's settings and styles, and the start of a run from init (or initImage).
func (t *Transfer) validate(styles []Style, init Init, initImage image.Image) error {
	if t.Model == nil {
		return errors.New("transfer: no model")
	}
	if err := t.Loss.Validate(); err != nil {
		return err
	}
	if t.Iterations <= 0 {
		return fmt.Errorf("iterations must be > 0, got %d", t.Iterations)
	}
	if t.LearningRate < 0 || math.IsNaN(t.LearningRate) || math.IsInf(t.LearningRate, 0) {
		return fmt.Errorf("learning rate must be a finite number ≥ 0 (0: the optimizer's default), got %v", t.LearningRate)
	}
	if _, err := optim.ParseName(string(t.Optimizer)); err != nil {
		return err
	}
	if len(t.Loss.StyleLayers) > 0 && len(styles) == 0 {
		return errors.New("transfer: no style image")
	}
	if regions(styles) && t.Loss.StyleLoss.OrGram() != StyleLossGram {
		return fmt.Errorf("style masks work with the gram style loss only (Gatys et al.'s guided Gram matrices), not with %s", t.Loss.StyleLoss)
	}
	if len(styles) > 1 && t.Loss.StyleLoss.impl(t.Loss.GramNorm).OneStyle {
		return fmt.Errorf("the %s style loss takes one style picture, got %d (its statistics are the style's feature vectors, which do not blend)", t.Loss.StyleLoss, len(styles))
	}
	var sum float64
	for i, s := range styles {
		if s.Image == nil {
			return fmt.Errorf("style %d: no image", i+1)
		}
		if err := checkWeight(fmt.Sprintf("style %d blend weight", i+1), s.Weight); err != nil {
			return err
		}
		sum += s.Weight
	}
	if len(styles) > 0 && sum == 0 {
		return errors.New("the style blend weights add up to 0")
	}
	if err := t.checkStyleLayers(styles); err != nil {
		return err
	}
	switch init {
	case InitContent, InitNoise, InitStyle:
	case "":
		if initImage == nil {
			return errors.New("transfer: Init is empty and no InitImage given")
		}
	default:
		return fmt.Errorf("unknown init %q: use content, noise, style, or give an image", init)
	}
	return nil
}

// checkStyleLayers checks the styles' Layers: names of style layers, no masks with them, and
// every style layer matched by a style of weight > 0.
func (t *Transfer) checkStyleLayers(styles []Style) error {
	some := false
	for i, s := range styles {
		if s.Layers == nil {
			continue
		}
		some = true
		if regions(styles) {
			return fmt.Errorf("style %d: per-style layers cannot be combined with masks", i+1)
		}
		for _, name := range s.Layers {
			if !slices.ContainsFunc(t.Loss.StyleLayers, func(l StyleLayer) bool { return l.Name == name }) {
				return fmt.Errorf("style %d: %s is not one of the style layers %v", i+1, name, styleNames(t.Loss.StyleLayers))
			}
		}
	}
	if !some {
		return nil
	}
	for _, l := range t.Loss.StyleLayers {
		if !slices.ContainsFunc(styles, func(s Style) bool { return s.Weight > 0 && s.at(l.Name) }) {
			return fmt.Errorf("no style is matched at style layer %s (each style's Layers leave it out)", l.Name)
		}
	}
	return nil
}

// targets computes the tensors the loss compares against: the content image's features at each
// content layer, then, for each style layer, the targets of the style loss (StyleLoss): the
// statistics its stats part computes from each style image's features there, blended as
// Σ_i b_i·stats_i / Σ_i b_i (for the Gram loss, the blended Gram matrices), then, if the loss has
// a finish part, what it makes of them (e.g. W2's Σ_S^½), once.
func (t *Transfer) targets(content *tensors.Tensor, styles []Style, contentLayers, styleLayers []Layer) ([]*tensors.Tensor, error) {
	m := t.Model
	var out []*tensors.Tensor
	if len(contentLayers) > 0 {
		f, err := m.Features(content, t.Loss.ContentLayers...)
		if err != nil {
			return nil, fmt.Errorf("content features: %w", err)
		}
		for _, name := range t.Loss.ContentLayers {
			out = append(out, f[name])
		}
	}
	if len(styleLayers) == 0 {
		return out, nil
	}
	if regions(styles) {
		guided, err := t.guidedTargets(content, styles, styleLayers)
		return append(out, guided...), err
	}
	// sums[l] is Σ_i b_i over the styles matched at style layer l (all of them unless their
	// Layers say otherwise).
	sums := make([]float64, len(styleLayers))
	for _, s := range styles {
		for l, sl := range t.Loss.StyleLayers {
			if s.at(sl.Name) {
				sums[l] += s.Weight
			}
		}
	}
	loss := t.Loss.StyleLoss.OrGram()
	impl := loss.impl(t.Loss.GramNorm)
	infos := t.styleInfos(content.Shape().Dim(0), content.Shape().Dim(1), styleLayers)
	key := fmt.Sprintf("style-stats:%v:%s:%s", styleNames(t.Loss.StyleLayers), loss, t.Loss.GramNorm)
	if impl.StatsUseLayer {
		key += fmt.Sprintf(":%v", infos)
	}
	exec, err := m.exec(key, func(inputs []*Node) []*Node {
		feats := m.forward(m.normalize(inputs[0]), inputs[1:], styleLayers)
		var stats []*Node
		for i, l := range styleLayers {
			stats = append(stats, impl.Stats(feats[l.Index], infos[i])...)
		}
		return stats
	})
	if err != nil {
		return nil, err
	}
	var blended [][]float32
	var dims [][]int
	for si, s := range styles {
		st := ImageTensor(s.Image)
		if err := checkImageTensor(st); err != nil {
			return nil, fmt.Errorf("style image %d: %w", si+1, err)
		}
		stats, err := m.run(exec, st)
		if err != nil {
			return nil, fmt.Errorf("style image %d: %w", si+1, err)
		}
		if blended == nil {
			blended, dims = make([][]float32, len(stats)), make([][]int, len(stats))
		}
		for k, g := range stats {
			layer := t.Loss.StyleLayers[k/impl.NumStats]
			if !s.at(layer.Name) {
				continue
			}
			b := float32(s.Weight / sums[k/impl.NumStats])
			data, err := tensors.CopyFlatData[float32](g)
			if err != nil {
				return nil, err
			}
			if blended[k] == nil {
				blended[k], dims[k] = make([]float32, len(data)), g.Shape().Dimensions
			} else if !slices.Equal(dims[k], g.Shape().Dimensions) {
				return nil, fmt.Errorf("style image %d: the %s loss cannot blend its statistics %v with the first style's %v (style pictures of different sizes)",
					si+1, loss, g.Shape().Dimensions, dims[k])
			}
			for i, v := range data {
				blended[k][i] += b * v
			}
		}
	}
	stats := make([]*tensors.Tensor, len(blended))
	for k, g := range blended {
		stats[k] = tensors.FromFlatDataAndDimensions(g, dims[k]...)
	}
	if impl.Finish == nil {
		return append(out, stats...), nil
	}
	finish, err := m.exec(fmt.Sprintf("style-finish:%s:%d", loss, len(styleLayers)), func(in []*Node) []*Node {
		var targets []*Node
		for l := range styleLayers {
			targets = append(targets, impl.Finish(in[l*impl.NumStats:(l+1)*impl.NumStats])...)
		}
		return targets
	})
	if err != nil {
		return nil, err
	}
	args := make([]any, len(stats))
	for k, s := range stats {
		args[k] = s
	}
	finished, err := finish.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("the style targets of the %s loss: %w", loss, err)
	}
	return append(out, finished...), nil
}

// styleInfos is what the style loss knows of each style layer for a content picture of h×w
// pixels: the positions of the target's feature map there, and a seed from t.Seed and the layer.
func (t *Transfer) styleInfos(h, w int, styleLayers []Layer) []styleloss.Layer {
	infos := make([]styleloss.Layer, len(styleLayers))
	for i, l := range styleLayers {
		fh, fw := h, w
		for _, o := range vgg19[:l.Index] {
			if o.Kind == Pool {
				fh, fw = fh/2, fw/2
			}
		}
		infos[i] = styleloss.Layer{Positions: fh * fw, Seed: t.Seed*uint64(len(vgg19)) + uint64(l.Index)}
	}
	return infos
}

// initialImage returns the starting point of the optimization from init (or initImage),
// normalized like the network's input.
func (t *Transfer) initialImage(content *tensors.Tensor, styles []Style, init Init, initImage image.Image) (*tensors.Tensor, error) {
	h, w := content.Shape().Dim(0), content.Shape().Dim(1)
	var start *tensors.Tensor
	switch {
	case init == InitContent:
		start = content
	case init == InitNoise:
		r := rand.New(rand.NewPCG(t.Seed, 0x5eed))
		data := make([]float32, h*w*3)
		for i := range data {
			data[i] = r.Float32()
		}
		start = tensors.FromFlatDataAndDimensions(data, h, w, 3)
	case init == InitStyle:
		start = ImageTensor(images.ResizeTo(styles[0].Image, w, h))
	default:
		start = ImageTensor(images.ResizeTo(initImage, w, h))
	}
	exec, err := t.Model.exec("normalize", func(in []*Node) []*Node { return []*Node{t.Model.normalize(in[0])} })
	if err != nil {
		return nil, err
	}
	out, err := exec.Exec(start)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// toImage maps the optimized (normalized) tensor back to RGB and clips it.
func (t *Transfer) toImage(x *tensors.Tensor) (image.Image, error) {
	exec, err := t.Model.exec("denormalize", func(in []*Node) []*Node {
		return []*Node{ClipScalar(t.Model.denormalize(in[0]), 0, 1)}
	})
	if err != nil {
		return nil, err
	}
	out, err := exec.Exec(x)
	if err != nil {
		return nil, err
	}
	return TensorImage(out[0])
}

// objectiveKey names the graph objective builds, for runs to share the optimizers' compiled
// graphs (Model.optimizerGraphs). It is all of t but what a run only reads on the host (its
// observers, start and checkpoints), and the regions' weights of spatial control, which the
// graph holds as constants: a setting added to Transfer is in the key unless it is taken out
// here, so that a forgotten one costs a compilation, never a run of the wrong loss.
func (t *Transfer) objectiveKey(regionWeights []float64) string {
	k := *t
	k.OnEvaluation, k.OnIteration, k.Snapshot, k.Save, k.Resume = nil, nil, nil, nil, nil
	k.Init, k.InitImage, k.SnapshotEvery, k.SaveEvery, k.SaveAtEnd = "", nil, 0, 0, false
	return fmt.Sprintf("objective:%+v:regions%v", k, regionWeights)
}

// objective builds the loss of the transfer as a graph function of the target image x
// (normalized) and its inputs: the network's parameters, then the targets (see targets).
// Besides the total it returns its parts: α·content, β·w_l·E_l per style layer, and tv·TV.
//
// With spatial control (regionWeights not nil: one region per style, see guidedTargets for the
// targets' order), each style layer's E_l is Σ_r w_r·E_l^r, the styles' guided terms weighted by
// their Weight.
func (t *Transfer) objective(contentLayers, styleLayers []Layer, regionWeights []float64) func(x *Node, inputs []*Node) (*Node, []*Node) {
	m, cfg := t.Model, t.Loss
	return func(x *Node, inputs []*Node) (*Node, []*Node) {
		params, targets := inputs[:m.numParameters()], inputs[m.numParameters():]
		features := m.forward(x, params, append(append([]Layer{}, contentLayers...), styleLayers...))

		// content_loss = mean((target_features[conv4_2] − content_features[conv4_2])²), summed
		// over the content layers.
		content := ScalarZero(x.Graph(), x.DType())
		for i, l := range contentLayers {
			content = Add(content, ContentLoss(features[l.Index], targets[i]))
		}
		// style_loss = Σ_l w_l · mean((G_T,l − G_S,l)²) / (d·h·w)   (GramNorm: see loss.go), or
		// another style loss's Σ_l w_l·balance·E_l (see StyleLoss).
		styleTargets := targets[len(contentLayers):]
		impl, balance := cfg.StyleLoss.impl(cfg.GramNorm), cfg.StyleLoss.Balance()
		infos := t.styleInfos(x.Shape().Dim(0), x.Shape().Dim(1), styleLayers)
		styleTerms := make([]*Node, len(styleLayers))
		for i, l := range styleLayers {
			var e *Node
			if regionWeights != nil {
				e = cfg.GramNorm.guidedLayerLoss(features[l.Index], styleTargets, i, len(styleLayers), regionWeights)
			} else {
				e = impl.LayerLoss(features[l.Index], styleTargets[i*impl.NumTargets:(i+1)*impl.NumTargets], infos[i])
			}
			styleTerms[i] = MulScalar(e, cfg.StyleWeight*cfg.StyleLayers[i].Weight*balance)
		}
		// total_loss = content_weight·content_loss + style_weight·style_loss (+ tv·TV)
		contentTerm := MulScalar(content, cfg.ContentWeight)
		tvTerm := ScalarZero(x.Graph(), x.DType())
		if cfg.TVWeight > 0 {
			tvTerm = MulScalar(TotalVariation(x), cfg.TVWeight)
		}
		total := Add(contentTerm, tvTerm)
		for _, s := range styleTerms {
			total = Add(total, s)
		}
		extras := append(append([]*Node{contentTerm}, styleTerms...), tvTerm)
		return total, extras
	}
}

// Evaluate computes the loss of an image against content and styles with t's settings and
// returns its parts as numbers: α·content, β·w_l·E_l for each style layer, and tv·TV. It is the
// objective Run minimizes, evaluated once, for notebooks that show per-layer losses.
func (t *Transfer) Evaluate(target, content image.Image, styles []Style) (Evaluation, error) {
	if err := t.validate(styles, t.Init, t.InitImage); err != nil {
		return Evaluation{}, err
	}
	m := t.Model
	contentLayers, _ := resolveLayers(t.Loss.ContentLayers)
	styleLayers, _ := resolveLayers(styleNames(t.Loss.StyleLayers))
	targets, err := t.targets(ImageTensor(content), styles, contentLayers, styleLayers)
	if err != nil {
		return Evaluation{}, err
	}
	x := ImageTensor(target)
	if err := checkImageTensor(x); err != nil {
		return Evaluation{}, fmt.Errorf("target image: %w", err)
	}
	objective := t.objective(contentLayers, styleLayers, regionWeights(styles))
	exec, err := NewExec(m.Backend, func(in []*Node) []*Node {
		total, parts := objective(m.normalize(in[0]), in[1:])
		return append([]*Node{total}, parts...)
	})
	if err != nil {
		return Evaluation{}, err
	}
	defer exec.Finalize()
	out, err := m.run(exec, x, targets...)
	if err != nil {
		return Evaluation{}, err
	}
	v := make([]float64, len(out))
	for i, o := range out {
		v[i] = float64(tensors.MustCopyFlatData[float32](o)[0])
	}
	n := len(styleLayers)
	return Evaluation{Total: v[0], Content: v[1], Style: v[2 : 2+n], TV: v[2+n]}, nil
}
