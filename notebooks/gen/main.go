// Command gen writes the English and Catalan notebooks, the students' copies (notebooks/en,
// notebooks/ca) and the teachers' (notebooks/teacher/en, ca), from their single bilingual sources
// (notebooks/src/*.nb). With -nbgrader COURSE it writes instead nbgrader's source version of each
// notebook into COURSE/source/. Run it with `go generate ./notebooks` (or
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
	course := flag.String("nbgrader", "", "instead, write nbgrader's source version of every notebook into `COURSE`/source/<notebook>/ (one assignment per notebook), for nbgrader's generate_assignment")
	lang := flag.String("lang", "en", "with -nbgrader: the notebooks' language, en or ca")
	flag.Parse()
	if _, err := os.Stat(*dir + "/src"); err != nil && *dir == "notebooks" {
		// Run by `go generate` from inside notebooks/.
		*dir = "."
	}
	write := func() ([]string, error) { return nbgen.Write(*dir) }
	if *course != "" {
		write = func() ([]string, error) { return nbgen.WriteNbgrader(*dir, *lang, *course) }
	}
	written, err := write()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, p := range written {
		fmt.Println("wrote", p)
	}
}
