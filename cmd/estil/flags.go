package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/optim"
	"github.com/estil-nst/estil/weights"
)

// errHelp is returned when --help was asked for: the usage was printed, exit 0.
var errHelp = errors.New("help shown")

// settings are the flags stylize and demo share.
type settings struct {
	out           string
	size          int
	iters         int
	optimizer     optim.Name
	lineSearch    string
	lr            float64
	contentWeight float64
	styleWeight   float64
	tvWeight      float64
	gramNorm      string
	styleLoss     string
	contentLayers string
	styleLayers   string
	init          string
	seed          uint64
	saveEvery     int
	preview       string
	previewEvery  int
	checkpoint    string // --checkpoint (with --resume and no --checkpoint: the resumed file)
	ckptEvery     int
	keepCkpt      bool // --keep-checkpoint
	resume        string
	resumed       *nst.Checkpoint // --resume's checkpoint, read
	model         string
	weights       string
	backend       string
	pooling       string
	origColors    bool                // --original-colors: an alias of --color-control original-colors
	colorControl  string              // --color-control as given
	colorCtl      images.ColorControl // --color-control (or --original-colors), parsed by check
	colorMatch    string              // --color-match as given
	colorMethod   images.ColorMatch   // --color-match, parsed by check
	report        string
	maxMP         float64
	quiet         bool
	scales        string
	scaleList     []int // parsed --scales; empty: one scale, --size
}

// colorControlUsage is --color-control's help, for stylize, demo and explain.
const colorControlUsage = "keep the content's colours: none (the result takes the style's colours), luminance (Gatys et al. 2017's luminance-only transfer: the style's luminance is matched to the content's mean and variance, the network sees luminance images only, and the content's YIQ chroma I, Q is put back on the result's luminance) or original-colors (neural-style's -original_colors: the transfer runs in colour, then the result's chroma is swapped for the content's)"

// styleLossUsage is --style-loss's help, for stylize, demo and explain.
const styleLossUsage = "how the style is compared: gram (Gatys et al.'s Gram matrices, the original's), mmd-linear, mmd-poly, mmd-gauss (Li et al.'s MMD with a linear, quadratic or Gaussian kernel; mmd-gauss takes one style), mean-std (channel means and deviations), w2 (Wasserstein-2 between fitted Gaussians) or sliced (sliced Wasserstein, Heitz et al.); each is balanced to start near the Gram loss at the same --style-weight"

