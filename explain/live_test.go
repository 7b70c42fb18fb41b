package explain

import (
	"context"
	"image"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

// TestLiveViewUpdatesWhileRunning: a live view attached to a transfer is redrawn every few
// iterations with the current picture and the loss so far, keeps the observer the transfer
// already had, and shows the final picture when the run is finished.
func TestLiveViewUpdatesWhileRunning(t *testing.T) {
	tr := nst.NewTransfer(testModel(t))
	tr.Loss, tr.Iterations = shallowLoss(), 7
	observed := 0
	tr.OnEvaluation = func(nst.Evaluation) error { observed++; return nil }
	live := NewLiveView(tr, 3)
	var seen []string // the view's HTML at each redraw
	snapshot := tr.Snapshot
	tr.Snapshot = func(i int, img image.Image) error {
		err := snapshot(i, img)
		seen = append(seen, live.HTML())
		return err
	}
	content, style := images.Lighthouse(32, 24), images.Swirls(32, 24)
	res, err := tr.Run(context.Background(), content, []nst.Style{{Image: style, Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	live.Finish(res)
	if live.Updates() != 3 || len(seen) != 2 { // iterations 3 and 6, then Finish
		t.Fatalf("%d updates, %d during the run; want 3 and 2", live.Updates(), len(seen))
	}
	if observed == 0 {
		t.Error("the transfer's own observer was not called")
	}
	for i, h := range seen {
		if !strings.Contains(h, `src="data:image/png;base64,`) || !strings.Contains(h, "Iteration") {
			t.Errorf("redraw %d shows no picture or iteration:\n%.300s", i, h)
		}
	}
	if seen[0] == seen[1] {
		t.Error("the two redraws during the run are identical")
	}
	if h := live.HTML(); !strings.Contains(h, "Done: 7 iterations") {
		t.Errorf("the finished view does not say so:\n%.300s", h)
	}
}
