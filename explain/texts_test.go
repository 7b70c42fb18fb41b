package explain

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

// TestTextsComplete checks that every text exists in both languages, and that every key the code
// asks for exists (a missing one would show as [[key]] in a handout).
func TestTextsComplete(t *testing.T) {
	for key, tx := range texts {
		if strings.TrimSpace(tx.en) == "" || strings.TrimSpace(tx.ca) == "" {
			t.Errorf("text %q lacks a language: en=%q ca=%q", key, tx.en, tx.ca)
		}
		if strings.Count(tx.en, "%") != strings.Count(tx.ca, "%") {
			t.Errorf("text %q: the two languages have different format verbs", key)
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`\btrf?\("([^"]+)"[,)]`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			n++
			if _, ok := texts[m[1]]; !ok {
				t.Errorf("%s uses text %q, which is not in texts", f, m[1])
			}
		}
	}
	if n == 0 {
		t.Error("found no tr calls: the pattern is wrong")
	}
	// Keys built at run time.
	for _, k := range []string{"gram." + GramStyle, "gram." + GramGenerated, "gram." + GramDifference,
		"gram.order." + string(OrderNone), "gram.order." + string(OrderEnergy), "gram.order." + string(OrderGreedy),
		colorControlKey(images.ColorControlLuminance), colorControlKey(images.ColorControlOriginalColors)} {
		if _, ok := texts[k]; !ok {
			t.Errorf("text %q is missing", k)
		}
	}
	for _, s := range nst.StyleLosses() {
		keys := []string{"stylerep." + string(s) + ".name", "stylerep." + string(s) + ".compares", gramAgreementKey(s)}
		if s != nst.StyleLossGram {
			keys = append(keys, "stylerep."+string(s)+".keeps")
		}
		for _, k := range keys {
			if _, ok := texts[k]; !ok {
				t.Errorf("text %q is missing", k)
			}
		}
	}
}

func TestSetLanguage(t *testing.T) {
	defer SetLanguage(English)
	if err := SetLanguage("fr"); err == nil {
		t.Error("SetLanguage(fr) gave no error")
	}
	if Language() != English {
		t.Errorf("language %q after a failed SetLanguage", Language())
	}
	if err := SetLanguage(Catalan); err != nil {
		t.Fatal(err)
	}
	if got := tr("layers.title"); got != texts["layers.title"].ca {
		t.Errorf("in Catalan, tr gave %q", got)
	}
	v, _ := LayerTable(32, 32, nst.DefaultLoss())
	if !strings.Contains(v.HTML(), "pèrdua de contingut") {
		t.Error("the layer table is not in Catalan after SetLanguage(ca)")
	}
}
