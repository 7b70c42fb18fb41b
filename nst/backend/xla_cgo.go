//go:build cgo

package backend

// XLA runs through PJRT plugins, C libraries that go-xla loads with cgo: this file, and so XLA,
// exists only in builds with cgo (a C compiler). xla_nocgo.go stands in for it elsewhere.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/gomlx/go-xla/compute/xla" // XLA through a PJRT plugin: CPU, CUDA (registers "xla").
	"github.com/gomlx/go-xla/installer"
	"github.com/gomlx/go-xla/pjrt"
)

// XLABuilt reports whether this program can run XLA at all: it was built with cgo.
const XLABuilt = true

func init() {
	// estil decides when to download plugins (auto.go): go-xla's own auto-install would run at
	// every xla.New, before it looks at the plugins already installed, so that an offline machine
	// never reached them (backends reading, §1.4).
	xla.EnableAutoInstall(false)
}

// installedPlugins are the PJRT plugins go-xla finds without downloading anything: name
// ("cpu", "cuda", "cpu_v0.114.0", …) and path, sorted by name. go-xla v0.4.1 panics while
// checking a plugin file that is not a shared library (it closes the handle it failed to
// open): that is an error here.
func installedPlugins() (found []Plugin, err error) {
	defer func() {
		if r := recover(); r != nil {
			found, err = nil, fmt.Errorf("go-xla failed while checking the installed PJRT plugins (%v): "+
				"is a file in PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla or /usr/local/lib/go-xla not a plugin?", r)
		}
	}()
	for name, path := range pjrt.AvailablePlugins() {
		found = append(found, Plugin{Name: name, Path: path})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	return found, nil
}

// hasNvidiaGPU is go-xla's guess (/dev/nvidia* or nvidia-smi; false off linux/amd64).
func hasNvidiaGPU() bool { return installer.HasNvidiaGPU() }

// installDir is where go-xla's auto-install puts plugins: "go-xla" in the user's library
// folder (installer.AutoInstall).
func installDir() string {
	dir, err := installer.DefaultHomeLibPath()
	if err != nil {
		return "(no user library folder: " + err.Error() + ")"
	}
	return filepath.Join(dir, "go-xla")
}

// install runs go-xla's auto-install: the CPU plugin where none is installed in installDir, and
// the CUDA plugin with NVIDIA's libraries where a GPU is present.
func install() error { return installer.AutoInstall("", true, installer.Normal) }

// cpuPluginSupported: the platforms gomlx/pjrt-cpu-binaries publishes a CPU plugin for
// (go-xla installer/cpu.go).
func cpuPluginSupported() bool {
	switch runtime.GOOS + "_" + runtime.GOARCH {
	case "linux_amd64", "linux_arm64", "darwin_arm64", "windows_amd64":
		return true
	}
	return false
}

// downloadsDisabled: go-xla's variable, which estil honours for its own downloads too. Any value
// disables them (go-xla reads it with os.LookupEnv), even "0".
func downloadsDisabled() bool {
	_, set := os.LookupEnv(xla.NoAutoInstallEnv)
	return set
}
