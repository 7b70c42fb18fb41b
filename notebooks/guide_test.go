package notebooks

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/estil-nst/estil/explain"
	"github.com/estil-nst/estil/notebooks/teacher/exercises"
)

// The teacher's guide, in English and in Catalan (paths relative to this folder), and the folder
// of its pictures.
var (
	guideFiles       = []string{"GUIDE.md", "GUIDE.ca.md"}
	guideDir         = "guide"
	guideRepoRoot    = ".."
	mdLink           = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	mdCodeSpan       = regexp.MustCompile("`([^`\n]+)`")
	guidePathLike    = regexp.MustCompile(`^(\./)?[A-Za-z_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_.\-*]+)*/?$`)
	guidePlaceholder = regexp.MustCompile(`^[A-Z][A-Z_]*$`)
	mdHeading        = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	guideNumbered    = regexp.MustCompile(`\b(0[0-9])_[a-z][a-z0-9_]*\b`)
	guideNotebooks   = func() []string {
		files, _ := filepath.Glob(filepath.Join("src", "*.nb"))
		var names []string
		for _, f := range files {
			names = append(names, strings.TrimSuffix(filepath.Base(f), ".nb"))
		}
		return names
	}()
)

// mdHeadings returns the headings of a markdown text, outside fenced code blocks, with their level.
func mdHeadings(md string) (levels []int, texts []string) {
	fenced := false
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		if m := mdHeading.FindStringSubmatch(l); m != nil && !fenced {
			levels = append(levels, len(m[1]))
			texts = append(texts, m[2])
		}
	}
	return levels, texts
}

// githubSlug is the anchor GitHub gives a heading: lower case, letters, digits, '_' and '-' kept,
// each space a '-', everything else (punctuation, `, *, ·, ') dropped.
func githubSlug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// mdAnchors returns the anchors of a markdown text's headings.
func mdAnchors(md string) map[string]bool {
	out := map[string]bool{}
	_, texts := mdHeadings(md)
	for _, h := range texts {
		out[githubSlug(h)] = true
	}
	return out
}

// mdWithoutCode returns md without its fenced code blocks, whose text is not links or paths.
func mdWithoutCode(md string) string {
	var out []string
	fenced := false
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// guideProblems checks the guides, given as their path in this folder → their text: every
// relative link (and picture) resolves to a file or folder, relative to the guide's folder, and
// an anchor to a heading of its target (or of the guide itself); every path in backticks that
// looks like one of the repository's (`nst/loss.go`, `notebooks/en/`, `notebooks/src/*.nb`)
// exists, relative to the repository's root (placeholders such as COURSE/… are skipped); the
// guides have the same number of sections (## headings); each names every notebook 00–07 and
// every exercise ID.
func guideProblems(texts map[string]string) []string {
	var problems []string
	markdown := func(path string) (string, error) {
		for g, text := range texts {
			if filepath.Clean(g) == filepath.Clean(path) {
				return text, nil
			}
		}
		b, err := os.ReadFile(path)
		return string(b), err
	}
	sections := map[string]int{}
	for _, g := range guideFiles {
		text, ok := texts[g]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: missing", g))
			continue
		}
		sections[g] = 0
		prose := mdWithoutCode(text)
		for _, m := range mdLink.FindAllStringSubmatch(prose, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := g
			if file != "" {
				path = filepath.Join(filepath.Dir(g), filepath.FromSlash(file))
				if _, err := os.Stat(path); err != nil {
					problems = append(problems, fmt.Sprintf("%s: link %q: no such file or folder", g, target))
					continue
				}
			}
			if anchor == "" {
				continue
			}
			if !strings.HasSuffix(path, ".md") {
				problems = append(problems, fmt.Sprintf("%s: link %q: an anchor into a file that is not markdown", g, target))
				continue
			}
			md, err := markdown(path)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: link %q: %v", g, target, err))
				continue
			}
			if !mdAnchors(md)[anchor] {
				problems = append(problems, fmt.Sprintf("%s: link %q: %s has no heading with that anchor", g, target, path))
			}
		}
		for _, m := range mdCodeSpan.FindAllStringSubmatch(prose, -1) {
			p := m[1]
			if !strings.Contains(p, "/") || !guidePathLike.MatchString(p) {
				continue
			}
			last := p[strings.LastIndex(strings.TrimSuffix(p, "/"), "/")+1:]
			if !strings.HasSuffix(p, "/") && !strings.Contains(last, ".") {
				continue // not a file with an extension nor a folder written with its slash
			}
			placeholder := false
			for _, seg := range strings.Split(strings.TrimPrefix(p, "./"), "/") {
				placeholder = placeholder || guidePlaceholder.MatchString(seg)
			}
			if placeholder {
				continue
			}
			full := filepath.Join(guideRepoRoot, filepath.FromSlash(strings.TrimPrefix(p, "./")))
			matches, err := filepath.Glob(full)
			if err != nil || len(matches) == 0 {
				problems = append(problems, fmt.Sprintf("%s: `%s`: no such file or folder in the repository", g, p))
			}
		}
		levels, _ := mdHeadings(text)
		for _, l := range levels {
			if l == 2 {
				sections[g]++
			}
		}
		for _, nb := range guideNotebooks {
			if !strings.Contains(text, nb) {
				problems = append(problems, fmt.Sprintf("%s: notebook %s is not named", g, nb))
			}
		}
		seen := map[string]bool{}
		for _, m := range guideNumbered.FindAllStringSubmatch(text, -1) {
			seen[m[1]] = true
		}
		for n := 0; n <= 7; n++ {
			if !seen[fmt.Sprintf("%02d", n)] {
				problems = append(problems, fmt.Sprintf("%s: no notebook %02d_… is named", g, n))
			}
		}
		for _, ex := range exercises.Exercises() {
			if !strings.Contains(text, ex.ID) {
				problems = append(problems, fmt.Sprintf("%s: exercise %s is not named", g, ex.ID))
			}
		}
	}
	if len(sections) == len(guideFiles) {
		for _, g := range guideFiles[1:] {
			if sections[g] != sections[guideFiles[0]] {
				problems = append(problems, fmt.Sprintf("%s has %d sections (## headings), %s %d: the two languages must match",
					g, sections[g], guideFiles[0], sections[guideFiles[0]]))
			}
		}
		if sections[guideFiles[0]] == 0 {
			problems = append(problems, guideFiles[0]+" has no sections")
		}
	}
	return problems
}

