package optim

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// Graphs are the compiled graphs of the optimizers of one Function on one backend: the
// evaluations, L-BFGS's two-loop recursion, Adam's and gradient descent's iterations.
//
// An optimizer builds its graphs on its first Step, and GoMLX compiles each again for every new
// shape of x. Compiling VGG19's loss and its gradient is a good part of a short run, so a batch
// of pictures of one size (estil stylize --content frames/) should compile once: optimizers made
// by the same Graphs' New share its graphs, each compiled once per shape, and the next optimizer
// starts without compiling. An optimizer made by New (the package function) or by its own
// constructor has Graphs of its own, freed with it.
//
// Every optimizer made by g's New optimizes g's Function; only their state and observers are
// their own. Graphs are safe for concurrent use, the optimizers they make are not.
type Graphs struct {
	backend compute.Backend
	fn      Function

	mu    sync.Mutex
	execs map[string]*graph.Exec

	compilations atomic.Int64
}

// NewGraphs makes an empty set of graphs for the optimizers of fn on backend; nothing is
// compiled until an optimizer's Step needs it.
func NewGraphs(backend compute.Backend, fn Function) *Graphs {
	return &Graphs{backend: backend, fn: fn, execs: map[string]*graph.Exec{}}
}

// New makes the optimizer called name with the options o, running g's graphs. Its Finalize frees
// its state but leaves the graphs to g, for the next optimizer.
func (g *Graphs) New(name Name, o Options) (Optimizer, error) { return g.new(name, false, o) }

// new makes the optimizer called name on g's graphs; own: its Finalize frees them.
func (g *Graphs) new(name Name, own bool, o Options) (Optimizer, error) {
	for _, c := range constructors {
		if c.name == name {
			return c.make(g, own, o), nil
		}
	}
	_, err := ParseName(string(name))
	return nil, err
}

// Compilations counts the graphs g has built and compiled. GoMLX's Exec calls its graph
// function exactly once per compilation (for each new combination of input shapes) and g's
// graph functions count each call, so this is the number of compilations, not a guess.
func (g *Graphs) Compilations() int { return int(g.compilations.Load()) }

// Finalize frees the compiled graphs. The optimizers made by New cannot Step afterwards.
func (g *Graphs) Finalize() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range g.execs {
		e.Finalize()
	}
	g.execs = nil
}

// exec returns g's graph called name, made with build on first use. build takes the graph's
// inputs in order and returns its outputs; it runs (and is counted) once per compilation.
func (g *Graphs) exec(name string, build func([]*graph.Node) []*graph.Node) (*graph.Exec, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.execs == nil {
		return nil, errors.New("optim: the optimizer's graphs were finalized")
	}
	if e, ok := g.execs[name]; ok {
		return e, nil
	}
	if g.backend == nil {
		return nil, errors.New("optim: no backend")
	}
	e, err := graph.NewExec(g.backend, func(args []*graph.Node) []*graph.Node {
		g.compilations.Add(1)
		return build(args)
	})
	if err != nil {
		return nil, fmt.Errorf("optim: creating the %s graph: %w", name, err)
	}
	e.WithName(name)
	g.execs[name] = e
	return e, nil
}
