package nst

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/optim"
	"github.com/estil-nst/estil/weights"
)

// Model is a frozen, pretrained VGG19 `features` network ready to run on a GoMLX backend.
// Its weights never change: style transfer optimizes the pixels of the image, not the network.
type Model struct {
	// Weights are where the parameters came from (torchvision, Caffe, a local file, or random):
	// the Set given to NewModel without its Tensors (the model holds the values).
	Weights *weights.Set
	// Backend runs the graphs; Lowering says how the convolutions are written for it.
	Backend  compute.Backend
	Lowering Lowering
	// Pooling is MaxPooling (VGG19's) unless changed before the first use.
	Pooling Pooling

	// kernels[i] is conv i's kernel as [Cout, Cin, 3, 3] (PyTorch's layout) and biases[i] its bias
	// [Cout], for the 16 convolutions in order. They are fed to every graph as parameters.
	kernels, biases []*tensors.Tensor

	mu            sync.Mutex
	execs         map[string]*Exec // compiled graphs by purpose; GoMLX caches each by input shapes.
	weightsDigest string           // WeightsDigest, once computed
	// optimizers are the optimizers' graphs by objective and picture shape (optimizerGraphs): a
	// run with the loss of the one before, on a picture of the same size, compiles nothing (a
	// batch of frames). Those no run uses are freed when a run needs others (the next scale).
	optimizers map[string]*sharedGraphs
	// compilations counts the builds of execs' graphs, each compiled right after, and those of
	// the optimizers' graphs freed (Compilations).
	compilations atomic.Int64
}

// Compilations counts the graphs compiled for m so far: the features, the style targets, the
// normalizations and the optimizers' graphs (optim.Graphs.Compilations). GoMLX compiles a graph
// again for each new shape of its inputs, calling its build function each time; m counts those
// calls. A batch of pictures of one size compiles for its first picture only.
func (m *Model) Compilations() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := int(m.compilations.Load())
	for _, g := range m.optimizers {
		n += g.Compilations()
	}
	return n
}

// sharedGraphs are optimizers' graphs and the number of runs using them.
type sharedGraphs struct {
	*optim.Graphs
	users int
}

// optimizerGraphs returns the optimizers' graphs for the objective called key on pictures of
// the given shape, made for fn() unless a run before left them, and the function to call when
// the run is done with them. key must name everything the objective's graph depends on besides
// its inputs: a run given the graphs of another loss would optimize the wrong one.
//
// Graphs are kept for the next run of the same objective and shape, the next frame of a batch;
// graphs of another objective or shape that no run uses are freed, so that a coarse-to-fine
// run holds the compiled graphs of one scale at a time, as it did before they were kept.
func (m *Model) optimizerGraphs(key string, shape shapes.Shape, fn func() optim.Function) (*optim.Graphs, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key = fmt.Sprintf("%s:%s", key, shape)
	if m.optimizers == nil {
		m.optimizers = map[string]*sharedGraphs{}
	}
	for k, g := range m.optimizers {
		if k != key && g.users == 0 {
			m.compilations.Add(int64(g.Compilations()))
			g.Finalize()
			delete(m.optimizers, k)
		}
	}
	g, ok := m.optimizers[key]
	if !ok {
		g = &sharedGraphs{Graphs: optim.NewGraphs(m.Backend, fn())}
		m.optimizers[key] = g
	}
	g.users++
	return g.Graphs, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		g.users--
	}
}

// NewModel prepares the VGG19 given by w to run on backend with the given lowering.
// For the Caffe weights, which expect BGR input, the first convolution's input channels are
// reversed here, so that every Model takes RGB.
func NewModel(backend compute.Backend, w *weights.Set, lowering Lowering) (*Model, error) {
	if backend == nil {
		return nil, fmt.Errorf("nst.NewModel: no backend given")
	}
	// The model keeps where its weights came from, not their values: its kernels and biases,
	// on the backend, hold those, and the Set's tensors would be a second copy of the network for
	// as long as the model lives (76 MB of VGG19; its peak memory at 256 px was ~10 % higher).
	source := *w
	source.Tensors = nil
	m := &Model{Weights: &source, Backend: backend, Lowering: lowering, execs: map[string]*Exec{}}
	for i, index := range ConvIndices() {
		kw, kb, err := w.Conv(index)
		if err != nil {
			return nil, fmt.Errorf("VGG19 weights from %s: %w", w.Source, err)
		}
		if len(kw.Shape) != 4 || kw.Shape[2] != 3 || kw.Shape[3] != 3 || len(kb.Shape) != 1 || kb.Shape[0] != kw.Shape[0] {
			return nil, fmt.Errorf("VGG19 weights from %s: conv %d (features.%d) has kernel %v and bias %v, want [out, in, 3, 3] and [out]",
				w.Source, i, index, kw.Shape, kb.Shape)
		}
		if i == 0 && kw.Shape[1] != 3 {
			return nil, fmt.Errorf("VGG19 weights from %s: the first convolution takes %d channels, want 3 (RGB)", w.Source, kw.Shape[1])
		}
		if i > 0 && kw.Shape[1] != m.kernels[i-1].Shape().Dim(0) {
			return nil, fmt.Errorf("VGG19 weights from %s: conv %d takes %d channels but the previous one gives %d",
				w.Source, i, kw.Shape[1], m.kernels[i-1].Shape().Dim(0))
		}
		m.kernels = append(m.kernels, kernelTensor(kw, i == 0 && w.Model.BGR))
		m.biases = append(m.biases, tensors.FromFlatDataAndDimensions(slices.Clone(kb.Data), kb.Shape[0]))
	}
	if err := m.markKernelsConstant(); err != nil {
		return nil, fmt.Errorf("VGG19 weights from %s: %w", w.Source, err)
	}
	return m, nil
}