func readGuides(t *testing.T) map[string]string {
	t.Helper()
	texts := map[string]string{}
	for _, g := range guideFiles {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		texts[g] = string(b)
	}
	return texts
}

// TestGuide checks the teacher's guide in both languages (see guideProblems).
func TestGuide(t *testing.T) {
	if len(guideNotebooks) < 7 {
		t.Fatalf("found %d notebook sources in src/, want at least 7", len(guideNotebooks))
	}
	for _, p := range guideProblems(readGuides(t)) {
		t.Error(p)
	}
}

// TestGuideChecksCatchMistakes plants one mistake at a time in copies of the guides and checks
// that guideProblems reports it.
func TestGuideChecksCatchMistakes(t *testing.T) {
	texts := readGuides(t)
	if p := guideProblems(texts); len(p) > 0 {
		t.Fatalf("the guideFiles have problems already: %q", p)
	}
	for _, m := range []struct {
		guide, from, to string
		all             bool
		want            string // a part of the problem expected
	}{
		{"GUIDE.md", "(teacher/nbgrader_config.py)", "(teacher/nbgrader_conf.py)", false, "no such file"},
		{"GUIDE.ca.md", "(guide/pipeline.ca.svg)", "(guide/pipeline.fr.svg)", false, "no such file"},
		{"GUIDE.md", "(../README.md#in-a-classroom)", "(../README.md#in-the-classroom)", false, "no heading"},
		{"GUIDE.md", "(#troubleshooting)", "(#trouble-shooting)", false, "no heading"},
		{"GUIDE.ca.md", "(#resolució-de-problemes)", "(#resolucio-de-problemes)", false, "no heading"},
		{"GUIDE.md", "`notebooks/src/*.nb`", "`notebooks/source/*.nb`", false, "no such file or folder in the repository"},
		{"GUIDE.md", "`notebooks/teacher/en/`", "`notebooks/teachers/en/`", false, "no such file or folder in the repository"},
		{"GUIDE.ca.md", "\n## Per continuar\n", "\n### Per continuar\n", false, "sections"},
		{"GUIDE.ca.md", "07-mmd-linear", "07-mmd", true, "exercise 07-mmd-linear"},
		{"GUIDE.md", "05_lbfgs", "05_bfgs", true, "notebook 05_lbfgs"},
		{"GUIDE.ca.md", "00_go_gonb", "go_gonb", true, "no notebook 00_"},
	} {
		mutated := map[string]string{}
		for g, text := range texts {
			mutated[g] = text
		}
		n := 1
		if m.all {
			n = -1
		}
		mutated[m.guide] = strings.Replace(texts[m.guide], m.from, m.to, n)
		if mutated[m.guide] == texts[m.guide] {
			t.Errorf("%s: %q is not in it", m.guide, m.from)
			continue
		}
		problems := guideProblems(mutated)
		if !strings.Contains(strings.Join(problems, "\n"), m.want) {
			t.Errorf("%s: replacing %q by %q: problems %q, want one about %q", m.guide, m.from, m.to, problems, m.want)
		}
	}
}

// diagramDrift compares the pipeline diagrams in dir with what explain.PipelineDiagram draws.
func diagramDrift(dir string) []string {
	var problems []string
	for _, lang := range []string{explain.English, explain.Catalan} {
		var want bytes.Buffer
		if err := explain.PipelineDiagram(&want, lang); err != nil {
			return append(problems, err.Error())
		}
		path := filepath.Join(dir, "pipeline."+lang+".svg")
		got, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%v (run `go generate ./notebooks`)", err))
			continue
		}
		if !bytes.Equal(got, want.Bytes()) {
			problems = append(problems, fmt.Sprintf("%s differs from what explain.PipelineDiagram draws: run `go generate ./notebooks`", path))
		}
	}
	return problems
}

// TestGuideDiagramsMatchTheCode fails while a committed diagram of the guide differs from what the
// code draws, and checks on a copy that a changed or missing diagram is caught.
func TestGuideDiagramsMatchTheCode(t *testing.T) {
	for _, p := range diagramDrift(guideDir) {
		t.Error(p)
	}
	dir := t.TempDir()
	for _, lang := range []string{explain.English, explain.Catalan} {
		b, err := os.ReadFile(filepath.Join(guideDir, "pipeline."+lang+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		if lang == explain.Catalan {
			b = bytes.Replace(b, []byte("conv4_2"), []byte("conv4_3"), 1)
		}
		if err := os.WriteFile(filepath.Join(dir, "pipeline."+lang+".svg"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if p := diagramDrift(dir); len(p) != 1 || !strings.Contains(p[0], "pipeline.ca.svg differs") {
		t.Errorf("a changed Catalan diagram gave %q", p)
	}
	if err := os.Remove(filepath.Join(dir, "pipeline.en.svg")); err != nil {
		t.Fatal(err)
	}
	if p := diagramDrift(dir); len(p) != 2 {
		t.Errorf("a missing English diagram and a changed Catalan one gave %q", p)
	}
}
