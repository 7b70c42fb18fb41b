package explain

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
)

var (
	modelOnce sync.Once
	model     *nst.Model
	modelErr  error
)

// testModel is VGG19 with random (seeded) weights on the pure-Go backend, shared by the tests.
func testModel(t *testing.T) *nst.Model {
	t.Helper()
	modelOnce.Do(func() {
		model, modelErr = nst.LoadModel(context.Background(), nst.LoadOptions{Weights: "random", Backend: backend.Go})
	})
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return model
}

// shallowLoss keeps the network shallow so that test runs take a second.
func shallowLoss() nst.LossConfig {
	l := nst.DefaultLoss()
	l.ContentLayers = []string{"conv2_1"}
	l.StyleLayers = []nst.StyleLayer{{Name: "conv1_1", Weight: 1}, {Name: "conv2_1", Weight: 0.75}}
	return l
}

// TestLossHistoryEqualsRun runs a tiny transfer, writes its evaluations as the CLI's --report
// does, and checks that the chart's series are the run's numbers and that the curves drawn are
// those numbers (without the zeros a log axis cannot show).
func TestLossHistoryEqualsRun(t *testing.T) {
	tr := nst.NewTransfer(testModel(t))
	tr.Loss, tr.Iterations = shallowLoss(), 3
	var evals []nst.Evaluation
	tr.OnEvaluation = func(e nst.Evaluation) error { evals = append(evals, e); return nil }
	content, style := images.Lighthouse(32, 32), images.Swirls(32, 32)
	if _, err := tr.Run(context.Background(), content, []nst.Style{{Image: style, Weight: 1}}); err != nil {
		t.Fatal(err)
	}
	report, err := json.Marshal(map[string]any{"loss": tr.Loss, "evaluations": evals, "random_weights": true})
	if err != nil {
		t.Fatal(err)
	}
	v, err := LossHistoryFromReport(bytes.NewReader(report))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"total", "content", "conv1_1", "conv2_1"}
	if len(v.Series) != len(names) {
		t.Fatalf("%d series, want %v", len(v.Series), names)
	}
	for i, s := range v.Series {
		if s.Name != names[i] || len(s.X) != len(evals) || len(s.Y) != len(evals) {
			t.Fatalf("series %d: %s with %d points, want %s with %d", i, s.Name, len(s.X), names[i], len(evals))
		}
		for k, e := range evals {
			want := []float64{e.Total, e.Content, e.Style[0], e.Style[1]}[i]
			if s.X[k] != float64(e.N) || s.Y[k] != want {
				t.Errorf("%s at %d: (%v, %v), want (%d, %v)", s.Name, k, s.X[k], s.Y[k], e.N, want)
			}
		}
	}
	if evals[0].Content != 0 {
		t.Errorf("the run starts from the content, but its content loss is %v", evals[0].Content)
	}
	lines, _, err := v.lines()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != len(names) {
		t.Fatalf("%d lines drawn, want %d", len(lines), len(names))
	}
	for i, l := range lines {
		k := 0
		for j, y := range v.Series[i].Y {
			if y <= 0 {
				continue
			}
			if k >= len(l.XYs) || l.XYs[k].X != v.Series[i].X[j] || l.XYs[k].Y != y {
				t.Fatalf("line %s point %d differs from the series", names[i], k)
			}
			k++
		}
		if k != len(l.XYs) {
			t.Errorf("line %s has %d points, the series %d positive ones", names[i], len(l.XYs), k)
		}
	}
	html := v.HTML()
	if !strings.Contains(html, "RANDOM WEIGHTS") || strings.Count(html, `<img src="data:image/png;base64,`) != 1 {
		t.Error("the HTML lacks the random-weights warning or the chart")
	}
	if _, err := LossHistoryFromReport(strings.NewReader("{")); err == nil {
		t.Error("a broken report gave no error")
	}
	if _, err := LossHistory(nil, shallowLoss()); err == nil {
		t.Error("an empty history gave no error")
	}
}

// TestLossHistoryStyleOnlyCaption: a run without content term (texture synthesis) is not told
// about a content term in its caption.
func TestLossHistoryStyleOnlyCaption(t *testing.T) {
	loss := shallowLoss()
	loss.ContentLayers = nil
	v, err := LossHistory([]nst.Evaluation{{N: 1, Total: 2, Style: []float64{1, 1}}}, loss)
	if err != nil {
		t.Fatal(err)
	}
	if h := v.HTML(); !v.StyleOnly || strings.Contains(h, "content term α") || !strings.Contains(h, "no content term") {
		t.Errorf("style-only caption wrong (StyleOnly %v)", v.StyleOnly)
	}
}