func (s *settings) register(fs *flag.FlagSet) {
	def := nst.DefaultLoss()
	s.optimizer = optim.LBFGSName
	fs.IntVar(&s.size, "size", 512, "long side of the result in pixels (the content image is resized to it)")
	fs.IntVar(&s.iters, "iters", 300, "optimizer iterations (L-BFGS iterations or Adam steps)")
	fs.Func("optimizer", "optimizer: lbfgs (the original's, default), adam or gd (plain gradient descent)", func(v string) (err error) {
		s.optimizer, err = optim.ParseName(v)
		return err
	})
	fs.StringVar(&s.lineSearch, "line-search", "strong_wolfe", "L-BFGS line search: strong_wolfe, or none (fixed steps of lr, torch's default)")
	fs.Float64Var(&s.lr, "lr", 0, "learning rate (default: 1 for lbfgs, 0.02 for adam, 1e-3 for gd)")
	fs.Float64Var(&s.contentWeight, "content-weight", def.ContentWeight, "α, the weight of the content loss")
	fs.Float64Var(&s.styleWeight, "style-weight", def.StyleWeight, "β, the weight of the style loss")
	fs.Float64Var(&s.tvWeight, "tv-weight", 0, "weight of total-variation smoothing (0 = off, as in the original)")
	fs.StringVar(&s.gramNorm, "gram-norm", string(nst.GramNormNone), "divide the Gram matrices by: none (the original's; the style term then grows with the picture's size), hw (positions) or chw (channels × positions, PyTorch's tutorial's); hw and chw make the style terms far smaller (chw by d·h·w per layer), so choose --style-weight anew, far larger")
	fs.StringVar(&s.styleLoss, "style-loss", string(nst.StyleLossGram), styleLossUsage)
	fs.StringVar(&s.contentLayers, "content-layers", strings.Join(def.ContentLayers, ","), "comma-separated content layers")
	fs.StringVar(&s.styleLayers, "style-layers", formatStyleLayers(def.StyleLayers), "comma-separated style layers with weights, layer:weight")
	fs.StringVar(&s.init, "init", string(nst.InitContent), "starting image: content, noise, style, or an image file")
	fs.Uint64Var(&s.seed, "seed", 0, "random seed (for --init noise and --weights random)")
	fs.IntVar(&s.saveEvery, "save-every", 0, "also write the image every N iterations to OUT-N.png (0 = off)")
	fs.StringVar(&s.preview, "preview", "", "rewrite this PNG with the current picture every --preview-every iterations (atomically: an image viewer that reloads it shows the run's progress)")
	fs.IntVar(&s.previewEvery, "preview-every", 10, "iterations between --preview updates")
	fs.StringVar(&s.checkpoint, "checkpoint", "", "write the run's whole state (image, optimizer, settings) to this file every --checkpoint-every iterations and on Ctrl-C, for --resume")
	fs.IntVar(&s.ckptEvery, "checkpoint-every", 20, "iterations between --checkpoint writes")
	fs.BoolVar(&s.keepCkpt, "keep-checkpoint", false, "keep the --checkpoint file when the run ends, holding the finished run (--resume it with a larger --iters to go on); by default it is removed once the result is written")
	fs.StringVar(&s.resume, "resume", "", "continue the run saved in this --checkpoint file: give the same flags as the run that wrote it (--iters may be larger, to go on after a finished run kept with --keep-checkpoint); it goes on checkpointing to the same file unless --checkpoint says otherwise")
	fs.StringVar(&s.model, "model", weights.DefaultModel.Name, "network: "+strings.Join(weights.ModelNames(), " or "))
	fs.StringVar(&s.weights, "weights", "", "weights: empty = download/cache, a .pth or .safetensors file, or 'random' (offline, results are meaningless)")
	fs.StringVar(&s.backend, "backend", backend.Auto, "auto, go, xla:cpu, xla:cuda or xla:/path/to/pjrt_plugin.so")
	fs.StringVar(&s.pooling, "pooling", "max", "pooling: max (VGG19's) or avg")
	fs.StringVar(&s.colorControl, "color-control", string(images.ColorControlNone), colorControlUsage)
	fs.BoolVar(&s.origColors, "original-colors", false, "the same as --color-control original-colors (neural-style's -original_colors): transfer in colour, then swap the result's chroma for the content's; not Gatys et al.'s luminance-only transfer, which is --color-control luminance")
	fs.StringVar(&s.colorMatch, "color-match", string(images.ColorMatchNone), "recolour the style picture(s) before the transfer so that their colours' mean and covariance are the content's (an affine map, not full histogram matching): none, pca (Image Analogies' Σc^½·Σs^-½), chol (Cholesky factors) or sym (the symmetric map, moving colours least); with --color-control original-colors too, the chroma swap is applied after; not with --color-control luminance, which discards the style's colours")
	fs.StringVar(&s.report, "report", "", "write a JSON report of every loss evaluation to this file")
	fs.Float64Var(&s.maxMP, "max-megapixels", 50, "refuse input images larger than this (decompression-bomb guard)")
	fs.BoolVar(&s.quiet, "quiet", false, "no progress bar")
	fs.StringVar(&s.scales, "scales", "", "coarse to fine, e.g. 256,512,1024,2048: increasing long sides, each scale starting from the previous result upsampled, --iters at each; the last is the result's size (replaces --size)")
}

// check refuses bad numbers before anything is computed.
func (s *settings) check() error {
	if s.scales != "" {
		var err error
		if s.scaleList, err = nst.ParseScales(s.scales); err != nil {
			return usagef("--%v", err)
		}
		if s.saveEvery > 0 {
			return usagef("--save-every does not work with --scales (each scale has its own size)")
		}
		s.size = s.scaleList[len(s.scaleList)-1]
	}
	switch {
	case s.size < nst.MinImageSide:
		return usagef("--size must be at least %d, got %d", nst.MinImageSide, s.size)
	case s.size > nst.MaxImageSide:
		return usagef("--size %d is more than %d", s.size, nst.MaxImageSide)
	case s.iters <= 0:
		return usagef("--iters must be > 0, got %d", s.iters)
	case s.saveEvery < 0:
		return usagef("--save-every must be ≥ 0, got %d", s.saveEvery)
	case s.ckptEvery < 1:
		return usagef("--checkpoint-every must be ≥ 1, got %d", s.ckptEvery)
	case s.previewEvery < 1:
		return usagef("--preview-every must be ≥ 1, got %d", s.previewEvery)
	case s.lineSearch != "strong_wolfe" && s.lineSearch != "none":
		return usagef("--line-search must be strong_wolfe or none, got %q", s.lineSearch)
	case s.pooling != "max" && s.pooling != "avg":
		return usagef("--pooling must be max or avg, got %q", s.pooling)
	case !(s.maxMP > 0) || math.IsInf(s.maxMP, 0):
		return usagef("--max-megapixels must be > 0, got %v", s.maxMP)
	case s.lr < 0 || math.IsNaN(s.lr) || math.IsInf(s.lr, 0):
		return usagef("--lr must be a finite number ≥ 0, got %v", s.lr)
	}
	var err error
	if s.colorMethod, err = images.ParseColorMatch(s.colorMatch); err != nil {
		return usagef("--color-match: %v", err)
	}
	if err := s.checkColorControl(); err != nil {
		return err
	}
	if s.resume != "" && s.checkpoint == "" {
		s.checkpoint = s.resume
	}
	if _, err := s.loss(); err != nil {
		return usageError{err.Error()}
	}
	if _, err := weights.ModelByName(s.model); err != nil {
		return usageError{err.Error()}
	}
	return nil
}

