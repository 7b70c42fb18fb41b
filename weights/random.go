package weights

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
)

// Random returns a deterministic VGG19 of the real size with random weights: kernels drawn from
// a normal distribution with He's standard deviation sqrt(2 / (9·in)), so that activations keep
// their scale through the 16 ReLU layers, and zero biases. The same seed gives the same weights
// on every machine. It knows nothing about images; it is for tests, benchmarks and running
// offline. The 20 M values take well under a second.
func Random(model Model, seed int64) *Set {
	s, err := RandomLayout(model, VGG19Layout, seed)
	if err != nil {
		panic(err) // VGG19Layout is valid.
	}
	return s
}

// RandomLayout is like [Random] for another layout, e.g. a tiny one from [LayoutWithChannels].
func RandomLayout(model Model, layout []ConvSpec, seed int64) (*Set, error) {
	set := &Set{
		Model:   model,
		Tensors: make(map[string]Tensor, 2*len(layout)),
		Random:  true,
		Source:  fmt.Sprintf("random (seed %d)", seed),
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, c := range layout {
		if c.InChannels <= 0 || c.OutChannels <= 0 {
			return nil, fmt.Errorf("random weights: conv %s has channels %d→%d", c.Name, c.InChannels, c.OutChannels)
		}
		wg.Go(func() {
			// One PCG stream per layer, so layers can be drawn in parallel and still give the
			// same values whatever the scheduling.
			rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15^uint64(c.FeatureIndex)))
			std := math.Sqrt(2 / float64(9*c.InChannels))
			w := Tensor{Shape: []int{c.OutChannels, c.InChannels, 3, 3}}
			w.Data = make([]float32, w.Size())
			for i := range w.Data {
				w.Data[i] = float32(rng.NormFloat64() * std)
			}
			b := Tensor{Shape: []int{c.OutChannels}, Data: make([]float32, c.OutChannels)}
			prefix := "features." + strconv.Itoa(c.FeatureIndex)
			mu.Lock()
			set.Tensors[prefix+".weight"] = w
			set.Tensors[prefix+".bias"] = b
			mu.Unlock()
		})
	}
	wg.Wait()
	return set, nil
}
