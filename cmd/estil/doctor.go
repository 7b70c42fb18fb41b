package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/estil-nst/estil/bench"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/optim"
)

var doctorCmd = &command{
	UsageLine: "doctor [--seconds 5] [--backend auto]",
	Short:     "say what this machine gets: build, kernel, backends, speed, the demo's time",
	Long:      doctorLong,
	Flag: func(fs *flag.FlagSet) func(context.Context, io.Writer, io.Writer) error {
		seconds := fs.Float64("seconds", 5, "how long to time the matrix product, in seconds")
		spec := fs.String("backend", "", "time this backend instead of the one --backend auto picks")
		return func(ctx context.Context, stdout, stderr io.Writer) error {
			if !(*seconds > 0 && *seconds <= 600) {
				return usagef("--seconds %g: must be more than 0 and at most 600", *seconds)
			}
			return doctor(ctx, *spec, time.Duration(*seconds*float64(time.Second)), stdout, stderr)
		}
	},
}

const doctorLong = `
For a student or a teacher who wants to know what estil will do on this machine, before a class.
It prints:

  system   the OS and architecture, and whether this estil was built with cgo (without it,
           there is no XLA) and with GOEXPERIMENT=simd (without it, no AVX-512/AVX2 on amd64);
  kernel   the matrix-product kernel GoMLX's Go backend runs: AVX-512, AVX2 (amd64), NEON
           (arm64) or generic Go loops (~8× slower);
  backend  which backends --backend auto tries, in order, whether each loads, the plugin files
           it found, and what it would download first (GOMLX_NO_AUTO_INSTALL=1 turns
           downloads off);
  speed    a matrix product timed for --seconds on the backend auto picks (convolution
           conv3_2's shape at the demo's size), and from it an estimate of estil demo's time.

doctor downloads nothing. The kernel is chosen when estil starts; GOMLX_SIMD_AVX512=false,
GOMLX_SIMD_AVX2=false and GOMLX_SIMD_NEON=false turn one off, to compare.
`

// doctor prints the machine's description, then times a matrix product on the backend auto
// would pick (or spec) and estimates the demo's time from it.
func doctor(ctx context.Context, spec string, budget time.Duration, stdout, stderr io.Writer) error {
	m := bench.DescribeMachine()
	m.Print(stdout)
	if spec == "" {
		spec = firstLoading(m.Candidates)
	}
	b, err := backend.Open(spec, nil)
	if err != nil {
		return err
	}
	defer b.Finalize()
	demo, _ := smallDemo(defaultSettings(), nil)
	if !backend.IsPureGo(b) {
		demo = defaultSettings()
	}
	w, h := demo.size, demo.size*3/4 // the demo's lighthouse
	mm, k, n := 256, 256*9, (w/4)*(h/4)
	if err := ctx.Err(); err != nil {
		return err
	}
	rate, err := bench.MatMulRate(b, mm, k, n, budget)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "speed:   %.1f GFLOP/s on %s, a [%d×%d]·[%d×%d] float32 product (conv3_2 at %d×%d px), best over %s\n",
		rate, b.Name(), mm, k, k, n, w, h, budget.Round(time.Second/10))
	est := nst.EstimateSecondsAtRate(w, h, demo.iters, optim.LBFGSName, rate)
	fmt.Fprintf(stdout, "demo:    estil demo (%d×%d px, %d L-BFGS iterations) should take about %s, plus compilation: "+
		"an evaluation runs at ~%.0f %% of that rate (36–57 %% measured), so ±30 %%\n",
		w, h, demo.iters, (time.Duration(est * float64(time.Second))).Round(time.Second), 100*nst.EvaluationEfficiency)
	return nil
}

// firstLoading is the first candidate that loads: the pure-Go backend is last and always does.
func firstLoading(cs []bench.Candidate) string {
	for _, c := range cs {
		if c.Loads {
			return c.Spec
		}
	}
	return backend.Go
}
