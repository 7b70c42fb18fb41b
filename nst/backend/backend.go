// Package backend opens the GoMLX backend estil runs on: XLA through a PJRT plugin where one
// loads, GoMLX's pure-Go backend otherwise, and says what the Go backend lacks in this build
// (SIMD).
package backend

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"    // GoMLX's pure-Go backend: runs everywhere.
	_ "github.com/gomlx/go-xla/compute/xla" // XLA through a PJRT plugin: CPU, CUDA.
)

// Backend names accepted by Open (and the CLI's --backend).
const (
	Auto    = "auto"
	Go      = "go"
	XLACPU  = "xla:cpu"
	XLACUDA = "xla:cuda"
)

// Open returns the GoMLX backend named by spec:
//
//   - "go": GoMLX's pure-Go backend.
//   - "xla:cpu", "xla:cuda", or "xla:/absolute/path/to/pjrt_plugin.so": XLA through that PJRT
//     plugin.
//   - "auto" (or ""): $GOMLX_BACKEND if set; else XLA's CUDA plugin, else XLA's CPU plugin, else
//     the pure-Go backend. GoMLX itself does not fall back: where no plugin loads,
//     backends.New() returns an error and no backend. When auto falls back it writes one line
//     to notice saying so.
//
// On the pure-Go backend, a build without GOEXPERIMENT=simd also writes SIMDNotice to notice.
// Every backend runs the network with GoMLX's own convolution (nst.NativeLowering), fast on each
// since estil's patch to the Go backend (third_party/PATCHES.md).
func Open(spec string, notice io.Writer) (compute.Backend, error) {
	if spec == "" {
		spec = Auto
	}
	if spec == Auto {
		if env := os.Getenv(compute.ConfigEnvVar); env != "" {
			b, err := open(env)
			return b, noticeSIMD(b, err, notice)
		}
		var reason string
		for _, candidate := range []string{XLACUDA, XLACPU} {
			b, err := open(candidate)
			if err == nil {
				return b, nil
			}
			if reason == "" {
				reason = oneLineSummary(err.Error())
			}
		}
		b, err := open(Go)
		if err == nil && notice != nil {
			fmt.Fprintf(notice, "estil: no XLA PJRT plugin loaded (%s); using GoMLX's pure-Go backend (CPU, slower). "+
				"To use XLA: set PJRT_PLUGIN_LIBRARY_PATH, or --backend xla:/path/to/pjrt_plugin.so\n", reason)
		}
		return b, noticeSIMD(b, err, notice)
	}
	b, err := open(spec)
	return b, noticeSIMD(b, err, notice)
}

// noticeSIMD writes SIMDNotice to notice when b is the Go backend, and passes err through.
func noticeSIMD(b compute.Backend, err error, notice io.Writer) error {
	if err == nil && notice != nil && IsPureGo(b) {
		fmt.Fprint(notice, SIMDNotice())
	}
	return err
}

func open(spec string) (b compute.Backend, err error) {
	name, _, _ := strings.Cut(spec, ":")
	switch name {
	case "go", "xla", "stablehlo", "hlo", "shlo":
	default:
		return nil, fmt.Errorf("unknown backend %q: use auto, go, xla:cpu, xla:cuda or xla:/path/to/pjrt_plugin.so", spec)
	}
	// GoMLX panics on some configuration errors; report them as errors.
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %q: %v", spec, r)
		}
	}()
	config := spec
	if spec == Go {
		// Operations one at a time; each convolution and matrix product still uses every core
		// inside. GoMLX v0.26's Go backend deadlocked with parallel operations (each small
		// product held a worker slot while waiting for more; ~1 run in 5 on 2 cores). With v0.28
		// VGG19 is a chain of large operations, each already parallel, so little is left to
		// overlap, and the hang was not worth risking again.
		config = "go:ops_sequential"
	}
	b, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", spec, err)
	}
	return b, nil
}

// IsPureGo reports whether b is GoMLX's pure-Go backend, where estil warns about long runs.
func IsPureGo(b compute.Backend) bool {
	return b.String() == gobackend.BackendName
}

// oneLineSummary is the first line of a backend's error message, without the long advice GoMLX
// appends, at most 160 bytes: what a one-line notice can hold.
func oneLineSummary(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s, _, _ = strings.Cut(s, " -- ") // GoMLX appends long advice after " -- "
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
