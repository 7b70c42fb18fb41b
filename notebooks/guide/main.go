// Command guide draws the pictures of the teacher's guide (notebooks/GUIDE.md, GUIDE.ca.md):
// the pipeline diagram in English and Catalan, pipeline.en.svg and pipeline.ca.svg, into the
// folder given by -out (default: this folder, whether `go generate ./notebooks` or
// `go run ./notebooks/guide` from the repository's root runs it). A test in
// package notebooks fails while the committed files differ from what explain.PipelineDiagram
// draws.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/estil-nst/estil/explain"
	"github.com/estil-nst/estil/internal/atomicfile"
)

func main() {
	out := flag.String("out", "guide", "the folder to write the diagrams into")
	flag.Parse()
	if _, err := os.Stat(*out); err != nil && *out == "guide" {
		// Run from the repository's root (`go run ./notebooks/guide`) rather than by go generate.
		*out = filepath.Join("notebooks", "guide")
	}
	for _, lang := range []string{explain.English, explain.Catalan} {
		path := filepath.Join(*out, "pipeline."+lang+".svg")
		if err := atomicfile.Write(path, func(w io.Writer) error { return explain.PipelineDiagram(w, lang) }); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("wrote", path)
	}
}
