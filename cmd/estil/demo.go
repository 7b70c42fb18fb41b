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
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
)

var demoCmd = &command{
	UsageLine: "demo [flags]",
	Short:     "stylize a built-in pair of pictures",
	Long:      demoLong,
	Flag: func(fs *flag.FlagSet) func(context.Context, io.Writer, io.Writer) error {
		s := defaultSettings()
		s.demo, s.out = true, "demo.png"
		s.register(fs, demoFlags()...)
		return func(ctx context.Context, stdout, stderr io.Writer) error {
			explicit := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
			return demo(ctx, s, explicit, stdout, stderr)
		}
	},
}

// demoFlags are stylize's flags but the pictures' (--init stays).
func demoFlags() []string {
	var names []string
	for _, f := range settingFlags {
		switch f.name {
		case "content", "style", "style-blend", "style-size", "style-scale", "style-mask", "style-guide", "style-coarse", "style-fine":
		default:
			names = append(names, f.name)
		}
	}
	return names
}

// demo checks the flags and outputs, opens the model, and plans the run: at a size and
// iteration count that finish in a few minutes on the backend it got, unless the flags chose
// them. It then draws the pictures at the plan's size and runs it.
func demo(ctx context.Context, s settings, explicit map[string]bool, stdout, stderr io.Writer) error {
	checked, err := newPlan(s) // the flags, checked before the model loads
	if err != nil {
		return err
	}
	if err := checkOutputs(&checked); err != nil {
		return err
	}
	var j job
	if err := unlessCancelled(ctx, func() (err error) { j, err = loadDemoJob(&checked); return err }); err != nil {
		return err
	}
	model, err := openModel(ctx, checked.model, stderr, "demo")
	if err != nil {
		return err
	}
	p, err := demoPlan(s, explicit, model, stderr)
	if err != nil {
		return err
	}
	// Drawn at the final size: no resampling blur.
	j.content, j.styles = images.Lighthouse(p.size(), p.size()*3/4), []image.Image{images.Swirls(p.size(), p.size())}
	for name, img := range map[string]image.Image{"content": j.content, "style": j.styles[0]} {
		if err := images.SavePNG(sideFile(p.outputs.out, name), img); err != nil {
			return err
		}
	}
	return runTransferWith(ctx, model, &p, j, stdout, stderr)
}

// demoPlan is the demo's plan on model's backend: on the pure-Go one, small (smallDemo).
func demoPlan(s settings, explicit map[string]bool, model *nst.Model, stderr io.Writer) (plan, error) {
	small, ok := smallDemo(s, explicit)
	if !ok || !backend.IsPureGo(model.Backend) {
		return newPlan(s)
	}
	p, err := newPlan(small)
	if err == nil {
		fmt.Fprintf(stderr, "estil demo: pure-Go backend (CPU): running small, %d px and %d iterations\n", p.size(), p.optimizer.iters)
	}
	return p, err
}

// smallDemo is s with the pure-Go backend's size and iterations where the flags did not choose
// them (--scales chooses the size); ok is false when they chose both.
func smallDemo(s settings, explicit map[string]bool) (small settings, ok bool) {
	sized := explicit["size"] || len(s.scales) > 0
	if sized && explicit["iters"] {
		return s, false
	}
	// About two minutes on 2 cores: 256 px and 120 iterations with a SIMD matrix-product kernel
	// (60 took 58 s); the plain Go loops are ~7× slower (estil says so at start-up): 128 px and 40.
	size, iters := 256, 120
	if !backend.MatMulKernel().Fast() {
		size, iters = 128, 40
	}
	if !sized {
		s.size = size
	}
	if !explicit["iters"] {
		s.iters = iters
	}
	return s, true
}

// loadDemoJob reads what a demo reads: --init's picture and --resume's checkpoint; the pictures
// are drawn once the size is known.
func loadDemoJob(p *plan) (job, error) {
	j := job{description: "built-in lighthouse"}
	var err error
	if j.initImage, err = loadInit(p); err != nil {
		return j, err
	}
	j.resumed, err = loadResume(p)
	return j, err
}

// sideFile is OUT-name.png for OUT.png.
func sideFile(out, name string) string {
	ext := filepath.Ext(out)
	return strings.TrimSuffix(out, ext) + "-" + name + ext
}
