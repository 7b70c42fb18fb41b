//go:build !cgo

package backend

// A build without cgo (no C compiler, or a cross-build) has no XLA: go-xla's PJRT bindings are
// cgo. These stand-ins let the rest of the package say so instead of failing to build.

import "os"

// XLABuilt reports whether this program can run XLA at all: it was built with cgo.
const XLABuilt = false

func installedPlugins() ([]Plugin, error) { return nil, nil }
func hasNvidiaGPU() bool                  { return false }
func installDir() string                  { return "" }
func install() error                      { return errNoCgo }
func cpuPluginSupported() bool            { return false }

func downloadsDisabled() bool {
	_, set := os.LookupEnv(noAutoInstallEnv)
	return set
}
