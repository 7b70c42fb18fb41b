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
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/optim"
	"github.com/estil-nst/estil/weights"
)

const explainUsage = `Usage: estil explain --content C --style S --out handout.html [flags]

Runs a small style transfer of C in the style of S and writes ONE self-contained HTML handout
that explains it, for students: VGG19's layers, feature maps and Gram matrices of the chosen
layers, the losses over the run, L-BFGS from inside, and L-BFGS against Adam and gradient
descent. It states the style loss used; with a --style-loss other than gram, a section explains
that style representation: its formula, its paper, what it keeps and loses against the Gram
matrix. Pictures are inlined: the file can be mailed or opened offline. English or Catalan.
The default size runs in a minute or two on the pure-Go backend (CPU) with the gram loss;
w2, sliced and mmd-gauss cost over ten times more per evaluation and take several minutes.

Examples:
  estil explain --content photo.jpg --style painting.jpg --out handout.html
  estil explain --content photo.jpg --style painting.jpg --lang ca --layer conv2_1,conv4_1 --out full.html
  estil explain --content photo.jpg --style painting.jpg --style-loss w2 --out w2.html   (another style representation, explained)
  estil explain --content photo.jpg --style painting.jpg --color-control luminance --out lum.html   (Gatys et al.'s luminance-only transfer)
  estil explain --weights random ...   (offline; the handout says loudly that the network is random)

Flags (one or two dashes):
`

func explainCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	var f explainFlags
	f.register(fs)
	fs.Usage = func() { fmt.Fprint(fs.Output(), explainUsage); fs.PrintDefaults() }
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	loss, err := f.check()
	if err != nil {
		return err
	}
	s := &f.s
	// Check the output before reading or computing anything.
	if err := checkWritableFile(s.out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := notAnInput("--out", s.out, f.content, f.style, s.weights); err != nil {
		return err
	}
	s.removeStaleTemporaries()
	var c, st image.Image
	if err := unlessCancelled(ctx, func() (err error) { c, st, err = f.pictures(); return err }); err != nil {
		return err
	}
	// Offline in a classroom, a handout with a random network (saying so everywhere) is still
	// worth having.
	model, err := openModel(ctx, s, stderr, "explain")
	if err != nil {
		return err
	}
	start := time.Now()
	h, err := explain.Handout(ctx, model, explain.HandoutOptions{
		Content: c, Style: st, Loss: loss, Iterations: s.iters, Layers: f.layers, Channels: f.channels, Order: f.order,
		RaceBudget: f.raceEvals, Progress: stderr, ColorControl: s.colorCtl,
	})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.out, h.WritePage); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	styleLoss := ""
	if loss.StyleLoss != "" && loss.StyleLoss != nst.StyleLossGram {
		styleLoss = ", style loss " + string(loss.StyleLoss)
	}
	if s.colorCtl != images.ColorControlNone {
		styleLoss += ", colour control " + string(s.colorCtl)
	}
	note := ""
	if h.RandomWeights {
		note = " — RANDOM weights: not a real style transfer"
	}
	if h.Converged == optim.StopOptimalAtStart {
		note += " — already optimal: the gradient is 0 at the start (is the content also the style?)"
	}
	fmt.Fprintf(stdout, "wrote %s (%d×%d, %d iterations%s, %s)%s\n", s.out, c.Bounds().Dx(), c.Bounds().Dy(),
		len(h.Iterations), styleLoss, roundDuration(time.Since(start).Seconds()), note)
	return nil
}

// explainFlags are estil explain's flags: the transfer's settings and the handout's own.
type explainFlags struct {
	s                    settings
	content, style, lang string
	order                explain.Ordering
	layers               stringList
	channels, raceEvals  int
}

