// Package nbkit is the small toolbox the estil notebooks share, so that each notebook's cells
// stay about the idea they teach rather than about plumbing.
//
// It decides how big a run is (Tiny, Size, Iters: the classroom sizes, or tiny ones when
// ESTIL_NOTEBOOK_TINY=1, which the test that executes every notebook sets), loads VGG19 with
// the best weights it can get and says loudly when they are random (Model), draws the two
// built-in pictures (Pictures), shows pictures side by side (Pictures, Row) and connects GoNB
// widgets only when a browser is there to answer (Live).
//
// GoNB runs every cell as a fresh program: nothing computed in one cell survives to the next,
// only declarations do. So cells call Model() again rather than keeping a model in a global; with
// cached weights that takes about a second.
//
// # Exercises that students implement, and checks
//
// In some exercises the student writes part of the loss in GoMLX: the Gram matrix (03), the content
// loss and one layer's style loss (04), the total variation (06), mmd-linear (07) and the guided
// Gram matrix (08). Exercises lists them, with the stub a student starts from and the teacher's
// solution. The cell after the student's calls a check (CheckGram, CheckContentLoss,
// CheckStyleLayerLoss, CheckTotalVariation, CheckMMDLinear, CheckGuidedGram), which runs the
// student's function and estil's own (package nst) on the same
// random inputs of three or four shapes and prints ✔, or ✘ and a hint. It never shows estil's code.
// To find the mistake it does what one does by hand when a loss disagrees with a reference. Does
// the graph build? Is the result the right shape (a [h·w, h·w] Gram matrix is Fᵀ·F)? Is every value
// a number? And above all, what is the ratio of the two results on each input? A ratio of −1 is the
// wrong sign. A ratio that follows the sizes is a missing or extra factor: d·h·w is a sum where a
// mean is meant, 1/(h·w) a division the original does not make. The shapes are chosen so that d,
// h·w and their products differ, so each ratio has one reading.
package nbkit

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/weights"
)

// TinyEnv is the environment variable that makes every notebook run tiny (32–48 px, a few
// iterations, random weights unless real ones are already cached), so that CI can execute them.
const TinyEnv = "ESTIL_NOTEBOOK_TINY"

// Tiny reports whether the notebooks run tiny (ESTIL_NOTEBOOK_TINY set to a true value).
func Tiny() bool {
	v, err := strconv.ParseBool(os.Getenv(TinyEnv))
	return err == nil && v
}

// TinySize is the side of every picture when Tiny: VGG19 halves the picture five times, so
// 32 px is the smallest that still reaches conv5_1 (2×2), and 40 leaves it 2×2 with a bit more
// to look at in the early layers.
const TinySize = 40

// Size returns classroom, or TinySize when Tiny.
func Size(classroom int) int {
	if Tiny() {
		return min(classroom, TinySize)
	}
	return classroom
}

// Iters returns classroom, or tiny when Tiny (and tiny ≤ classroom).
func Iters(classroom, tiny int) int {
	if Tiny() {
		return min(classroom, tiny)
	}
	return classroom
}

// Model loads torchvision's VGG19 on the best backend there is, printing what it did to
// stdout. It uses the real weights when it can: from the cache, else (not Tiny) downloading
// them once (550 MB). When they cannot be had it falls back to random weights and says so in
// capitals: pictures then show what an untrained network does, not style transfer.
func Model() *nst.Model {
	m, err := LoadModel(context.Background(), os.Stdout)
	if err != nil {
		panic(err)
	}
	return m
}

// LoadModel is Model with a context and a writer for the messages, and an error instead of a
// panic.
func LoadModel(ctx context.Context, out io.Writer) (*nst.Model, error) {
	spec := ""
	if Tiny() && !cached(weights.DefaultModel) {
		fmt.Fprintf(out, say("%s=1: tiny run without downloading weights.\n",
			"%s=1: execució petita, sense baixar els pesos.\n"), TinyEnv)
		spec = "random"
	}
	m, err := nst.LoadModel(ctx, nst.LoadOptions{Weights: spec, Notice: out, OfflineFallback: func(err error) {
		fmt.Fprintf(out, say("Could not get the real VGG19 weights (%v).\n",
			"No s'han pogut obtenir els pesos reals de VGG19 (%v).\n"), err)
		fmt.Fprintln(out, say("!!! FALLING BACK TO RANDOM WEIGHTS: the pictures below show an UNTRAINED network. !!!",
			"!!! FEM SERVIR PESOS ALEATORIS: les imatges d'aquí sota mostren una xarxa SENSE ENTRENAR. !!!"))
	}})
	if err != nil {
		return nil, fmt.Errorf("loading VGG19: %w", err)
	}
	return m, nil
}

// cached reports whether model's weights are already in the cache (converted or not), so that
// loading them needs no network.
func cached(model weights.Model) bool {
	dir, err := weights.CacheDir()
	if err != nil {
		return false
	}
	for _, name := range []string{model.CompactFileName(), model.FileName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}
