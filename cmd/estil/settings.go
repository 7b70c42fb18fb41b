package main

import (
	"flag"
	"fmt"
	"image/color"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/enum"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/optim"
	"github.com/estil-nst/estil/weights"
)

// settings are the flags of stylize, demo and explain, as parsed: every enum and list is a
// flag.Value, so a bad value fails when the flag is read, and nothing here is parsed again.
// newPlan checks how they go together and turns them into a plan; nothing reads settings
// after that.
type settings struct {
	// demo: the pictures are estil's own, drawn at the result's size.
	demo bool
	// The pictures (stylize and explain).
	content     string
	styles      stringList
	blend       weightList // --style-blend; nil: equal
	masks       maskList   // --style-mask: one per style; nil: no spatial control
	guides      maskList   // --style-guide: one per style; nil: the whole style pictures
	coarse      string     // --style-coarse: scale control's coarse picture
	fine        string     // --style-fine: scale control's fine picture
	styleSize   nst.StyleSize
	styleScale  float64
	init        string // content, noise, style, or a picture file
	maxMP       float64
	size        int
	scales      scaleList // --scales; nil: one scale, --size
	iters       int
	optimizer   optim.Name
	lineSearch  lineSearch
	lr          float64
	seed        uint64
	contentW    float64
	styleW      float64
	tvW         float64
	gramNorm    nst.GramNorm
	styleLoss   nst.StyleLoss
	contentLays commaList
	styleLays   styleLayers
	// The outputs.
	out          string
	preview      string
	previewEvery int
	saveEvery    int
	report       string
	checkpoint   string
	ckptEvery    int
	keepCkpt     bool
	resume       string
	quiet        bool
	// The network and where it runs.
	model   string
	weights string
	backend string
	pooling nst.Pooling
	// Colour.
	colorControl images.ColorControl
	origColors   bool // --original-colors: --color-control original-colors
	colorMatch   images.ColorMatch
}

// defaultSettings are the flags' defaults (explain changes --size and --iters).
func defaultSettings() settings {
	def := nst.DefaultLoss()
	return settings{
		styleSize: nst.StyleSizeContent, styleScale: 1, init: string(nst.InitContent), maxMP: 50,
		size: 512, iters: 300, optimizer: optim.LBFGSName, lineSearch: strongWolfe,
		contentW: def.ContentWeight, styleW: def.StyleWeight, gramNorm: nst.GramNormNone, styleLoss: nst.StyleLossGram,
		contentLays: def.ContentLayers, styleLays: def.StyleLayers,
		previewEvery: 10, ckptEvery: 20,
		model: weights.DefaultModel.Name, backend: backend.Auto, pooling: nst.MaxPooling,
		colorControl: images.ColorControlNone, colorMatch: images.ColorMatchNone,
	}
}

// settingFlag defines one flag of settings on a flag set, its default the value s holds.
type settingFlag struct {
	name   string
	define func(fs *flag.FlagSet, s *settings, name string)
}