func (f *explainFlags) register(fs *flag.FlagSet) {
	s := &f.s
	fs.StringVar(&f.content, "content", "", "content image (required)")
	fs.StringVar(&f.style, "style", "", "style image (required)")
	fs.StringVar(&s.out, "out", "", "output HTML file (required, .html or .htm)")
	fs.IntVar(&s.size, "size", 64, "long side of the pictures in pixels")
	fs.IntVar(&s.iters, "iters", 20, "L-BFGS iterations of the transfer")
	fs.StringVar(&f.lang, "lang", explain.English, "language of the handout: en or ca")
	fs.Var(&f.layers, "layer", "layers whose feature maps and Gram matrices are shown; repeat or separate with commas (default conv1_1,conv3_1,conv5_1)")
	fs.IntVar(&f.channels, "channels", 8, "feature maps shown per layer (the most active ones)")
	f.order = explain.OrderGreedy
	fs.Func("order", "order of the Gram matrices' channels: none, energy or greedy (default greedy)", func(v string) error {
		f.order = explain.Ordering(v)
		return nil
	})
	fs.IntVar(&f.raceEvals, "race-evals", 15, "loss evaluations each optimizer gets in the style-transfer race")
	def := nst.DefaultLoss()
	fs.Float64Var(&s.contentWeight, "content-weight", def.ContentWeight, "α, the weight of the content loss")
	fs.Float64Var(&s.styleWeight, "style-weight", def.StyleWeight, "β, the weight of the style loss")
	fs.StringVar(&s.contentLayers, "content-layers", strings.Join(def.ContentLayers, ","), "comma-separated content layers")
	fs.StringVar(&s.styleLayers, "style-layers", formatStyleLayers(def.StyleLayers), "comma-separated style layers with weights, layer:weight")
	fs.StringVar(&s.styleLoss, "style-loss", string(nst.StyleLossGram), styleLossUsage+"; the handout states which, and explains any but gram in a section of its own")
	fs.StringVar(&s.model, "model", weights.DefaultModel.Name, "network: "+strings.Join(weights.ModelNames(), " or "))
	fs.StringVar(&s.weights, "weights", "", "weights: empty = download/cache (random if offline, with a warning), a .pth or .safetensors file, or 'random'")
	fs.StringVar(&s.backend, "backend", backend.Auto, "auto, go, xla:cpu, xla:cuda or xla:/path/to/pjrt_plugin.so")
	fs.Uint64Var(&s.seed, "seed", 0, "random seed (for --weights random)")
	fs.StringVar(&s.colorControl, "color-control", string(images.ColorControlNone), colorControlUsage+"; the handout says which was used, and shows the network's own picture beside the result")
	fs.Float64Var(&s.maxMP, "max-megapixels", 50, "refuse input images larger than this (decompression-bomb guard)")
}

// check refuses bad flags with a usage error, sets the language, and returns the loss.
func (f *explainFlags) check() (nst.LossConfig, error) {
	s := &f.s
	s.pooling = "max"
	switch {
	case f.content == "":
		return nst.LossConfig{}, usagef("--content is required")
	case f.style == "":
		return nst.LossConfig{}, usagef("--style is required")
	case s.out == "":
		return nst.LossConfig{}, usagef("--out is required")
	case !isHTMLName(s.out):
		return nst.LossConfig{}, usagef("--out must end in .html or .htm (the handout is a web page), got %q", s.out)
	case s.size < nst.MinImageSide || s.size > 1024:
		return nst.LossConfig{}, usagef("--size must be between %d and 1024, got %d", nst.MinImageSide, s.size)
	case s.iters <= 0 || s.iters > 10000:
		return nst.LossConfig{}, usagef("--iters must be between 1 and 10000, got %d", s.iters)
	case f.channels <= 0 || f.channels > 512:
		return nst.LossConfig{}, usagef("--channels must be between 1 and 512, got %d", f.channels)
	case f.raceEvals <= 0 || f.raceEvals > 1000:
		return nst.LossConfig{}, usagef("--race-evals must be between 1 and 1000, got %d", f.raceEvals)
	case !(s.maxMP > 0):
		return nst.LossConfig{}, usagef("--max-megapixels must be > 0, got %v", s.maxMP)
	}
	if err := explain.SetLanguage(f.lang); err != nil {
		return nst.LossConfig{}, usagef("--lang must be en or ca, got %q", f.lang)
	}
	if _, err := explain.GramOrder(nil, f.order); err != nil {
		return nst.LossConfig{}, usagef("--order must be none, energy or greedy, got %q", f.order)
	}
	for _, l := range f.layers {
		if _, err := nst.LayerByName(l); err != nil {
			return nst.LossConfig{}, usagef("--layer: %v", err)
		}
	}
	if _, err := weights.ModelByName(s.model); err != nil {
		return nst.LossConfig{}, usageError{err.Error()}
	}
	if err := s.checkColorControl(); err != nil {
		return nst.LossConfig{}, err
	}
	loss, err := s.loss()
	if err != nil {
		return nst.LossConfig{}, usageError{err.Error()}
	}
	return loss, nil
}

// pictures loads the content and the style at --size.
func (f *explainFlags) pictures() (content, style image.Image, err error) {
	s := &f.s
	limit := s.pixelLimit()
	contentImg, err := images.Load(f.content, limit)
	if err != nil {
		return nil, nil, err
	}
	styleImg, err := images.Load(f.style, limit)
	if err != nil {
		return nil, nil, err
	}
	if content, err = nst.Resize(contentImg, s.size); err != nil {
		return nil, nil, fmt.Errorf("at --size %d the content image %w: raise --size", s.size, err)
	}
	// The style gets the content's size, as in the original.
	style, err = nst.StyleSizing{}.Size(styleImg, content.Bounds().Dx(), content.Bounds().Dy())
	return content, style, err
}

func isHTMLName(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".html" || ext == ".htm"
}
