package backend

import (
	"errors"
	"os"
	"runtime"
	"strings"

	"github.com/gomlx/compute"
)

// Plugin is an installed XLA PJRT plugin: its name ("cpu", "cuda", "cpu_v0.114.0", …) and file.
type Plugin struct {
	Name, Path string
}

// Download is something auto would fetch before it can use XLA.
type Download struct {
	Plugin string // "cpu" or "cuda"
	What   string // what is fetched, and from where
	Size   string // how much, as far as estil can know without the network
}

// Candidate is one backend auto would try, in order, and what would happen.
type Candidate struct {
	Spec     string     // as --backend takes it
	Plugin   string     // the installed plugin's file, "" if none (or not a plugin)
	Download []Download // what auto would fetch for it first (nothing if downloads are off)
	Err      error      // why it would not load now; nil if it loads
	FromEnv  bool       // $GOMLX_BACKEND named it: auto tries nothing else
}

// Plugins are the XLA PJRT plugins installed where go-xla looks (its user and system folders,
// PJRT_PLUGIN_LIBRARY_PATH, the library path); none in a build without cgo.
func Plugins() ([]Plugin, error) { return installedPlugins() }

// installedPlugin is the file of the installed plugin named name or name_<version>, or "".
func installedPlugin(name string) (string, error) {
	plugins, err := installedPlugins()
	for _, p := range plugins {
		if p.Name == name || strings.HasPrefix(p.Name, name+"_") {
			return p.Path, nil
		}
	}
	return "", err
}

// pendingDownloads is what go-xla's auto-install would fetch on this machine now: the CPU plugin
// where it publishes one for this platform and none is installed in the user's folder, and the
// CUDA plugin with NVIDIA's libraries where an NVIDIA GPU is present and no CUDA plugin is.
// Sizes are not known offline; the CUDA libraries are several GB (go-xla installer/cuda.go).
func pendingDownloads() []Download {
	if !XLABuilt {
		return nil
	}
	var fetch []Download
	if cpuPluginSupported() && !installedIn(installDir(), "cpu") {
		fetch = append(fetch, Download{Plugin: "cpu",
			What: "XLA's CPU plugin (pjrt_cpu_" + runtime.GOOS + "_" + runtime.GOARCH + " from github.com/gomlx/pjrt-cpu-binaries, release v0.114.0)",
			Size: "tens of MB; the exact size is known only online",
		})
	}
	if cuda, _ := installedPlugin("cuda"); hasNvidiaGPU() && cuda == "" {
		fetch = append(fetch, Download{Plugin: "cuda",
			What: "XLA's CUDA 13 plugin and NVIDIA's CUDA libraries (jax-cuda13-pjrt, latest, and the nvidia-* wheels, from PyPI)",
			Size: "several GB",
		})
	}
	return fetch
}

// installedIn reports whether a plugin named name (or name_<version>) is installed in dir, the
// one folder go-xla's auto-install checks before downloading.
func installedIn(dir, name string) bool {
	plugins, _ := installedPlugins()
	for _, p := range plugins {
		if (p.Name == name || strings.HasPrefix(p.Name, name+"_")) && strings.HasPrefix(p.Path, dir) {
			return true
		}
	}
	return false
}

// Candidates lists what Open(Auto, …) would try, in its order, opening each to see whether it
// loads (and downloading nothing): $GOMLX_BACKEND alone if set; else XLA on CUDA and on the CPU,
// then the pure-Go backend, which always loads.
func Candidates() []Candidate {
	if env := os.Getenv(compute.ConfigEnvVar); env != "" {
		c := Candidate{Spec: env, FromEnv: true}
		if b, err := open(env); err != nil {
			c.Err = err
		} else {
			b.Finalize()
		}
		return []Candidate{c}
	}
	fetch := pendingDownloads()
	var out []Candidate
	for _, spec := range []string{XLACUDA, XLACPU} {
		name := strings.TrimPrefix(spec, "xla:")
		plugin, err := installedPlugin(name)
		c := Candidate{Spec: spec, Plugin: plugin}
		for _, d := range fetch {
			if d.Plugin == name && !downloadsDisabled() {
				c.Download = append(c.Download, d)
			}
		}
		switch {
		case !XLABuilt:
			c.Err = errNoCgo
		case err != nil:
			c.Err = err
		case c.Plugin == "":
			c.Err = errNotInstalled
		default:
			if b, err := open(spec); err != nil {
				c.Err = err
			} else {
				b.Finalize()
			}
		}
		out = append(out, c)
	}
	return append(out, Candidate{Spec: Go})
}

// errNotInstalled: auto skips an XLA plugin that is not installed.
var errNotInstalled = errors.New("no plugin installed")
