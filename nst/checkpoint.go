package nst

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/optim"
	"github.com/estil-nst/estil/weights"
)

// Checkpoints.
//
// A transfer at 1024 px on a laptop's CPU takes an hour or more. A checkpoint lets it stop (a
// crash, kill -9, Ctrl-C, a lid closed) and go on later exactly where it was: not just from the
// current picture, but with the optimizer's whole state, so that the resumed run ends on the very
// image the uninterrupted run would have produced. L-BFGS's history of (s, y) pairs is most of
// that state: at 512 px and 100 pairs, a checkpoint is about 470 MB.
//
// A checkpoint is a safetensors file (the format of the weights cache, written atomically, with
// a SHA-256 of its content): the image and the optimizer's tensors, plus JSON metadata with the
// settings, the counters and two digests, of the inputs (content and style pixels) and of the
// weights. Resuming refuses a checkpoint whose settings, inputs or weights differ from the run's.

// Settings are what a transfer computes with: a resumed run must have the same.
type Settings struct {
	Loss         LossConfig `json:"loss"`
	Optimizer    optim.Name `json:"optimizer"`
	Iterations   int        `json:"iterations"`
	LearningRate float64    `json:"learning_rate"`
	LineSearch   bool       `json:"line_search"`
	Init         Init       `json:"init"`
	Seed         uint64     `json:"seed"`
	Pooling      string     `json:"pooling"`
	// Scales and StyleSizing are RunScales's (empty for Run, whose styles come sized).
	Scales      []int       `json:"scales,omitempty"`
	StyleSizing StyleSizing `json:"style_sizing,omitzero"`
}

// Checkpoint is a transfer's whole state at the end of an iteration.
type Checkpoint struct {
	Settings Settings `json:"settings"`
	// Inputs is a SHA-256 of the content's and styles' pixels, the blend weights and the starting
	// picture, as given to Run (or RunScales); Weights one of the network's parameters.
	Inputs  string `json:"inputs_sha256"`
	Weights string `json:"weights_sha256"`
	// Scale is the index in Settings.Scales of the scale being run (0 for Run).
	Scale int `json:"scale"`
	// Iterations and Evaluations were done at this scale; Before, at the scales before it.
	Iterations  int `json:"iterations"`
	Evaluations int `json:"evaluations"`
	Before      struct {
		Iterations  int `json:"iterations"`
		Evaluations int `json:"evaluations"`
	} `json:"before"`
	// StepLeft is what the optimizer's paused Step has left (0: the Step had ended).
	StepLeft int `json:"step_left"`
	// Loss is the last finite total loss.
	Loss float64 `json:"loss"`
	// Image is the current x: the picture, normalized as the network's input, [H, W, 3].
	Image *tensors.Tensor `json:"-"`
	// Optimizer is the optimizer's state (its numbers are also kept in the metadata).
	Optimizer *optim.State `json:"-"`
}

const (
	checkpointKey   = "estil.checkpoint"
	optimizerKey    = "estil.optimizer"
	imageTensor     = "image"
	optimizerPrefix = "optimizer."
)

// checkpointMeta is what the metadata holds besides the Checkpoint's own fields.
type checkpointMeta struct {
	Optimizer optim.Name         `json:"optimizer"`
	Numbers   map[string]float64 `json:"numbers"`
}