// markKernelsConstant tells the backend that the kernels never change (the network is frozen),
// so that the Go backend keeps what its convolutions derive from them (their packed and
// Winograd-transformed forms; compute patch 13) instead of deriving it again at every
// evaluation. A backend whose buffers take no such promise (XLA's) is left as it is.
func (m *Model) markKernelsConstant() error {
	for _, k := range m.kernels {
		buf, err := k.Buffer(m.Backend, 0)
		if err != nil {
			return err
		}
		if c, ok := buf.(interface{ MarkConstant() }); ok {
			c.MarkConstant()
		}
	}
	return nil
}

// kernelTensor copies a PyTorch kernel [out, in, kh, kw] into a tensor of the same layout, which
// both lowerings use (flattened to [out, in·9] it is the im2col matrix). With reverseIn, input
// channels are reversed (BGR→RGB).
func kernelTensor(k weights.Tensor, reverseIn bool) *tensors.Tensor {
	out, in := k.Shape[0], k.Shape[1]
	oihw := slices.Clone(k.Data)
	if reverseIn {
		for o := range out {
			for i := range in {
				copy(oihw[(o*in+i)*9:][:9], k.Data[(o*in+in-1-i)*9:][:9])
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(oihw, out, in, 3, 3)
}

// Channels returns the number of output channels of each convolution, in order.
func (m *Model) Channels() []int {
	c := make([]int, len(m.kernels))
	for i, k := range m.kernels {
		c[i] = k.Shape().Dim(0)
	}
	return c
}

// parameters returns the network's tensors in the order forward expects them.
func (m *Model) parameters() []*tensors.Tensor {
	return append(slices.Clone(m.kernels), m.biases...)
}

// numParameters is len(m.parameters()).
func (m *Model) numParameters() int { return 2 * len(m.kernels) }

// forward runs VGG19 on x [H, W, 3] (already normalized, see Normalize) up to the deepest of the
// wanted layers and returns the activation after each wanted layer, keyed by torchvision index,
// each [C, H', W']: inside the network feature maps are channels first, as in PyTorch.
//
// As in the original notebook, where torchvision's ReLU is in-place (`nn.ReLU(inplace=True)`), the
// value "after conv4_2" is the value after its ReLU: the convolution's output is overwritten by
// the ReLU before anyone reads it. Asking for conv4_2 or relu4_2 gives the same tensor.
func (m *Model) forward(x *Node, params []*Node, want []Layer) map[int]*Node {
	kernels, biases := params[:len(m.kernels)], params[len(m.kernels):]
	out := map[int]*Node{}
	wanted := func(l Layer) bool {
		return slices.ContainsFunc(want, func(w Layer) bool { return w.Index == l.Index })
	}
	last := deepest(want)
	if vgg19[last].Kind == Conv {
		last++ // its value is read after its ReLU
	}
	x = TransposeAllDims(x, 2, 0, 1) // [H, W, 3] → [3, H, W]
	conv := 0
	for _, l := range vgg19[:last+1] {
		switch l.Kind {
		case Conv:
			x = m.Lowering.conv3x3(x, kernels[conv], biases[conv])
			conv++
		case ReLU:
			x = relu(x)
			if prev := vgg19[l.Index-1]; wanted(prev) {
				out[prev.Index] = x
			}
		case Pool:
			x = pool2x2(x, m.Pooling)
		}
		if wanted(l) {
			out[l.Index] = x
		}
	}
	return out
}

// relu is max(x, 0), written as Where(x > 0, x, 0): its gradient is then one select, v where
// x > 0 and 0 elsewhere, as PyTorch's (also at x = 0), instead of the Sub, Sign, Add, Sign and Mul
// that GoMLX's gradient of Max builds.
func relu(x *Node) *Node {
	zero := ScalarZero(x.Graph(), x.DType())
	return Where(GreaterThan(x, zero), x, zero)
}
