package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"strings"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst/backend"
)

const demoUsage = `Usage: estil demo [flags]

Stylizes a built-in pair of pictures drawn by estil itself: a lighthouse by the sea (content)
in a style of swirling brush strokes, with the real VGG19 weights (downloaded on first use;
if that is impossible, the demo says so and runs with random weights).
The size and iteration count are chosen to finish in a few minutes: 512 px and 300
iterations with XLA; on the pure-Go backend (CPU) 256 px and 120 iterations (about two minutes
on 2 cores), or 128 px and 40 in a build without GOEXPERIMENT=simd. Writes demo.png, plus
demo-content.png and demo-style.png to compare.

Flags:
`

func demoCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var s settings
	fs.StringVar(&s.out, "out", "demo.png", "output PNG file")
	s.register(fs)
	fs.Usage = func() { fmt.Fprint(fs.Output(), demoUsage); fs.PrintDefaults() }
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if err := s.check(); err != nil {
		return err
	}
	if err := checkOutputs(&s, s.weights); err != nil {
		return err
	}
	if err := unlessCancelled(ctx, s.loadResume); err != nil {
		return err
	}
	model, err := openModel(ctx, &s, stderr, "demo")
	if err != nil {
		return err
	}
	// Pick a size that finishes in a few minutes on the backend we got; with --scales the last
	// scale is the size.
	if n := len(s.scaleList); n > 0 {
		s.size, explicit["size"] = s.scaleList[n-1], true
	}
	if backend.IsPureGo(model.Backend) && (!explicit["size"] || !explicit["iters"]) {
		// About two minutes on 2 cores: 256 px and 120 iterations with GOEXPERIMENT=simd (60 took
		// 58 s); a build without it is ~7× slower (it says so at start-up): 128 px and 40.
		size, iters := 256, 120
		if !backend.SIMDBuild() {
			size, iters = 128, 40
		}
		if !explicit["size"] {
			s.size = size
		}
		if !explicit["iters"] {
			s.iters = iters
		}
		fmt.Fprintf(stderr, "estil demo: pure-Go backend (CPU): running small, %d px and %d iterations\n", s.size, s.iters)
	}

	// Drawn at the final size: no resampling blur.
	content := images.Lighthouse(s.size, s.size*3/4)
	style := images.Swirls(s.size, s.size)
	for name, img := range map[string]image.Image{"content": content, "style": style} {
		if err := images.SavePNG(sideFile(s.out, name), img); err != nil {
			return err
		}
	}
	j := job{content: content, styles: []image.Image{style}, description: "built-in lighthouse"}
	return runTransferWith(ctx, model, &s, j, stdout, stderr)
}

// sideFile is OUT-name.png for OUT.png.
func sideFile(out, name string) string {
	ext := filepath.Ext(out)
	return strings.TrimSuffix(out, ext) + "-" + name + ext
}