// settingFlags are all the flags of settings, each defined once: stylize takes them all, demo
// all but the pictures, explain those it names (explainCommand). The help is one line a flag;
// the commands' long texts (help.go) explain them.
var settingFlags = []settingFlag{
	{"content", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.content, n, s.content, "content picture (required); stylize: or a folder or .txt list of frames")
	}},
	{"style", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.styles, n, "style picture (required); repeat, or separate with commas, to blend several")
	}},
	{"style-blend", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.blend, n, "weights of the style pictures, e.g. 0.7,0.3 (default equal)")
	}},
	{"style-mask", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.masks, n, "region of the result each --style takes: FILE (black and white) or LABELS.png:#RRGGBB")
	}},
	{"style-guide", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.guides, n, "region of each --style picture its style comes from, as --style-mask's")
	}},
	{"style-coarse", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.coarse, n, s.coarse, "scale control: the style's coarse structure from this picture (with --style-fine)")
	}},
	{"style-fine", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.fine, n, s.fine, "scale control: the style's fine strokes from this picture (replaces --style)")
	}},
	{"style-size", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.styleSize, n, "style pictures' size: "+enum.List(nst.StyleSizes()))
	}},
	{"style-scale", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Float64Var(&s.styleScale, n, s.styleScale, "with --style-size long-side: the style's long side over --size")
	}},
	{"init", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.init, n, s.init, "starting picture: "+enum.List(append(nst.Inits(), "a picture file"))+
			"; a batch: previous")
	}},
	{"max-megapixels", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Float64Var(&s.maxMP, n, s.maxMP, "refuse input pictures larger than this")
	}},
	{"size", func(fs *flag.FlagSet, s *settings, n string) {
		fs.IntVar(&s.size, n, s.size, "long side of the result in pixels")
	}},
	{"scales", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.scales, n, "coarse to fine long sides, e.g. 256,512,1024 (replaces --size)")
	}},
	{"iters", func(fs *flag.FlagSet, s *settings, n string) {
		fs.IntVar(&s.iters, n, s.iters, "optimizer iterations (with --scales, at each)")
	}},
	{"optimizer", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.optimizer, n, "optimizer: "+enum.List(optim.Names()))
	}},
	{"line-search", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.lineSearch, n, "L-BFGS line search: "+enum.List(lineSearches))
	}},
	{"lr", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Float64Var(&s.lr, n, s.lr, "learning rate (default: the optimizer's)")
	}},
	{"seed", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Uint64Var(&s.seed, n, s.seed, "random seed (--init noise, --weights random)")
	}},
	{"content-weight", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Float64Var(&s.contentW, n, s.contentW, "α, the content loss's weight")
	}},
	{"style-weight", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Float64Var(&s.styleW, n, s.styleW, "β, the style loss's weight")
	}},
	{"tv-weight", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Float64Var(&s.tvW, n, s.tvW, "total-variation smoothing's weight (0: off)")
	}},
	{"gram-norm", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.gramNorm, n, "divide the Gram matrices by: "+enum.List(nst.GramNorms()))
	}},
	{"style-loss", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.styleLoss, n, "how the style is compared: "+enum.List(nst.StyleLosses()))
	}},
	{"content-layers", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.contentLays, n, "content layers, comma-separated")
	}},
	{"style-layers", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.styleLays, n, "style layers, layer:weight,…")
	}},
	{"out", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.out, n, s.out, "the result's file (a folder for a batch of frames)")
	}},
	{"preview", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.preview, n, s.preview, "rewrite this PNG with the run's progress")
	}},
	{"preview-every", func(fs *flag.FlagSet, s *settings, n string) {
		fs.IntVar(&s.previewEvery, n, s.previewEvery, "iterations between --preview updates")
	}},
	{"save-every", func(fs *flag.FlagSet, s *settings, n string) {
		fs.IntVar(&s.saveEvery, n, s.saveEvery, "also write OUT-N.png every N iterations (0: off)")
	}},
	{"report", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.report, n, s.report, "write a JSON report of the run to this file")
	}},
	{"checkpoint", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.checkpoint, n, s.checkpoint, "save the run's state to this file, for --resume")
	}},
	{"checkpoint-every", func(fs *flag.FlagSet, s *settings, n string) {
		fs.IntVar(&s.ckptEvery, n, s.ckptEvery, "iterations between --checkpoint writes")
	}},
	{"keep-checkpoint", func(fs *flag.FlagSet, s *settings, n string) {
		fs.BoolVar(&s.keepCkpt, n, s.keepCkpt, "keep --checkpoint's file when the run ends")
	}},
	{"resume", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.resume, n, s.resume, "continue the run saved in this --checkpoint file")
	}},
	{"quiet", func(fs *flag.FlagSet, s *settings, n string) { fs.BoolVar(&s.quiet, n, s.quiet, "no progress bar") }},
	{"model", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.model, n, s.model, "network: "+enum.List(weights.ModelNames()))
	}},
	{"weights", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.weights, n, s.weights, "weights: empty (the cache), a .pth or .safetensors file, or random")
	}},
	{"backend", func(fs *flag.FlagSet, s *settings, n string) {
		fs.StringVar(&s.backend, n, s.backend, "auto, go, xla:cpu, xla:cuda or xla:PLUGIN.so")
	}},
	{"pooling", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.pooling, n, "pooling: "+strings.Join(nst.Poolings(), " or "))
	}},
	{"color-control", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.colorControl, n, "keep the content's colours: "+enum.List(images.ColorControls()))
	}},
	{"original-colors", func(fs *flag.FlagSet, s *settings, n string) {
		fs.BoolVar(&s.origColors, n, s.origColors, "the same as --color-control original-colors")
	}},
	{"color-match", func(fs *flag.FlagSet, s *settings, n string) {
		fs.Var(&s.colorMatch, n, "recolour the style pictures like the content: "+enum.List(images.ColorMatches()))
	}},
}

