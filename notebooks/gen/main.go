// Command gen writes the English and Catalan notebooks (notebooks/en, notebooks/ca) from their
// single bilingual sources (notebooks/src/*.nb). Run it with `go generate ./notebooks` (or
// `go run ./notebooks/gen` from the repository root) after editing a source; a test fails
// while a committed notebook differs from what this makes.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/estil-nst/estil/notebooks/internal/nbgen"
)

func main() {
	dir := flag.String("dir", "notebooks", "the notebooks folder (holding src/)")
	flag.Parse()
	if _, err := os.Stat(*dir + "/src"); err != nil && *dir == "notebooks" {
		// Run by `go generate` from inside notebooks/.
		*dir = "."
	}
	written, err := nbgen.Write(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, p := range written {
		fmt.Println("wrote", p)
	}
}
