package notebooks

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/estil-nst/estil/notebooks/internal/nbgen"
)

// TestNotebooksMatchTheirSources fails when a committed notebook is not what the generator
// makes from src/ (someone edited a generated notebook, or a source without regenerating), or
// when a generated notebook has no source any more.
func TestNotebooksMatchTheirSources(t *testing.T) {
	want, err := nbgen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rel := range want {
		names = append(names, rel)
	}
	sort.Strings(names)
	if len(names) < 2*2*7 {
		t.Errorf("only %d notebooks generated, want 7 in each of %v, for students and teachers", len(names), nbgen.Languages)
	}
	for _, rel := range names {
		got, err := os.ReadFile(filepath.FromSlash(rel))
		if err != nil {
			t.Errorf("%s: %v (run `go generate ./notebooks`)", rel, err)
			continue
		}
		if !bytes.Equal(got, want[rel]) {
			t.Errorf("notebooks/%s differs from what notebooks/src makes: edit the source, then run `go generate ./notebooks`", rel)
		}
	}
	for _, v := range nbgen.Variants {
		for _, lang := range nbgen.Languages {
			files, _ := filepath.Glob(filepath.Join(filepath.FromSlash(v.Dir(lang)), "*.ipynb"))
			for _, f := range files {
				if _, ok := want[filepath.ToSlash(f)]; !ok {
					t.Errorf("notebooks/%s has no source in notebooks/src (run `go generate ./notebooks` to remove it)", filepath.ToSlash(f))
				}
			}
		}
	}
}
