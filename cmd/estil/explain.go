package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/estil-nst/estil/explain"
	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/atomicfile"
	"github.com/estil-nst/estil/internal/enum"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/optim"
	"github.com/estil-nst/estil/weights"
)

var explainCmd = &command{
	UsageLine: "explain --content C --style S --out handout.html [flags]",
	Short:     "write an HTML handout that explains a transfer",
	Long:      explainLong,
	Flag: func(fs *flag.FlagSet) func(context.Context, io.Writer, io.Writer) error {
		f := explainSettings{settings: defaultSettings(), lang: explain.English, channels: 8, order: explain.OrderGreedy, raceEvals: 15}
		f.size, f.iters = 64, 20
		f.gramNorm = "" // the handout's transfer is the original's, unnamed
		f.register(fs)
		return func(ctx context.Context, stdout, stderr io.Writer) error { return explainRun(ctx, f, stdout, stderr) }
	},
}

// explainSettings are estil explain's flags: the transfer's (a subset of stylize's) and the
// handout's own.
type explainSettings struct {
	settings
	lang                string
	order               explain.Ordering
	layers              stringList
	channels, raceEvals int
}

func (f *explainSettings) register(fs *flag.FlagSet) {
	f.settings.register(fs, "content", "style", "out", "size", "iters", "content-weight", "style-weight", "content-layers",
		"style-layers", "style-loss", "model", "weights", "backend", "seed", "color-control", "max-megapixels", "style-mask", "style-guide")
	fs.StringVar(&f.lang, "lang", f.lang, "the handout's language: en or ca")
	fs.Var(&f.layers, "layer", "layers whose feature maps and Gram matrices are shown (default conv1_1,conv3_1,conv5_1)")
	fs.IntVar(&f.channels, "channels", f.channels, "feature maps shown per layer (the most active)")
	fs.Func("order", "order of the Gram matrices' channels: "+enum.List(orderings)+" (default greedy)", func(v string) error {
		return enum.Set(&f.order, "order", v, orderings)
	})
	fs.IntVar(&f.raceEvals, "race-evals", f.raceEvals, "loss evaluations of each optimizer in the race")
}

// orderings are the orders explain.GramOrder knows.
var orderings = []explain.Ordering{explain.OrderNone, explain.OrderEnergy, explain.OrderGreedy}

// explainPlan is what estil explain does, decided once from its flags.
type explainPlan struct {
	content, style, out string
	mask, guide         maskSpec // --style-mask, --style-guide: no path for none
	size, maxPixels     int
	handout             explain.HandoutOptions // without the pictures
	model               modelPlan
}

// explainRun checks the flags, reads the pictures, opens the model, and writes the handout.
func explainRun(ctx context.Context, f explainSettings, stdout, stderr io.Writer) error {
	p, err := newExplainPlan(f)
	if err != nil {
		return err
	}
	// Check the output before reading or computing anything.
	if err := checkWritableFile(p.out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := notAnInput("--out", p.out, p.content, p.style, p.model.weights); err != nil {
		return err
	}
	atomicfile.RemoveStale(filepath.Dir(atomicfile.Target(p.out)), func(dest string) bool { return sameFile(dest, p.out) })
	var content, style, mask, guide image.Image
	if err := unlessCancelled(ctx, func() (err error) { content, style, mask, guide, err = p.pictures(); return err }); err != nil {
		return err
	}
	// Offline in a classroom, a handout with a random network (saying so everywhere) is still
	// worth having.
	model, err := openModel(ctx, p.model, stderr, "explain")
	if err != nil {
		return err
	}
	start := time.Now()
	o := p.handoutOptions(content, style, stderr)
	o.Mask, o.Guide = mask, guide
	h, err := explain.Handout(ctx, model, o)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(p.out, h.WritePage); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d×%d, %d iterations%s, %s)%s\n", p.out, content.Bounds().Dx(), content.Bounds().Dy(),
		len(h.Iterations), p.describe(), roundDuration(time.Since(start).Seconds()), handoutNote(h))
	return nil
}

// handoutOptions are the plan's handout of the pictures content and style, its progress
// written to progress.
func (p *explainPlan) handoutOptions(content, style image.Image, progress io.Writer) explain.HandoutOptions {
	o := p.handout // a copy: the plan stays as it is
	o.Content, o.Style, o.Progress = content, style, progress
	return o
}

// describe is what the handout's transfer does besides the original's, for its last line.
func (p *explainPlan) describe() string {
	d := ""
	if l := p.handout.Loss.StyleLoss; l != "" && l != nst.StyleLossGram {
		d = ", style loss " + string(l)
	}
	if c := p.handout.ColorControl; c != images.ColorControlNone {
		d += ", colour control " + string(c)
	}
	return d
}

// handoutNote warns, on the last line, of a handout made with random weights or whose transfer
// had nothing to do.
func handoutNote(h *explain.HandoutView) string {
	note := ""
	if h.RandomWeights {
		note = " — RANDOM weights: not a real style transfer"
	}
	if h.Converged == optim.StopOptimalAtStart {
		note += " — already optimal: the gradient is 0 at the start (is the content also the style?)"
	}
	return note
}

