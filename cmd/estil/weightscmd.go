package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/estil-nst/estil/internal/enum"
	"github.com/estil-nst/estil/weights"
)

var weightsCmd = &command{
	UsageLine: "weights [--model vgg19|vgg19-caffe]",
	Short:     "download and verify the weights into the cache, once",
	Long:      weightsLong,
	Flag: func(fs *flag.FlagSet) func(context.Context, io.Writer, io.Writer) error {
		name := fs.String("model", weights.DefaultModel.Name, "network: "+enum.List(weights.ModelNames()))
		return func(ctx context.Context, stdout, stderr io.Writer) error {
			return getWeights(ctx, *name, stdout, stderr)
		}
	},
}

const weightsLong = `
Gets the network's pretrained weights into the cache ($ESTIL_CACHE_DIR, or estil/ in the user's
cache folder), once: downloads the PyTorch file (about 550 MB), checks its SHA-256, converts its
convolutional part to a compact safetensors file and checks that. Run again, it checks the cached
file and downloads nothing. Offline, copy the .pth file it names into the cache folder first.

In a classroom the teacher fills the shared, read-only folder of a system install once:
  sudo ESTIL_CACHE_DIR=/opt/estil/weights /opt/estil/bin/estil weights
`

// getWeights gets and verifies the weights of the model called name (estil weights).
func getWeights(ctx context.Context, name string, stdout, stderr io.Writer) error {
	model, err := weights.ModelByName(name)
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
