// Command pjrt installs XLA's PJRT plugins for GoMLX into the system library folder where
// go-xla looks for them (/usr/local/lib/go-xla): the CPU plugin, and the CUDA plugin with the
// NVIDIA libraries it needs (from JAX's pip packages, checked against their SHA-256 on PyPI).
//
// The Docker image runs it at build time, when there is no GPU to detect, which is why it
// installs the CUDA plugin unconditionally rather than calling go-xla's AutoInstall (which
// installs it only where an NVIDIA GPU is present). At run time GoMLX loads the CUDA plugin when
// the container has a GPU (docker run --gpus all) and falls back to the CPU plugin otherwise.
//
//	go run ./docker/pjrt [-dir /usr/local/lib] [-cuda=false] [-cpu=false]
//
// It needs the network (GitHub and PyPI).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/go-xla/installer"
)

func main() {
	dir := flag.String("dir", "/usr/local/lib", `library folder; plugins go into its "go-xla" subfolder`)
	cpu := flag.Bool("cpu", true, "install the CPU plugin")
	cuda := flag.Bool("cuda", true, "install the CUDA plugin and NVIDIA libraries")
	cudaVersion := flag.String("cuda-plugin", "cuda13", `"cuda13" or "cuda12": must match the image's CUDA major version`)
	flag.Parse()
	target := filepath.Join(*dir, "go-xla")
	if *cpu {
		if err := installer.CPUAutoInstall(target, true, installer.Normal); err != nil {
			fail("CPU plugin", err)
		}
	}
	if *cuda {
		if err := installer.CudaInstall(*cudaVersion, "latest", target, true, installer.Normal); err != nil {
			fail("CUDA plugin", err)
		}
	}
	fmt.Println("PJRT plugins installed in", target)
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "pjrt: installing the %s: %v\n", what, err)
	os.Exit(1)
}