// register defines the flags named on fs (all of settingFlags if none are), into s: their
// defaults are what s holds.
func (s *settings) register(fs *flag.FlagSet, names ...string) {
	for _, f := range settingFlags {
		if len(names) == 0 || contains(names, f.name) {
			f.define(fs, s, f.name)
		}
	}
	for _, n := range names {
		if fs.Lookup(n) == nil {
			panic("estil: no setting flag --" + n)
		}
	}
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// lineSearch is --line-search.
type lineSearch string

const strongWolfe lineSearch = "strong_wolfe"

var lineSearches = []lineSearch{strongWolfe, "none"}

func (l lineSearch) String() string      { return string(l) }
func (l *lineSearch) Set(s string) error { return enum.Set(l, "line search", s, lineSearches) }

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

// commaList is a comma-separated list: each value given replaces it (the default too).
type commaList []string

func (l *commaList) String() string { return strings.Join(*l, ",") }
func (l *commaList) Set(v string) error {
	*l = nil
	return (*stringList)(l).Set(v)
}

// scaleList is --scales: increasing long sides (nst.ParseScales).
type scaleList []int

func (l *scaleList) String() string {
	parts := make([]string, len(*l))
	for i, n := range *l {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (l *scaleList) Set(v string) (err error) {
	*l, err = nst.ParseScales(v)
	return err
}

// styleLayers is --style-layers: "conv1_1:1,conv2_1:0.75" (nst.ParseStyleLayers).
type styleLayers []nst.StyleLayer

func (l *styleLayers) String() string {
	parts := make([]string, len(*l))
	for i, sl := range *l {
		parts[i] = sl.Name + ":" + strconv.FormatFloat(sl.Weight, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func (l *styleLayers) Set(v string) (err error) {
	if strings.TrimSpace(v) == "" {
		*l = nil // no style term
		return nil
	}
	*l, err = nst.ParseStyleLayers(v)
	return err
}

// weightList is --style-blend: "0.7,0.3", finite numbers ≥ 0.
type weightList []float64

func (l *weightList) String() string {
	parts := make([]string, len(*l))
	for i, w := range *l {
		parts[i] = strconv.FormatFloat(w, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func (l *weightList) Set(v string) error {
	var out []float64
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		w, err := strconv.ParseFloat(part, 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return fmt.Errorf("%q is not a finite number ≥ 0", part)
		}
		out = append(out, w)
	}
	*l = out
	return nil
}

// maskSpec is one --style-mask or --style-guide: a black-and-white picture, or with a colour
// (FILE:#RRGGBB) the pixels of that colour in a label image (nst.LabelMask).
type maskSpec struct {
	path  string
	label *color.NRGBA // nil: the file is the mask
}

// labelSuffix is a mask's colour, at the end of its value.
var labelSuffix = regexp.MustCompile(`:#([0-9a-fA-F]{6})$`)

func parseMaskSpec(v string) (maskSpec, error) {
	m := labelSuffix.FindStringSubmatchIndex(v)
	if m == nil {
		if strings.Contains(v, ":#") {
			return maskSpec{}, fmt.Errorf("%q: a label's colour is written #RRGGBB, e.g. labels.png:#87ceeb", v)
		}
		return maskSpec{path: v}, nil
	}
	rgb, _ := strconv.ParseUint(v[m[2]:m[3]], 16, 32) // six hex digits, by the pattern
	return maskSpec{path: v[:m[0]], label: &color.NRGBA{R: uint8(rgb >> 16), G: uint8(rgb >> 8), B: uint8(rgb), A: 255}}, nil
}

func (s maskSpec) String() string {
	if s.label == nil {
		return s.path
	}
	return fmt.Sprintf("%s:#%02x%02x%02x", s.path, s.label.R, s.label.G, s.label.B)
}

// maskList is a repeatable --style-mask or --style-guide (commas also separate).
type maskList []maskSpec

func (l *maskList) String() string {
	parts := make([]string, len(*l))
	for i, m := range *l {
		parts[i] = m.String()
	}
	return strings.Join(parts, ",")
}

func (l *maskList) Set(v string) error {
	var parts stringList
	_ = parts.Set(v)
	for _, part := range parts {
		m, err := parseMaskSpec(part)
		if err != nil {
			return err
		}
		*l = append(*l, m)
	}
	return nil
}
