package nst

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// TestFlagValues: the enums parse as flags, keep their value on a bad one, and fail in the
// one style of internal/enum.
func TestFlagValues(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	loss, norm, size, pool := StyleLossGram, GramNormNone, StyleSizeContent, MaxPooling
	fs.Var(&loss, "style-loss", "")
	fs.Var(&norm, "gram-norm", "")
	fs.Var(&size, "style-size", "")
	fs.Var(&pool, "pooling", "")
	if err := fs.Parse([]string{"--style-loss", "w2", "--gram-norm", "chw", "--style-size", "long-side", "--pooling", "avg"}); err != nil {
		t.Fatal(err)
	}
	if loss != StyleLossW2 || norm != GramNormCHW || size != StyleSizeLongSide || pool != AveragePooling {
		t.Errorf("parsed %v %v %v %v", loss, norm, size, pool)
	}
	for _, c := range []struct {
		v    flag.Value
		bad  string
		want string
	}{
		{&loss, "gaussian", `unknown style loss "gaussian": must be one of gram, mmd-linear, mmd-poly, mmd-gauss, mean-std, w2 or sliced`},
		{&norm, "mean", `unknown Gram normalisation "mean": must be one of none, hw or chw`},
		{&size, "square", `unknown style size "square": must be one of content or long-side`},
		{&pool, "min", `unknown pooling "min": must be one of max or avg`},
	} {
		before := c.v.String()
		if err := c.v.Set(c.bad); err == nil || err.Error() != c.want {
			t.Errorf("Set(%q) = %v, want %q", c.bad, err, c.want)
		}
		if c.v.String() != before {
			t.Errorf("Set(%q) changed %s to %s", c.bad, before, c.v.String())
		}
	}
	init := InitContent
	if err := init.Set("noise"); err != nil || init != InitNoise {
		t.Errorf("Init.Set(noise): %v, %v", init, err)
	}
	if err := init.Set("zeros"); err == nil || err.Error() != `unknown init "zeros": must be one of content, noise or style` || init != InitNoise {
		t.Errorf("Init.Set(zeros): %v, %v", init, err)
	}
	for _, p := range []Pooling{MaxPooling, AveragePooling} {
		if got, err := ParsePooling(p.String()); err != nil || got != p {
			t.Errorf("ParsePooling(%q) = %v, %v", p, got, err)
		}
	}
	if !strings.Contains(strings.Join(Poolings(), ","), "avg") {
		t.Errorf("Poolings() = %v", Poolings())
	}
}
