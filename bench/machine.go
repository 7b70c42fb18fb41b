package bench

import (
	"fmt"
	"io"
	"runtime"

	"github.com/estil-nst/estil/nst/backend"
)

// Machine is what estil gets on this machine: how it was built, which matrix-product kernel
// GoMLX's Go backend runs, and which backends --backend auto would try. `estil doctor` prints
// it, and `estil bench` prints it above its figures.
type Machine struct {
	OS         string         `json:"os"`
	Arch       string         `json:"arch"`
	CPUs       int            `json:"cpus"`
	GoVersion  string         `json:"go"`
	Cgo        bool           `json:"cgo"`               // built with cgo, so XLA is possible
	SIMD       bool           `json:"goexperiment_simd"` // built with GOEXPERIMENT=simd
	Kernel     backend.Kernel `json:"matmul_kernel"`     // the Go backend's float32 matrix-product kernel
	Candidates []Candidate    `json:"auto_tries"`        // what --backend auto tries, in order
}

// Candidate is one backend --backend auto tries, and what would happen (backend.Candidate, as
// text).
type Candidate struct {
	Spec      string   `json:"backend"`
	Loads     bool     `json:"loads"`
	Why       string   `json:"why_not,omitempty"`
	Plugin    string   `json:"plugin,omitempty"`
	Downloads []string `json:"downloads_first,omitempty"`
	FromEnv   bool     `json:"from_gomlx_backend,omitempty"`
}

// DescribeMachine looks at this build and machine; it opens the installed XLA plugins to see
// whether they load, and downloads nothing.
func DescribeMachine() Machine {
	m := Machine{
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version(),
		Cgo: backend.XLABuilt, SIMD: backend.SIMDBuild(), Kernel: backend.MatMulKernel(),
	}
	for _, c := range backend.Candidates() {
		t := Candidate{Spec: c.Spec, Loads: c.Err == nil, Plugin: c.Plugin, FromEnv: c.FromEnv}
		if c.Err != nil {
			t.Why = firstLine(c.Err.Error())
		}
		for _, d := range c.Download {
			t.Downloads = append(t.Downloads, d.What+", "+d.Size)
		}
		m.Candidates = append(m.Candidates, t)
	}
	return m
}

// Print writes the description, a few lines, each starting with what it is about.
func (m Machine) Print(w io.Writer) {
	fmt.Fprintf(w, "system:  %s/%s, %d CPUs; estil built with %s, cgo %s, GOEXPERIMENT=simd %s\n",
		m.OS, m.Arch, m.CPUs, m.GoVersion, onOff(m.Cgo, "on", "off (no XLA)"), onOff(m.SIMD, "on", "off"))
	fmt.Fprintf(w, "kernel:  the Go backend multiplies float32 matrices with the %s kernel%s\n", m.Kernel, kernelRemark(m.Kernel))
	fmt.Fprintln(w, "backend: --backend auto tries, in order:")
	picked, downloads := false, false
	for _, c := range m.Candidates {
		state := "loads"
		switch {
		case !c.Loads && len(c.Downloads) > 0:
			state, downloads = "not installed: auto downloads it first (below), then tries it", true
		case !c.Loads:
			state = "no: " + c.Why
		case !picked && downloads:
			state, picked = "loads: auto picks this one if the downloads fail", true
		case !picked:
			state, picked = "loads: auto picks this one", true
		}
		if c.FromEnv {
			state += " ($GOMLX_BACKEND names it: auto tries nothing else)"
		}
		fmt.Fprintf(w, "  %-9s %s\n", c.Spec, state)
		if c.Plugin != "" {
			fmt.Fprintf(w, "            plugin %s\n", c.Plugin)
		}
		for _, d := range c.Downloads {
			fmt.Fprintf(w, "            auto downloads first: %s (GOMLX_NO_AUTO_INSTALL=1 skips it)\n", d)
		}
	}
}

func kernelRemark(k backend.Kernel) string {
	switch {
	case !k.Fast():
		return " (plain Go loops: ~8× slower than a SIMD kernel)"
	case k == backend.KernelAVX512:
		return " (Go assembly, estil patch 3)"
	case k == backend.KernelAVX2:
		return " (Go assembly, estil patch 7)"
	case k == backend.KernelNEON:
		return " (Go assembly, estil patch 8)"
	}
	return ""
}

func onOff(b bool, on, off string) string {
	if b {
		return on
	}
	return off
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
