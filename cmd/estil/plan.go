package main

import (
	"math"
	"strings"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/optim"
	"github.com/estil-nst/estil/weights"
)

// plan is what a stylize or demo run does, decided once from the flags by newPlan. Everything
// after reads it and none of it assigns to its fields: the pictures, the transfer, the outputs
// and the report all come from the same values.
type plan struct {
	pictures pictures
	// scales are the long sides of the scales, coarse to fine; one scale is []int{--size}.
	// The last is the result's size.
	scales []int
	// coarseToFine: --scales was given (nst's RunScales, a line and a report entry per scale).
	coarseToFine bool
	loss         nst.LossConfig
	optimizer    optimizerPlan
	outputs      outputs
	model        modelPlan
	color        colorPlan
	// batch is set when --content is a folder or a .txt list of frames (batch.go).
	batch *batchPlan
}

// pictures are the run's inputs.
type pictures struct {
	builtin     bool // demo's: drawn by estil at the result's size
	content     string
	styles      []string
	blend       []float64  // the styles' weights; nil: equal
	masks       []maskSpec // --style-mask: the result's region of each style; nil: none
	guides      []maskSpec // --style-guide: each style picture's region; nil: the whole pictures
	coarse      string     // --style-coarse: with fine, scale control makes the one style picture
	fine        string
	styleSizing nst.StyleSizing
	init        nst.Init // where the picture starts, unless initFile is set
	initFile    string   // --init's picture
	maxPixels   int      // --max-megapixels
}

// optimizerPlan is how the picture is optimized.
type optimizerPlan struct {
	name        optim.Name
	iters       int // at each scale
	lr          float64
	strongWolfe bool
	seed        uint64
}

// outputs are the files a run writes and how often.
type outputs struct {
	out             string
	preview         string
	previewEvery    int
	saveEvery       int // --save-every's OUT-N.png; 0: none
	report          string
	checkpoint      string // --checkpoint, or with --resume alone the resumed file
	checkpointEvery int
	keepCheckpoint  bool
	resume          string
	quiet           bool
}

// modelPlan is the network and where it runs.
type modelPlan struct {
	name, weights, backend string
	seed                   uint64 // of random weights
	pooling                nst.Pooling
}

// colorPlan is how the content's colours are kept.
type colorPlan struct {
	control images.ColorControl
	match   images.ColorMatch
}

// frames is the number of pictures the run stylizes: 1, or a batch's frames.
func (p *plan) frames() int {
	if p.batch == nil {
		return 1
	}
	return len(p.batch.frames)
}

// size is the result's long side: the last scale's.
func (p *plan) size() int { return p.scales[len(p.scales)-1] }

// newPlan checks the settings, all of them and how they go together, before anything is read
// or computed, and makes the plan.
func newPlan(s settings) (plan, error) {
	p := plan{coarseToFine: len(s.scales) > 0, scales: []int{s.size}}
	if p.coarseToFine {
		if s.saveEvery > 0 {
			return plan{}, usagef("--save-every does not work with --scales (each scale has its own size)")
		}
		p.scales = s.scales // with --scales the last scale is the size
	}
	if err := s.checkNumbers(p.size()); err != nil {
		return plan{}, err
	}
	var err error
	if p.pictures, err = s.picturesPlan(p.size()); err != nil {
		return plan{}, err
	}
	if p.loss, err = s.lossConfig(); err != nil {
		return plan{}, usageError{err.Error()}
	}
	if l := p.loss.StyleLoss.OrGram(); (len(s.masks) > 0 || len(s.guides) > 0) && l != nst.StyleLossGram {
		return plan{}, usagef("--style-mask and --style-guide work with --style-loss gram only (Gatys et al.'s guided Gram matrices), not %s", l)
	}
	if p.color, err = s.colorPlan(); err != nil {
		return plan{}, err
	}
	if _, err := weights.ModelByName(s.model); err != nil {
		return plan{}, usageError{err.Error()}
	}
	p.optimizer = optimizerPlan{name: s.optimizer, iters: s.iters, lr: s.lr, strongWolfe: s.lineSearch == strongWolfe, seed: s.seed}
	p.model = modelPlan{name: s.model, weights: s.weights, backend: s.backend, seed: s.seed, pooling: s.pooling}
	p.outputs = outputs{
		out: s.out, preview: s.preview, previewEvery: s.previewEvery, saveEvery: s.saveEvery, report: s.report,
		checkpoint: s.checkpoint, checkpointEvery: s.ckptEvery, keepCheckpoint: s.keepCkpt, resume: s.resume, quiet: s.quiet,
	}
	if s.resume != "" && s.checkpoint == "" {
		p.outputs.checkpoint = s.resume // it goes on checkpointing into the file it resumes
	}
	if !s.demo {
		if p.batch, err = s.batchPlan(&p.pictures); err != nil {
			return plan{}, err
		}
	}
	return p, nil
}

// checkNumbers refuses numbers out of range; size is the result's.
func (s *settings) checkNumbers(size int) error {
	switch {
	case size < nst.MinImageSide:
		return usagef("--size must be at least %d, got %d", nst.MinImageSide, size)
	case size > nst.MaxImageSide:
		return usagef("--size %d is more than %d", size, nst.MaxImageSide)
	case s.iters <= 0:
		return usagef("--iters must be > 0, got %d", s.iters)
	case s.saveEvery < 0:
		return usagef("--save-every must be ≥ 0, got %d", s.saveEvery)
	case s.ckptEvery < 1:
		return usagef("--checkpoint-every must be ≥ 1, got %d", s.ckptEvery)
	case s.previewEvery < 1:
		return usagef("--preview-every must be ≥ 1, got %d", s.previewEvery)
	case !(s.maxMP > 0) || math.IsInf(s.maxMP, 0):
		return usagef("--max-megapixels must be > 0, got %v", s.maxMP)
	case s.lr < 0 || math.IsNaN(s.lr) || math.IsInf(s.lr, 0):
		return usagef("--lr must be a finite number ≥ 0, got %v", s.lr)
	}
	return nil
}