// newExplainPlan refuses bad flags with a usage error, sets the language, and makes the plan.
func newExplainPlan(f explainSettings) (explainPlan, error) {
	if err := f.checkNumbers(); err != nil {
		return explainPlan{}, err
	}
	if err := explain.SetLanguage(f.lang); err != nil {
		return explainPlan{}, usagef("--lang must be en or ca, got %q", f.lang)
	}
	for _, l := range f.layers {
		if _, err := nst.LayerByName(l); err != nil {
			return explainPlan{}, usagef("--layer: %v", err)
		}
	}
	if _, err := weights.ModelByName(f.model); err != nil {
		return explainPlan{}, usageError{err.Error()}
	}
	color, err := f.colorPlan()
	if err != nil {
		return explainPlan{}, err
	}
	loss, err := f.lossConfig()
	if err != nil {
		return explainPlan{}, usageError{err.Error()}
	}
	mask, guide, err := f.maskFiles()
	if err != nil {
		return explainPlan{}, err
	}
	if l := loss.StyleLoss.OrGram(); (mask.path != "" || guide.path != "") && l != nst.StyleLossGram {
		return explainPlan{}, usagef("--style-mask and --style-guide work with --style-loss gram only (Gatys et al.'s guided Gram matrices), not %s", l)
	}
	return explainPlan{
		content: f.content, style: f.styles[0], mask: mask, guide: guide, out: f.out, size: f.size, maxPixels: max(1, int(f.maxMP*1e6)),
		handout: explain.HandoutOptions{Loss: loss, Iterations: f.iters, Layers: f.layers, Channels: f.channels, Order: f.order,
			RaceBudget: f.raceEvals, ColorControl: color.control},
		model: modelPlan{name: f.model, weights: f.weights, backend: f.backend, seed: f.seed, pooling: nst.MaxPooling},
	}, nil
}

// maskFiles are the handout's --style-mask and --style-guide: one each at most, for its one
// style picture.
func (f *explainSettings) maskFiles() (mask, guide maskSpec, err error) {
	for _, m := range []struct {
		name  string
		files maskList
		file  *maskSpec
	}{{"--style-mask", f.masks, &mask}, {"--style-guide", f.guides, &guide}} {
		switch len(m.files) {
		case 0:
		case 1:
			*m.file = m.files[0]
		default:
			return maskSpec{}, maskSpec{}, usagef("%s: a handout explains one style picture, so it takes one, got %d", m.name, len(m.files))
		}
	}
	return mask, guide, nil
}

// checkNumbers refuses missing pictures and numbers out of range.
func (f *explainSettings) checkNumbers() error {
	switch {
	case f.content == "":
		return usagef("--content is required")
	case len(f.styles) == 0:
		return usagef("--style is required")
	case len(f.styles) > 1:
		return usagef("--style: a handout explains one style picture, got %d", len(f.styles))
	case f.out == "":
		return usagef("--out is required")
	case !isHTMLName(f.out):
		return usagef("--out must end in .html or .htm (the handout is a web page), got %q", f.out)
	case f.size < nst.MinImageSide || f.size > 1024:
		return usagef("--size must be between %d and 1024, got %d", nst.MinImageSide, f.size)
	case f.iters <= 0 || f.iters > 10000:
		return usagef("--iters must be between 1 and 10000, got %d", f.iters)
	case f.channels <= 0 || f.channels > 512:
		return usagef("--channels must be between 1 and 512, got %d", f.channels)
	case f.raceEvals <= 0 || f.raceEvals > 1000:
		return usagef("--race-evals must be between 1 and 1000, got %d", f.raceEvals)
	case !(f.maxMP > 0):
		return usagef("--max-megapixels must be > 0, got %v", f.maxMP)
	}
	return nil
}

// pictures loads the content and the style at the plan's size, and the mask and the guide, if
// any, checked against the pictures as read (nst.CheckMasks) and then resized with them.
func (p *explainPlan) pictures() (content, style, mask, guide image.Image, err error) {
	limit := images.MaxPixels(p.maxPixels)
	var contentImg, styleImg, maskImg, guideImg image.Image
	if contentImg, err = images.Load(p.content, limit); err != nil {
		return nil, nil, nil, nil, err
	}
	if styleImg, err = images.Load(p.style, limit); err != nil {
		return nil, nil, nil, nil, err
	}
	for _, m := range []struct {
		flag string
		spec maskSpec
		img  *image.Image
	}{{"--style-mask", p.mask, &maskImg}, {"--style-guide", p.guide, &guideImg}} {
		if m.spec.path == "" {
			continue
		}
		if *m.img, err = m.spec.load(limit); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("%s: %w", m.flag, err)
		}
	}
	if maskImg != nil || guideImg != nil {
		b := contentImg.Bounds()
		if err := nst.CheckMasks([]nst.Style{{Image: styleImg, Mask: maskImg, Guide: guideImg}}, b.Dx(), b.Dy()); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	if content, err = nst.Resize(contentImg, p.size); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("at --size %d the content image %w: raise --size", p.size, err)
	}
	// The style gets the content's size, as in the original.
	w, h := content.Bounds().Dx(), content.Bounds().Dy()
	if style, err = (nst.StyleSizing{}).Size(styleImg, w, h); err != nil {
		return nil, nil, nil, nil, err
	}
	if maskImg != nil {
		mask = nst.ResizeMask(maskImg, w, h)
	}
	if guideImg != nil {
		guide = nst.ResizeMask(guideImg, w, h)
	}
	return content, style, mask, guide, nil
}

func isHTMLName(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".html" || ext == ".htm"
}
