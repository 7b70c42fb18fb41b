package main

import (
	"encoding/json"
	"fmt"
	"image"
	"io"
	"time"

	"github.com/estil-nst/estil/internal/atomicfile"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/optim"
)

// report is the JSON written by --report: the settings of the run and every evaluation of the
// loss, so that the curves of the content and of each style layer can be drawn afterwards.
type report struct {
	Content string `json:"content"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	// Styles are the style pictures' sizes as the network saw them, and their blend weights.
	Styles        []styleReport `json:"styles"`
	Model         string        `json:"model"`
	Weights       string        `json:"weights"`
	RandomWeights bool          `json:"random_weights"`
	Warning       string        `json:"warning,omitempty"`
	Backend       string        `json:"backend"`
	Lowering      string        `json:"lowering"`
	// SIMD: built with GOEXPERIMENT=simd (the Go backend's fast matrix products).
	SIMD       bool           `json:"goexperiment_simd"`
	Optimizer  optim.Name     `json:"optimizer"`
	Iterations int            `json:"iterations"`
	Loss       nst.LossConfig `json:"loss"`
	ColorMatch string         `json:"color_match,omitempty"`
	// ColorControl is --color-control (none, luminance or original-colors).
	ColorControl string           `json:"color_control,omitempty"`
	Evaluations  []nst.Evaluation `json:"evaluations"`
	Seconds      float64          `json:"seconds"`
	FinalLoss    float64          `json:"final_loss"`
	Stopped      string           `json:"stopped,omitempty"`
	// ScaleControl: the style was made by scale control from these pictures.
	ScaleControl *scaleControlReport `json:"scale_control,omitempty"`
	// Scales: one entry per scale of a coarse-to-fine run (--scales).
	Scales []nst.ScaleReport `json:"scales,omitempty"`
}

// styleReport is one style picture of a report. With spatial control, Mask and Guide are its
// --style-mask and --style-guide, and Weight is its region's weight instead of a blend weight.
type styleReport struct {
	Width  int     `json:"width"`
	Height int     `json:"height"`
	Weight float64 `json:"weight"`
	Mask   string  `json:"mask,omitempty"`
	Guide  string  `json:"guide,omitempty"`
}

// scaleControlReport is scale control's pictures (--style-coarse, --style-fine), which made the
// one style picture.
type scaleControlReport struct {
	Coarse string `json:"coarse"`
	Fine   string `json:"fine"`
}

func newReport(p *plan, j job, m *nst.Model, size image.Rectangle, styles []nst.Style) *report {
	r := &report{
		Content: j.description, Width: size.Dx(), Height: size.Dy(), Styles: []styleReport{},
		Model: m.Weights.Model.Name, Weights: m.Weights.Source, RandomWeights: m.Weights.Random,
		Backend: m.Backend.Name(), Lowering: m.Lowering.String(),
		Optimizer: p.optimizer.name, Loss: p.loss, ColorMatch: string(p.color.match), ColorControl: string(p.color.control),
	}
	pics := &p.pictures
	for i, st := range styles {
		b := st.Image.Bounds()
		sr := styleReport{Width: b.Dx(), Height: b.Dy(), Weight: st.Weight}
		if pics.masks != nil {
			sr.Mask = pics.masks[i].String()
		}
		if pics.guides != nil {
			sr.Guide = pics.guides[i].String()
		}
		r.Styles = append(r.Styles, sr)
	}
	if pics.coarse != "" {
		r.ScaleControl = &scaleControlReport{Coarse: pics.coarse, Fine: pics.fine}
	}
	r.SIMD = backend.SIMDBuild()
	if m.Weights.Random {
		r.Warning = "random weights: the network has learned nothing; this is not a style transfer"
	}
	return r
}

func (r *report) add(e nst.Evaluation) { r.Evaluations = append(r.Evaluations, e) }

func (r *report) finish(res *nst.Result, err error, d time.Duration) {
	r.Seconds = d.Seconds()
	if res != nil {
		r.Iterations, r.FinalLoss = res.Iterations, res.Loss
		if res.Converged != "" {
			r.Stopped = "converged: " + res.Converged.String()
		}
	}
	if err != nil {
		r.Stopped = err.Error()
	}
}

// write saves the report atomically (package atomicfile).
func (r *report) write(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("report %q: %w", path, err)
	}
	return nil
}