// picturesPlan checks the pictures' flags (a demo's are built in) for a result of size.
func (s *settings) picturesPlan(size int) (pictures, error) {
	p := pictures{builtin: s.demo, content: s.content, styles: s.styles, blend: s.blend, masks: s.masks, guides: s.guides,
		coarse: s.coarse, fine: s.fine, init: nst.Init(s.init), maxPixels: max(1, int(s.maxMP*1e6))}
	if err := s.checkControl(); err != nil {
		return p, err
	}
	switch {
	case !p.builtin && s.content == "":
		return p, usagef("--content is required")
	case !p.builtin && len(s.styles) == 0 && s.coarse == "":
		return p, usagef("--style is required")
	case s.out == "":
		return p, usagef("--out is required")
	case !(s.styleScale > 0) || s.styleScale > 16:
		return p, usagef("--style-scale must be a number in (0, 16], got %v", s.styleScale)
	case s.styleSize != nst.StyleSizeLongSide && s.styleScale != 1:
		return p, usagef("--style-scale applies only with --style-size long-side (the style gets the content's size otherwise)")
	case s.blend != nil && len(s.blend) != len(s.styles):
		return p, usagef("--style-blend has %d weights for %d style images", len(s.blend), len(s.styles))
	}
	p.styleSizing.Mode = s.styleSize
	if s.styleSize == nst.StyleSizeLongSide {
		p.styleSizing.Scale = s.styleScale
	}
	if err := p.styleSizing.Check(size); err != nil {
		return p, usagef("%v: lower --style-scale or --size", err)
	}
	if _, err := nst.ParseInit(s.init); err != nil {
		p.init, p.initFile = "", s.init // a picture file
	}
	return p, nil
}

// checkControl checks the spatial and scale control flags (--style-mask, --style-guide,
// --style-coarse, --style-fine) and how they go with --style.
func (s *settings) checkControl() error {
	styles := len(s.styles)
	switch {
	case (s.coarse == "") != (s.fine == ""):
		return usagef("--style-coarse and --style-fine go together: scale control makes a style picture from both")
	case s.coarse != "" && styles > 0:
		return usagef("--style-coarse and --style-fine make the style picture: leave out --style")
	case s.coarse != "":
		styles = 1
	}
	if s.coarse != "" && s.blend != nil {
		return usagef("--style-blend weighs several --style pictures; scale control makes one")
	}
	for _, f := range []struct {
		name  string
		files maskList
	}{{"--style-mask", s.masks}, {"--style-guide", s.guides}} {
		if len(f.files) > 0 && len(f.files) != styles {
			return usagef("%s is given %d times for %d style pictures: give one black-and-white picture per style, in the same order",
				f.name, len(f.files), styles)
		}
	}
	return nil
}

// pixelLimit is --max-megapixels as a load option. A limit under one pixel is one pixel: rounded
// down to 0 it would have meant "no limit" (issue 10, finding 8).
func (p pictures) pixelLimit() images.LoadOption { return images.MaxPixels(p.maxPixels) }

// lossConfig is the loss the flags ask for, checked.
func (s *settings) lossConfig() (nst.LossConfig, error) {
	l := nst.LossConfig{ContentWeight: s.contentW, StyleWeight: s.styleW, TVWeight: s.tvW, GramNorm: s.gramNorm,
		StyleLoss: s.styleLoss, ContentLayers: s.contentLays, StyleLayers: s.styleLays}
	if l.StyleLoss == nst.StyleLossGram {
		l.StyleLoss = "" // the report's loss has no style_loss for gram, as before --style-loss
	}
	return l, l.Validate()
}

// colorPlan reads --color-control and its alias --original-colors, which may be given together
// only if they agree, and refuses --color-match with the luminance-only transfer.
func (s *settings) colorPlan() (colorPlan, error) {
	c := colorPlan{control: s.colorControl, match: s.colorMatch}
	if s.origColors {
		if c.control == images.ColorControlLuminance {
			return c, usagef("--original-colors (neural-style's post-hoc chroma swap) and --color-control luminance (Gatys et al.'s luminance-only transfer) are two different ways: choose one")
		}
		c.control = images.ColorControlOriginalColors
	}
	if c.control == images.ColorControlLuminance && c.match != images.ColorMatchNone {
		return c, usagef("--color-match recolours the style, but --color-control luminance gives the network the style's luminance only: choose one")
	}
	return c, nil
}

// warnings are what the plan does that the user may not mean.
func (p *plan) warnings() []string {
	// The original's Gram matrices are sums over the positions: a style of another size than the
	// result has Gram matrices of another scale, which the result's cannot reach.
	if p.pictures.styleSizing.Mode == nst.StyleSizeLongSide && p.loss.StyleLoss.OrGram() == nst.StyleLossGram &&
		(p.loss.GramNorm == "" || p.loss.GramNorm == nst.GramNormNone) {
		return []string{strings.Join([]string{"--style-size long-side with --gram-norm none: the Gram matrices are sums over ",
			"the positions, and the style's are over its own, so the style term cannot reach 0 and β depends on the style's size; ",
			"--gram-norm hw (or chw) compares means over the positions instead (choose --style-weight anew, far larger)"}, "")}
	}
	return nil
}
