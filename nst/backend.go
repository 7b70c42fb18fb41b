package nst

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"    // GoMLX's pure-Go backend: runs everywhere.
	_ "github.com/gomlx/go-xla/compute/xla" // XLA through a PJRT plugin: CPU, CUDA.
)

// Backend names accepted by OpenBackend (and the CLI's --backend).
const (
	BackendAuto    = "auto"
	BackendGo      = "go"
	BackendXLACPU  = "xla:cpu"
	BackendXLACUDA = "xla:cuda"
)

// OpenBackend returns the GoMLX backend named by spec and the lowering that suits it:
//
//   - "go": GoMLX's pure-Go backend.
//   - "xla:cpu", "xla:cuda", or "xla:/absolute/path/to/pjrt_plugin.so": XLA through that PJRT
//     plugin.
//
// Both get the native lowering (GoMLX's Convolve), fast on each since estil's patch to the Go
// backend (third_party/PATCHES.md).
//   - "auto" (or ""): $GOMLX_BACKEND if set; else XLA's CUDA plugin, else XLA's CPU plugin, else
//     the pure-Go backend. GoMLX itself does not fall back: where no plugin loads,
//     backends.New() returns an error and no backend. When auto falls back it writes one line
//     to notice saying so.
func OpenBackend(spec string, notice io.Writer) (compute.Backend, Lowering, error) {
	if spec == "" {
		spec = BackendAuto
	}
	if spec == BackendAuto {
		if env := os.Getenv(compute.ConfigEnvVar); env != "" {
			b, l, err := openBackend(env)
			return b, l, noticeSIMD(b, err, notice)
		}
		var reason string
		for _, candidate := range []string{BackendXLACUDA, BackendXLACPU} {
			b, l, err := openBackend(candidate)
			if err == nil {
				return b, l, nil
			}
			if reason == "" {
				reason = oneLineSummary(err.Error())
			}
		}
		b, l, err := openBackend(BackendGo)
		if err == nil && notice != nil {
			fmt.Fprintf(notice, "estil: no XLA PJRT plugin loaded (%s); using GoMLX's pure-Go backend (CPU, slower). "+
				"To use XLA: set PJRT_PLUGIN_LIBRARY_PATH, or --backend xla:/path/to/pjrt_plugin.so\n", reason)
		}
		return b, l, noticeSIMD(b, err, notice)
	}
	b, l, err := openBackend(spec)
	return b, l, noticeSIMD(b, err, notice)
}

// noticeSIMD writes SIMDNotice to notice when b is the Go backend, and passes err through.
func noticeSIMD(b compute.Backend, err error, notice io.Writer) error {
	if err == nil && notice != nil && IsPureGo(b) {
		fmt.Fprint(notice, SIMDNotice())
	}
	return err
}

func openBackend(spec string) (b compute.Backend, l Lowering, err error) {
	name, _, _ := strings.Cut(spec, ":")
	switch name {
	case "go", "xla", "stablehlo", "hlo", "shlo":
		l = NativeLowering
	default:
		return nil, 0, fmt.Errorf("unknown backend %q: use auto, go, xla:cpu, xla:cuda or xla:/path/to/pjrt_plugin.so", spec)
	}
	// GoMLX panics on some configuration errors; report them as errors.
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %q: %v", spec, r)
		}
	}()
	config := spec
	if spec == BackendGo {
		// Operations one at a time; each convolution and matrix product still uses every core
		// inside. GoMLX v0.26's Go backend deadlocked with parallel operations (each small
		// product held a worker slot while waiting for more; ~1 run in 5 on 2 cores). With v0.28
		// VGG19 is a chain of large operations, each already parallel, so little is left to
		// overlap, and the hang was not worth risking again.
		config = "go:ops_sequential"
	}
	b, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, 0, fmt.Errorf("backend %q: %w", spec, err)
	}
	return b, l, nil
}

// IsPureGo reports whether b is GoMLX's pure-Go backend, where estil warns about long runs.
func IsPureGo(b compute.Backend) bool {
	return b.String() == gobackend.BackendName
}

func oneLineSummary(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s, _, _ = strings.Cut(s, " -- ") // GoMLX appends long advice after " -- "
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
