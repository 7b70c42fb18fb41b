package nbgen

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Generate reads every source in dir/src and returns the notebooks it makes, keyed by their
// path relative to dir: the students' copies ("en/01_vgg19.ipynb", "ca/01_vgg19.ipynb", ...) and
// the teachers' ("teacher/en/01_vgg19.ipynb", ...).
func Generate(dir string) (map[string][]byte, error) {
	srcs, err := filepath.Glob(filepath.Join(dir, "src", "*.nb"))
	if err != nil {
		return nil, err
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("no notebook sources (*.nb) in %s", filepath.Join(dir, "src"))
	}
	sort.Strings(srcs)
	out := map[string][]byte{}
	for _, path := range srcs {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(path), ".nb")
		s, err := Parse(name, data)
		if err != nil {
			return nil, err
		}
		for _, v := range Variants {
			for _, lang := range Languages {
				nb, err := s.Render(lang, v)
				if err != nil {
					return nil, err
				}
				out[v.Dir(lang)+"/"+name+".ipynb"] = nb
			}
		}
	}
	return out, nil
}

// Write generates the notebooks of dir and writes them under dir, removing generated
// notebooks whose source is gone. It returns the paths written.
func Write(dir string) ([]string, error) {
	nbs, err := Generate(dir)
	if err != nil {
		return nil, err
	}
	for _, v := range Variants {
		for _, lang := range Languages {
			sub := v.Dir(lang)
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(sub)), 0o755); err != nil {
				return nil, err
			}
			old, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(sub), "*.ipynb"))
			for _, p := range old {
				if _, keep := nbs[sub+"/"+filepath.Base(p)]; !keep {
					if err := os.Remove(p); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	var written []string
	for rel, data := range nbs {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
		written = append(written, p)
	}
	sort.Strings(written)
	return written, nil
}

// WriteNbgrader writes nbgrader's source version (Variant Nbgrader) of every notebook of dir in
// lang into course/source/, one assignment per notebook (course/source/03_gram/03_gram.ipynb),
// and returns the paths written. Their setup cell finds estil's module through $ESTIL_ROOT, which
// the kernel of a classroom install sets (docker/install.sh --system).
func WriteNbgrader(dir, lang, course string) ([]string, error) {
	srcs, err := filepath.Glob(filepath.Join(dir, "src", "*.nb"))
	if err != nil || len(srcs) == 0 {
		return nil, fmt.Errorf("no notebook sources (*.nb) in %s", filepath.Join(dir, "src"))
	}
	sort.Strings(srcs)
	var written []string
	for _, path := range srcs {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(path), ".nb")
		s, err := Parse(name, data)
		if err != nil {
			return nil, err
		}
		nb, err := s.Render(lang, Nbgrader)
		if err != nil {
			return nil, err
		}
		out := filepath.Join(course, "source", name, name+".ipynb")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(out, nb, 0o644); err != nil {
			return nil, err
		}
		written = append(written, out)
	}
	return written, nil
}
