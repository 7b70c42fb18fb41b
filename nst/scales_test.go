package nst

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
)

// TestRunScalesStartsEachScaleFromThePreviousResult runs a 32 → 48 px coarse-to-fine transfer
// on a tiny network and checks that the second scale's first loss is the loss of the first
// scale's result upsampled (and not the loss of the content), and that the output has the last
// scale's size.
func TestRunScalesStartsEachScaleFromThePreviousResult(t *testing.T) {
	content, style := images.Lighthouse(64, 48), images.Swirls(40, 40)
	styles := []Style{{Image: style, Weight: 1}}
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 4
	var reports []ScaleReport
	var firstLoss []float64 // the first evaluation of each scale
	newScale := true
	tr.OnEvaluation = func(e Evaluation) error {
		if newScale {
			firstLoss = append(firstLoss, e.Total)
			newScale = false
		}
		return nil
	}
	res, err := tr.RunScales(context.Background(), content, styles, []int{32, 48}, StyleSizing{}, func(r ScaleReport) error {
		reports = append(reports, r)
		newScale = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 || len(firstLoss) != 2 {
		t.Fatalf("%d scale reports and %d scale starts, want 2 and 2", len(reports), len(firstLoss))
	}
	for i, want := range [][2]int{{32, 24}, {48, 36}} {
		if r := reports[i]; r.Width != want[0] || r.Height != want[1] || r.Iterations == 0 || r.Evaluations == 0 || !(r.Seconds > 0) {
			t.Errorf("scale %d: %+v, want %d×%d with iterations", i, r, want[0], want[1])
		}
	}
	if b := res.Image.Bounds(); b.Dx() != 48 || b.Dy() != 36 {
		t.Errorf("result is %d×%d, want 48×36", b.Dx(), b.Dy())
	}
	if res.Evaluations != reports[0].Evaluations+reports[1].Evaluations {
		t.Errorf("result counts %d evaluations, the scales %d + %d", res.Evaluations, reports[0].Evaluations, reports[1].Evaluations)
	}
	if tr.Init != InitContent || tr.InitImage != nil {
		t.Errorf("Init not restored: %q, %v", tr.Init, tr.InitImage)
	}

	// What scale 2 should have started from, and what it would have been from the content.
	content48 := images.Resize(content, 48)
	styles48 := []Style{{Image: images.ResizeTo(style, 48, 36), Weight: 1}} // the content's size, the default
	tr.OnEvaluation = nil
	upsampled, err := tr.Evaluate(images.ResizeTo(reports[0].Result, 48, 36), content48, styles48)
	if err != nil {
		t.Fatal(err)
	}
	fromContent, err := tr.Evaluate(content48, content48, styles48)
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(firstLoss[1], upsampled.Total, 1e-5) {
		t.Errorf("scale 2 started at loss %v; the upsampled scale-1 result has %v", firstLoss[1], upsampled.Total)
	}
	if closeTo(firstLoss[1], fromContent.Total, 1e-2) {
		t.Errorf("scale 2 started at loss %v, the content's (%v): not from the previous result", firstLoss[1], fromContent.Total)
	}
	content32 := images.Resize(content, 32)
	atContent32, err := tr.Evaluate(content32, content32, []Style{{Image: images.ResizeTo(style, 32, 24), Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(firstLoss[0], atContent32.Total, 1e-5) {
		t.Errorf("scale 1 started at loss %v, the content's is %v", firstLoss[0], atContent32.Total)
	}
	if reports[1].Start == nil || reports[1].Start.Bounds().Dx() != 48 {
		t.Errorf("scale 2's start picture: %v", reports[1].Start)
	}
}

func TestParseScales(t *testing.T) {
	got, err := ParseScales(" 256,512, 1024,2048")
	if err != nil || len(got) != 4 || got[0] != 256 || got[3] != 2048 {
		t.Fatalf("ParseScales = %v, %v", got, err)
	}
	for _, bad := range []string{"", "32,32", "64,32", "8,32", "abc", "32,,64", "32,1e3", "99999", "-64", "32,48,"} {
		_, err := ParseScales(bad)
		if err == nil {
			t.Errorf("ParseScales(%q) accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseScales(%q): error of several lines: %q", bad, err)
		}
	}
	if _, err := NewTransfer(nil).RunScales(context.Background(), nil, nil, []int{64, 32}, StyleSizing{}, nil); err == nil {
		t.Error("RunScales accepted decreasing scales")
	}
}

// TestRunScalesLeavesTheTransferAlone checks that RunScales does not change the Transfer it runs,
// not even while it runs (it once rewrote Init per scale and restored it at the end): a
// Transfer is a description, and each scale a run of its own.
func TestRunScalesLeavesTheTransferAlone(t *testing.T) {
	content, style := images.Lighthouse(64, 48), images.Swirls(40, 40)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations, tr.Init, tr.Seed = 2, InitNoise, 7
	var saves int
	tr.Save, tr.SaveEvery, tr.SaveAtEnd = func(*Checkpoint) error { saves++; return nil }, 1, true
	var before []string
	check := func(when string) {
		t.Helper()
		for i, now := range transferFields(tr) {
			if now != before[i] {
				t.Errorf("%s, the Transfer changed: %s, was %s", when, now, before[i])
			}
		}
	}
	tr.OnEvaluation = func(Evaluation) error { check("during a scale"); return nil }
	before = transferFields(tr)
	_, err := tr.RunScales(context.Background(), content, []Style{{Image: style, Weight: 1}}, []int{32, 48}, StyleSizing{}, func(r ScaleReport) error {
		check(fmt.Sprintf("after scale %d", r.Scale))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check("after RunScales")
	if saves == 0 {
		t.Error("no checkpoint was saved")
	}
}

// transferFields lists every field of tr, exported or not, as text: funcs by their address.
func transferFields(tr *Transfer) []string {
	v := reflect.ValueOf(tr).Elem()
	out := make([]string, v.NumField())
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		if f.Kind() == reflect.Interface && !f.IsNil() {
			f = f.Elem() // InitImage: which picture, not its pixels
		}
		switch {
		case f.Kind() == reflect.Interface: // a nil one
			out[i] = name + "=nil"
		case f.Kind() == reflect.Func || f.Kind() == reflect.Pointer:
			out[i] = fmt.Sprintf("%s=%s@%#x", name, f.Type(), f.Pointer())
		default:
			out[i] = fmt.Sprintf("%s=%#v", name, f)
		}
	}
	return out
}
