package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/estil-nst/estil/weights"
)

const weightsUsage = `Usage: estil weights [--model vgg19|vgg19-caffe]

Gets the network's pretrained weights into the cache ($ESTIL_CACHE_DIR, or estil/ in the user's
cache folder), once: downloads the PyTorch file (about 550 MB), checks its SHA-256, converts its
convolutional part to a compact safetensors file and checks that. Run again, it checks the cached
file and downloads nothing. Offline, copy the .pth file it names into the cache folder first.

In a classroom the teacher fills the shared, read-only folder of a system install once:
  sudo ESTIL_CACHE_DIR=/opt/estil/weights /opt/estil/bin/estil weights

Flags:
`

// weightsCommand gets and verifies the weights (estil weights).
func weightsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("weights", flag.ContinueOnError)
	name := fs.String("model", weights.DefaultModel.Name, "network: "+strings.Join(weights.ModelNames(), " or "))
	fs.Usage = func() { fmt.Fprint(fs.Output(), weightsUsage); fs.PrintDefaults() }
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("estil weights takes no arguments, got %q", fs.Arg(0))
	}
	model, err := weights.ModelByName(*name)
	if err != nil {
		return usageError{err.Error()}
	}
	dir, err := weights.CacheDir()
	if err != nil {
		return err
	}
	set, err := weights.Load(ctx, "", model, weights.WithProgress(stderr))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s weights ready and verified: %s (%d tensors)\n", model.Name, filepath.Join(dir, model.CompactFileName()), len(set.Tensors))
	return nil
}
