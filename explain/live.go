package explain

import (
	"fmt"
	"image"
	"strings"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot/vg"

	"github.com/estil-nst/estil/nst"
)

// LiveView shows a transfer while it runs: the current picture next to the loss curve so far,
// redrawn in place every few iterations. In a GoNB notebook it is one HTML block that GoNB's
// UpdateHTML replaces, in a browser and in a headless run alike (where the executed notebook
// keeps the last state); elsewhere it only keeps its state, for HTML.
//
//	live := explain.NewLiveView(t, 5) // before t.Run: hooks t's Snapshot and OnEvaluation
//	res, err := t.Run(ctx, content, styles)
//	live.Finish(res)
type LiveView struct {
	mu      sync.Mutex
	id      string
	loss    nst.LossConfig
	evals   []nst.Evaluation
	picture image.Image
	iter    int
	updates int
	done    bool
}

// NewLiveView attaches a live view to t: every `every` iterations (t.SnapshotEvery, also the
// place where the picture leaves the device) it redraws the picture and the loss curve. Any
// Snapshot and OnEvaluation t already had are still called. In a notebook the view appears at
// once, empty.
func NewLiveView(t *nst.Transfer, every int) *LiveView {
	return NewLiveViewIn("estil-live-"+gonbui.UniqueId(), t, every)
}

// NewLiveViewIn is NewLiveView drawing into the display block id, one a cell already updates
// with gonbui.UpdateHTML (e.g. where the previous result was shown).
func NewLiveViewIn(id string, t *nst.Transfer, every int) *LiveView {
	v := &LiveView{loss: t.Loss, id: id}
	onEval, snapshot := t.OnEvaluation, t.Snapshot
	t.OnEvaluation = func(e nst.Evaluation) error {
		v.mu.Lock()
		v.evals = append(v.evals, e)
		v.mu.Unlock()
		if onEval != nil {
			return onEval(e)
		}
		return nil
	}
	t.SnapshotEvery = max(1, every)
	t.Snapshot = func(iteration int, img image.Image) error {
		v.show(iteration, img)
		if snapshot != nil {
			return snapshot(iteration, img)
		}
		return nil
	}
	if gonbui.IsNotebook {
		gonbui.UpdateHTML(v.id, v.HTML())
	}
	return v
}

// Finish shows the run's final picture and iteration count (Snapshot is not called after the
// last iteration). A nil res (the run failed before computing anything) leaves the picture.
func (v *LiveView) Finish(res *nst.Result) {
	v.mu.Lock()
	v.done = true
	picture := v.picture
	if res != nil {
		v.iter, picture = res.Iterations, res.Image
	}
	v.mu.Unlock()
	v.show(-1, picture)
	if gonbui.IsNotebook {
		// The cell's program often ends right after this: wait until GoNB has the final picture
		// (see Display).
		gonbui.Sync()
	}
}

// Updates is how many times the view was redrawn.
func (v *LiveView) Updates() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.updates
}

func (v *LiveView) show(iteration int, img image.Image) {
	v.mu.Lock()
	v.picture = img
	if iteration >= 0 {
		v.iter = iteration
	}
	v.updates++
	v.mu.Unlock()
	if gonbui.IsNotebook {
		gonbui.UpdateHTML(v.id, v.HTML())
	}
}

// HTML draws the current state: the picture, the iteration, the latest loss and the curve.
func (v *LiveView) HTML() string {
	v.mu.Lock()
	evals := append([]nst.Evaluation(nil), v.evals...)
	picture, iter, done := v.picture, v.iter, v.done
	v.mu.Unlock()

	title := tr("live.title")
	var b strings.Builder
	section(&b, title)
	status := tr("live.starting")
	if n := len(evals); n > 0 {
		state := tr("live.running")
		if done {
			state = tr("live.done")
		}
		status = fmt.Sprintf(state, iter, n, evals[n-1].Total)
	}
	fmt.Fprintf(&b, "<p>%s</p>\n", esc(status))
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">`)
	if picture != nil {
		if uri, err := pngDataURI(picture); err == nil {
			w := max(240, picture.Bounds().Dx())
			b.WriteString(imgTag(uri, tr("live.picture"), fmt.Sprintf("%dpx", w)))
		}
	}
	if len(evals) > 1 {
		if chart, err := LossHistory(evals, v.loss); err == nil {
			if lines, names, err := chart.lines(); err == nil {
				p := logChart(tr("losses.x"), tr("losses.y"), lines, names)
				if uri, err := chartPNG(p, 12*vg.Centimeter, 8*vg.Centimeter); err == nil {
					b.WriteString(imgTag(uri, tr("losses.title"), ""))
				}
			}
		}
	}
	b.WriteString("</div>\n</div>\n")
	return b.String()
}
