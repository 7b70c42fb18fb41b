// Package backend opens the GoMLX backend estil runs on: XLA through a PJRT plugin where one
// loads, GoMLX's pure-Go backend otherwise, and says what the Go backend lacks in this build
// (SIMD).
package backend

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend" // GoMLX's pure-Go backend: runs everywhere.
	// XLA (go-xla) is imported by xla_cgo.go, in builds with cgo only.
)

// Backend names accepted by Open (and the CLI's --backend).
const (
	Auto    = "auto"
	Go      = "go"
	XLACPU  = "xla:cpu"
	XLACUDA = "xla:cuda"
)

// noAutoInstallEnv opts out of every plugin download (go-xla's variable; estil honours it for
// the downloads it starts itself). Any value, even "0", opts out.
const noAutoInstallEnv = "GOMLX_NO_AUTO_INSTALL"

// errNoCgo is what an XLA backend gets from a build without cgo.
var errNoCgo = errors.New("this estil was built without cgo, so it has only the pure-Go backend; " +
	"to get XLA, build it where a C compiler is on PATH (e.g. CGO_ENABLED=1 go build ./cmd/estil)")

// Open returns the GoMLX backend named by spec:
//
//   - "go": GoMLX's pure-Go backend.
//   - "xla:cpu", "xla:cuda", or "xla:/absolute/path/to/pjrt_plugin.so": XLA through that PJRT
//     plugin (only in builds with cgo; elsewhere a one-line error says how to get it).
//   - "auto" (or ""): $GOMLX_BACKEND if set; else the installed XLA plugins (CUDA, then CPU);
//     else, unless GOMLX_NO_AUTO_INSTALL is set, the plugins go-xla downloads, after a line on
//     notice saying what and where; else the pure-Go backend, with one line on notice saying
//     why and what to set. GoMLX itself does not fall back: where no plugin loads,
//     backends.New() returns an error and no backend. Candidates lists the same steps.
//
// On the pure-Go backend without a SIMD matrix-product kernel, Open also writes SIMDNotice to
// notice. Every backend runs the network with GoMLX's own convolution, fast on each since
// estil's patch to the Go backend (third_party/PATCHES.md).
func Open(spec string, notice io.Writer) (compute.Backend, error) {
	if spec == "" {
		spec = Auto
	}
	if spec != Auto {
		b, err := open(spec)
		return b, noticeSIMD(b, err, notice)
	}
	if env := os.Getenv(compute.ConfigEnvVar); env != "" {
		b, err := open(env)
		return b, noticeSIMD(b, err, notice)
	}
	b, reason := openInstalledXLA()
	if b == nil && reason == "" { // nothing installed: download, where allowed
		reason = downloadPlugins(notice)
		if reason == "" {
			b, reason = openInstalledXLA()
		}
	}
	if b != nil {
		return b, nil
	}
	b, err := open(Go)
	if err == nil && notice != nil {
		fmt.Fprintln(notice, fallbackNotice(reason))
	}
	return b, noticeSIMD(b, err, notice)
}

// openInstalledXLA opens the first installed plugin that loads, CUDA before CPU. With none
// installed, it returns nil and ""; with some that do not load, nil and the first one's error.
func openInstalledXLA() (b compute.Backend, reason string) {
	if !XLABuilt {
		return nil, errNoCgo.Error()
	}
	for _, spec := range []string{XLACUDA, XLACPU} {
		plugin, err := installedPlugin(strings.TrimPrefix(spec, "xla:"))
		if err != nil { // something is installed, but go-xla cannot tell what: download nothing
			return nil, oneLineSummary(err.Error())
		}
		if plugin == "" {
			continue
		}
		b, err := open(spec)
		if err == nil {
			return b, ""
		}
		if reason == "" {
			reason = oneLineSummary(err.Error())
		}
	}
	return nil, reason
}

// downloadPlugins runs go-xla's auto-install when it would fetch something and downloads are
// allowed, after saying on notice what it fetches and where; it returns why no plugin came ("" if
// one did).
func downloadPlugins(notice io.Writer) string {
	fetch := pendingDownloads()
	switch {
	case len(fetch) == 0:
		return "no XLA PJRT plugin installed, and none to download for this platform"
	case downloadsDisabled():
		return "no XLA PJRT plugin installed, and " + noAutoInstallEnv + " is set: nothing downloaded"
	}
	if notice != nil {
		what := make([]string, len(fetch))
		for i, d := range fetch {
			what[i] = d.What + " (" + d.Size + ")"
		}
		fmt.Fprintf(notice, "estil: no XLA PJRT plugin installed: downloading %s into %s; set %s=1 to skip (estil then runs on its pure-Go backend)\n",
			strings.Join(what, " and "), installDir(), noAutoInstallEnv)
	}
	if err := install(); err != nil {
		return oneLineSummary("downloading XLA's plugins failed: " + err.Error())
	}
	return ""
}

// fallbackNotice is the line auto writes when it falls back to the pure-Go backend.
func fallbackNotice(reason string) string {
	if !XLABuilt {
		return "estil: built without cgo, so no XLA: using GoMLX's pure-Go backend (CPU). To get XLA, build where a C compiler is on PATH (CGO_ENABLED=1)"
	}
	where := installDir()
	if where != "" {
		where = " into " + where + " or"
	}
	return fmt.Sprintf("estil: no XLA PJRT plugin loaded (%s); using GoMLX's pure-Go backend (CPU, slower). "+
		"To use XLA: put a PJRT plugin%s on PJRT_PLUGIN_LIBRARY_PATH, or use --backend xla:/path/to/pjrt_plugin.so; estil doctor lists what it finds", reason, where)
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
	case "go":
	case "xla", "stablehlo", "hlo", "shlo":
		if !XLABuilt {
			return nil, fmt.Errorf("backend %q: %w", spec, errNoCgo)
		}
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