// SaveCheckpoint writes c to path atomically: a reader, or a resumed run after kill -9, finds
// either the previous checkpoint or this one, whole.
func SaveCheckpoint(path string, c *Checkpoint) error {
	if c.Image == nil || c.Optimizer == nil {
		return fmt.Errorf("checkpoint %s: no image or optimizer state to save", path)
	}
	// The tensors are written from where they are, a chunk at a time: a copy of L-BFGS's history
	// would double the memory a checkpoint takes to write (about 470 MB at 512 px).
	set := map[string]weights.Source{}
	put := func(name string, t *tensors.Tensor) {
		set[name] = weights.Source{Shape: t.Shape().Dimensions, Values: func(emit func([]float32) error) error {
			var err error
			if accessErr := tensors.ConstFlatData(t, func(data []float32) { err = emit(data) }); accessErr != nil {
				return fmt.Errorf("tensor %s: %w", name, accessErr)
			}
			return err
		}}
	}
	put(imageTensor, c.Image)
	for _, key := range c.Optimizer.Keys() {
		put(optimizerPrefix+key, c.Optimizer.Tensors[key])
	}
	head, err1 := json.Marshal(c)
	opt, err2 := json.Marshal(checkpointMeta{Optimizer: c.Optimizer.Optimizer, Numbers: c.Optimizer.Numbers})
	if err := cmp.Or(err1, err2); err != nil { // e.g. a NaN, which JSON cannot hold
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := weights.WriteSafetensorsFrom(path, set, map[string]string{checkpointKey: string(head), optimizerKey: string(opt)}); err != nil {
		return fmt.Errorf("checkpoint %w", err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint and checks it: its content digest
// (which must be there: estil always writes it) and what it holds (check). Each tensor is decoded
// from the file straight into its own memory, so that resuming takes the checkpoint's size, not
// three times it.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	f, err := weights.OpenSafetensors(path, "checkpoint")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	meta := f.Metadata()
	head, ok := meta[checkpointKey]
	if !ok {
		return nil, fmt.Errorf("checkpoint %s: not an estil checkpoint (no %q in its metadata)", path, checkpointKey)
	}
	var c Checkpoint
	var om checkpointMeta
	if err := cmp.Or(json.Unmarshal([]byte(head), &c), json.Unmarshal([]byte(meta[optimizerKey]), &om)); err != nil {
		return nil, fmt.Errorf("checkpoint %s: damaged metadata: %w", path, err)
	}
	c.Optimizer = &optim.State{Optimizer: om.Optimizer, Numbers: om.Numbers, Tensors: map[string]*tensors.Tensor{}}
	for _, name := range f.Names() { // in Names' order, for the digest
		t := tensors.FromShape(shapes.Make(dtypes.Float32, f.Shape(name)...))
		var readErr error
		if err := tensors.MutableFlatData(t, func(data []float32) { readErr = f.ReadInto(name, data) }); err != nil {
			return nil, fmt.Errorf("checkpoint %s: tensor %q: %w", path, name, err)
		}
		if readErr != nil {
			return nil, readErr
		}
		switch {
		case name == imageTensor:
			c.Image = t
		case strings.HasPrefix(name, optimizerPrefix):
			c.Optimizer.Tensors[strings.TrimPrefix(name, optimizerPrefix)] = t
		default:
			return nil, fmt.Errorf("checkpoint %s: unexpected tensor %q", path, name)
		}
	}
	if err := f.Verify(true); err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: damaged: %w", path, err)
	}
	return &c, nil
}

// check validates a loaded checkpoint on its own, before any model is built: a finite image, the
// optimizer's state complete and finite (optim.State.Check), counts that are whole and not
// negative, a scale among its scales, and a paused Step's iterations within the run's.
func (c *Checkpoint) check() error {
	if err := checkImageTensor(c.Image); err != nil {
		return fmt.Errorf("its image: %w", err)
	}
	if !optim.AllFinite(c.Image) {
		return errors.New("its image holds pixels that are not finite numbers")
	}
	if c.Optimizer.Optimizer != c.Settings.Optimizer {
		return fmt.Errorf("it holds %s's state for a run with %s", c.Optimizer.Optimizer, c.Settings.Optimizer)
	}
	if err := c.Optimizer.Check(c.Image.Shape()); err != nil {
		return err
	}
	for _, n := range []struct {
		name  string
		value int
	}{{"iterations", c.Iterations}, {"evaluations", c.Evaluations}, {"before.iterations", c.Before.Iterations},
		{"before.evaluations", c.Before.Evaluations}, {"step_left", c.StepLeft}, {"scale", c.Scale},
		{"settings.iterations", c.Settings.Iterations}} {
		if n.value < 0 {
			return fmt.Errorf("%s is %d", n.name, n.value)
		}
	}
	if c.Iterations > c.Settings.Iterations {
		return fmt.Errorf("%d iterations done of %d", c.Iterations, c.Settings.Iterations)
	}
	if n := len(c.Settings.Scales); n > 0 && c.Scale >= n || n == 0 && c.Scale != 0 {
		return fmt.Errorf("it is at scale %d of %d", c.Scale+1, max(n, 1))
	}
	if math.IsNaN(c.Loss) || math.IsInf(c.Loss, 0) {
		return errors.New("its loss is not a finite number")
	}
	return c.checkStepLeft(c.Settings.Iterations)
}

// checkStepLeft checks what a paused Step has left against a run of iterations: no more than the
// iterations left, and, for L-BFGS, exactly what its saved Step has left (none when no Step was
// paused). Without this a crafted step_left of 10⁹ ran 527 iterations of a 3-iteration run.
func (c *Checkpoint) checkStepLeft(iterations int) error {
	if c.StepLeft > iterations-c.Iterations {
		return fmt.Errorf("a paused step has %d iterations left, but only %d of %d remain", c.StepLeft, iterations-c.Iterations, iterations)
	}
	if c.Settings.Optimizer == optim.LBFGSName {
		if paused := c.Optimizer.PausedStepLeft(); paused != c.StepLeft {
			return fmt.Errorf("step_left is %d, but the L-BFGS state's paused Step has %d left", c.StepLeft, paused)
		}
	}
	return nil
}

// matches says why a checkpoint cannot continue a run with settings s, inputs and weights
// digests, at scale index scale: nil when it can.
func (c *Checkpoint) matches(s Settings, inputs, weights string, scale int) error {
	// The iterations may change (a finished run can go on with more): the image does not depend
	// on them, only where the run stops.
	was := c.Settings
	was.Iterations = s.Iterations
	if !reflect.DeepEqual(was, s) {
		return fmt.Errorf("it was made with other settings: %s", settingsDiff(was, s))
	}
	if c.Inputs != inputs {
		return errors.New("it was made from other pictures (content, styles, their sizes or blend weights differ)")
	}
	if c.Weights != weights {
		return errors.New("it was made with other network weights")
	}
	if c.Scale != scale {
		return fmt.Errorf("it is at scale %d, this run at scale %d", c.Scale+1, scale+1)
	}
	if c.Iterations > s.Iterations {
		return fmt.Errorf("it has done %d iterations, more than this run's %d", c.Iterations, s.Iterations)
	}
	return c.checkStepLeft(s.Iterations)
}

// settingsDiff names the first JSON field where two settings differ, e.g.
// `iterations: 300 in the checkpoint, 200 now`.
func settingsDiff(was, now Settings) string {
	var a, b map[string]any
	ja, _ := json.Marshal(was)
	jb, _ := json.Marshal(now)
	_ = json.Unmarshal(ja, &a)
	_ = json.Unmarshal(jb, &b)
	for _, k := range sortedKeys(a, b) {
		va, _ := json.Marshal(a[k])
		vb, _ := json.Marshal(b[k])
		if string(va) != string(vb) {
			return fmt.Sprintf("%s: %s in the checkpoint, %s now", k, orNone(va), orNone(vb))
		}
	}
	return "they differ"
}

func orNone(b []byte) string {
	if string(b) == "null" {
		return "none"
	}
	return string(b)
}

func sortedKeys(a, b map[string]any) []string {
	all := maps.Clone(a)
	maps.Copy(all, b)
	return slices.Sorted(maps.Keys(all))
}

// inputsDigest is a SHA-256 of the content's and styles' pixels (as the network sees them),
// the styles' blend weights, masks and guides, and the starting picture when one is given.
func inputsDigest(content image.Image, styles []Style, initImage image.Image) string {
	h := sha256.New()
	picture := func(img image.Image) {
		data, w, hgt := images.ToHWC(img)
		var buf [8]byte
		binary.LittleEndian.PutUint32(buf[:4], uint32(w))
		binary.LittleEndian.PutUint32(buf[4:], uint32(hgt))
		h.Write(buf[:])
		b := make([]byte, 4*len(data))
		for i, v := range data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		h.Write(b)
	}
	picture(content)
	for _, s := range styles {
		picture(s.Image)
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(s.Weight))
		h.Write(buf[:])
		// Spatial control's masks are inputs too: a run resumed with other regions is another run.
		// (Without them the digest is what it was before masks existed, so older checkpoints resume.)
		if s.Mask != nil {
			h.Write([]byte("mask"))
			picture(s.Mask)
		}
		if s.Guide != nil {
			h.Write([]byte("guide"))
			picture(s.Guide)
		}
		if s.Layers != nil {
			fmt.Fprintf(h, "layers%q", s.Layers)
		}
	}
	if initImage != nil {
		h.Write([]byte("init"))
		picture(initImage)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WeightsDigest is a SHA-256 of the network's parameters (computed once per Model).
func (m *Model) WeightsDigest() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.weightsDigest == "" {
		h := sha256.New()
		for _, p := range m.parameters() {
			data := tensors.MustCopyFlatData[float32](p)
			b := make([]byte, 4*len(data))
			for i, v := range data {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
			}
			h.Write(b)
		}
		m.weightsDigest = hex.EncodeToString(h.Sum(nil))
	}
	return m.weightsDigest
}