// loss builds the loss from the flags.
func (s *settings) loss() (nst.LossConfig, error) {
	l := nst.LossConfig{ContentWeight: s.contentWeight, StyleWeight: s.styleWeight, TVWeight: s.tvWeight}
	var err error
	if s.styleLoss != "" && s.styleLoss != string(nst.StyleLossGram) { // gram stays "": as before
		if l.StyleLoss, err = nst.ParseStyleLoss(s.styleLoss); err != nil {
			return l, fmt.Errorf("--style-loss: %w", err)
		}
	}
	if s.gramNorm != "" { // explain's settings leave it empty: the original's
		if l.GramNorm, err = nst.ParseGramNorm(s.gramNorm); err != nil {
			return l, fmt.Errorf("--gram-norm: %w", err)
		}
	}
	for _, name := range strings.Split(s.contentLayers, ",") {
		if name = strings.TrimSpace(name); name != "" {
			l.ContentLayers = append(l.ContentLayers, name)
		}
	}
	if strings.TrimSpace(s.styleLayers) != "" {
		if l.StyleLayers, err = nst.ParseStyleLayers(s.styleLayers); err != nil {
			return l, fmt.Errorf("--style-layers: %w", err)
		}
	}
	return l, l.Validate()
}

func formatStyleLayers(layers []nst.StyleLayer) string {
	parts := make([]string, len(layers))
	for i, l := range layers {
		parts[i] = l.Name + ":" + strconv.FormatFloat(l.Weight, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// parseFlags parses args, turning --help into errHelp and flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	return nil
}

// floatList parses "0.5,0.5".
func floatList(s string) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := strconv.ParseFloat(part, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, fmt.Errorf("%q is not a finite number ≥ 0", part)
		}
		out = append(out, v)
	}
	return out, nil
}

// stringList is a repeatable flag that also splits on commas.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// pixelLimit is --max-megapixels as a load option. A limit under one pixel is one pixel: rounded
// down to 0 it would have meant "no limit" (issue 10, finding 8).
func (s *settings) pixelLimit() images.LoadOption {
	return images.MaxPixels(max(1, int(s.maxMP*1e6)))
}

// loadResume reads --resume's checkpoint, if any.
func (s *settings) loadResume() error {
	if s.resume == "" {
		return nil
	}
	c, err := nst.LoadCheckpoint(s.resume)
	if err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	s.resumed = c
	return nil
}

// checkColorControl reads --color-control and its alias --original-colors, which may be given
// together only if they agree, and refuses --color-match with the luminance-only transfer.
func (s *settings) checkColorControl() error {
	var err error
	if s.colorCtl, err = images.ParseColorControl(s.colorControl); err != nil {
		return usagef("--color-control: %v", err)
	}
	if s.origColors {
		if s.colorCtl == images.ColorControlLuminance {
			return usagef("--original-colors (neural-style's post-hoc chroma swap) and --color-control luminance (Gatys et al.'s luminance-only transfer) are two different ways: choose one")
		}
		s.colorCtl = images.ColorControlOriginalColors
	}
	if s.colorCtl == images.ColorControlLuminance && s.colorMethod != "" && s.colorMethod != images.ColorMatchNone {
		return usagef("--color-match recolours the style, but --color-control luminance gives the network the style's luminance only: choose one")
	}
	return nil
}
