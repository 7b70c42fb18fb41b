package main

import (
	"flag"
	"io"
	"slices"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/optim"
)

// planOf parses stylize's flags args and plans them.
func planOf(t *testing.T, args ...string) (plan, error) {
	t.Helper()
	fs := flag.NewFlagSet("stylize", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s := defaultSettings()
	s.register(fs)
	if err := fs.Parse(append([]string{"--content", "c.png", "--style", "s.png", "--out", "o.png"}, args...)); err != nil {
		t.Fatal(err)
	}
	return newPlan(s)
}

func TestPlan(t *testing.T) {
	p, err := planOf(t, "--size", "64", "--style-loss", "w2", "--optimizer", "adam", "--line-search", "none",
		"--color-match", "pca", "--pooling", "avg", "--init", "noise", "--resume", "r.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.scales, []int{64}) || p.size() != 64 || p.coarseToFine {
		t.Errorf("one scale of --size: %v, coarse to fine %v", p.scales, p.coarseToFine)
	}
	if p.loss.StyleLoss != nst.StyleLossW2 || p.optimizer.name != optim.AdamName || p.optimizer.strongWolfe ||
		p.color.match != images.ColorMatchPCA || p.model.pooling != nst.AveragePooling || p.pictures.init != nst.InitNoise {
		t.Errorf("the flags are not in the plan: %+v", p)
	}
	if p.outputs.checkpoint != "r.ckpt" {
		t.Errorf("--resume alone: checkpoint %q, want the resumed file", p.outputs.checkpoint)
	}

	p, err = planOf(t, "--size", "64", "--scales", "32,48", "--init", "start.png")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.scales, []int{32, 48}) || p.size() != 48 || !p.coarseToFine {
		t.Errorf("--scales 32,48: scales %v, size %d; the last scale is the size", p.scales, p.size())
	}
	if p.pictures.init != "" || p.pictures.initFile != "start.png" {
		t.Errorf("--init start.png: init %q, file %q", p.pictures.init, p.pictures.initFile)
	}
	if p.loss.StyleLoss != "" {
		t.Errorf("gram is the loss's default, kept empty: %q", p.loss.StyleLoss)
	}

	for _, bad := range [][]string{{"--size", "8"}, {"--scales", "32,48", "--save-every", "2"}, {"--original-colors", "--color-control", "luminance"}} {
		if _, err := planOf(t, bad...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
