package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
)

// randomFloat32s returns n values in [-2, 2), with some exact zeros and repeated values so that
// comparisons, Sign and Where see every case.
func randomFloat32s(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch rng.IntN(8) {
		case 0:
			v[i] = 0
		case 1:
			v[i] = 1
		default:
			v[i] = rng.Float32()*4 - 2
		}
	}
	return v
}

// sameBits reports whether two flat slices are bit-identical.
func sameBits(a, b any) (bool, string) {
	switch a := a.(type) {
	case []float32:
		b := b.([]float32)
		if len(a) != len(b) {
			return false, fmt.Sprintf("lengths %d != %d", len(a), len(b))
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false, fmt.Sprintf("element %d: %g != %g", i, a[i], b[i])
			}
		}
	case []bool:
		b := b.([]bool)
		if len(a) != len(b) {
			return false, fmt.Sprintf("lengths %d != %d", len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				return false, fmt.Sprintf("element %d: %v != %v", i, a[i], b[i])
			}
		}
	case []int32:
		b := b.([]int32)
		if len(a) != len(b) {
			return false, fmt.Sprintf("lengths %d != %d", len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				return false, fmt.Sprintf("element %d: %d != %d", i, a[i], b[i])
			}
		}
	default:
		panic(fmt.Sprintf("unexpected %T", a))
	}
	return true, ""
}

// checkParallelMatchesSerial runs op on the inputs serially and in parallel and compares.
func checkParallelMatchesSerial(t *testing.T, name string, op compute.OpType, outShape shapes.Shape, wantParallel bool, inputs ...*gobackend.Buffer) {
	t.Helper()
	prev := ops.SetParallelElementwise(false)
	defer ops.SetParallelElementwise(prev)
	serial, err := ops.ExecElementwise(backend, op, outShape, inputs...)
	if err != nil {
		t.Fatalf("%s: serial: %+v", name, err)
	}
	ops.SetParallelElementwise(true)
	runs := ops.ParallelElementwiseRuns()
	parallel, err := ops.ExecElementwise(backend, op, outShape, inputs...)
	if err != nil {
		t.Fatalf("%s: parallel: %+v", name, err)
	}
	ran := ops.ParallelElementwiseRuns() > runs
	if wantParallel && backend.Workers.IsEnabled() && backend.Workers.AdjustedMaxParallelism() > 1 && !ran {
		t.Errorf("%s: the parallel path did not run", name)
	}
	if !wantParallel && ran {
		t.Errorf("%s: the parallel path ran", name)
	}
	if !serial.RawShape.Equal(parallel.RawShape) {
		t.Fatalf("%s: shapes %s != %s", name, serial.RawShape, parallel.RawShape)
	}
	if ok, diff := sameBits(serial.Flat, parallel.Flat); !ok {
		t.Fatalf("%s: parallel result differs from serial: %s", name, diff)
	}
}

func TestParallelElementwiseBinary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	th := ops.ParallelElementwiseMinSize()
	binOps := []compute.OpType{
		compute.OpTypeAdd, compute.OpTypeMul, compute.OpTypeSub, compute.OpTypeDiv, compute.OpTypePow,
		compute.OpTypeMax, compute.OpTypeMin,
		compute.OpTypeEqual, compute.OpTypeNotEqual, compute.OpTypeGreaterOrEqual,
		compute.OpTypeGreaterThan, compute.OpTypeLessOrEqual, compute.OpTypeLessThan,
	}
	type pair struct {
		name     string
		lhs, rhs shapes.Shape
		parallel bool
	}
	var pairs []pair
	for _, n := range []int{5, 17, th - 1, th, th + 7, 3*th + 1} { // below the threshold: serially (patch 23: by the AVX-512 loops where they run)
		big := shapes.Make(dtypes.Float32, n)
		pairs = append(pairs,
			pair{fmt.Sprintf("same-%d", n), big, big, n >= th},
			pair{fmt.Sprintf("rhs-scalar-%d", n), big, shapes.Make(dtypes.Float32), n >= th},
			pair{fmt.Sprintf("lhs-scalar-%d", n), shapes.Make(dtypes.Float32), big, n >= th},
			pair{fmt.Sprintf("rhs-one-%d", n), big, shapes.Make(dtypes.Float32, 1), n >= th})
	}
	// Per-row broadcasting (bias-like), including odd sizes.
	pairs = append(pairs,
		pair{"rows-chw", shapes.Make(dtypes.Float32, 13, 61, 67), shapes.Make(dtypes.Float32, 13, 1, 1), true},
		pair{"rows-nchw", shapes.Make(dtypes.Float32, 1, 9, 128, 129), shapes.Make(dtypes.Float32, 1, 9, 1, 1), true},
		pair{"rows-lhs", shapes.Make(dtypes.Float32, 7, 1, 1), shapes.Make(dtypes.Float32, 7, 97, 101), true},
		pair{"rows-2axes", shapes.Make(dtypes.Float32, 5, 7, 33, 37), shapes.Make(dtypes.Float32, 5, 7, 1, 1), true},
		pair{"leading-broadcast", shapes.Make(dtypes.Float32, 64, 1024), shapes.Make(dtypes.Float32, 1, 1024), false},
		pair{"small-rows", shapes.Make(dtypes.Float32, 4096, 3, 5), shapes.Make(dtypes.Float32, 4096, 1, 1), false},
	)
	for _, op := range binOps {
		for _, p := range pairs {
			lhs := makeBuffer(t, p.lhs, randomFloat32s(rng, p.lhs.Size()))
			rhs := makeBuffer(t, p.rhs, randomFloat32s(rng, p.rhs.Size()))
			infer := shapeinference.BinaryOp
			switch op { //nolint:exhaustive
			case compute.OpTypeEqual, compute.OpTypeNotEqual, compute.OpTypeGreaterOrEqual,
				compute.OpTypeGreaterThan, compute.OpTypeLessOrEqual, compute.OpTypeLessThan:
				infer = shapeinference.ComparisonOp
			}
			outShape, err := infer(op, p.lhs, p.rhs)
			if err != nil {
				t.Fatalf("%s %s: %+v", op, p.name, err)
			}
			want := p.parallel
			if p.lhs.Size() == 1 && (op == compute.OpTypeEqual || op == compute.OpTypeNotEqual) {
				want = false // no lhs-scalar case in their typed functions: left serial.
			}
			if p.name == "rows-lhs" && (op == compute.OpTypeEqual || op == compute.OpTypeNotEqual) {
				want = false
			}
			checkParallelMatchesSerial(t, fmt.Sprintf("%s/%s", op, p.name), op, outShape, want, lhs, rhs)
		}
	}
}

func TestParallelElementwiseUnary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	th := ops.ParallelElementwiseMinSize()
	unOps := []compute.OpType{
		compute.OpTypeNeg, compute.OpTypeSign, compute.OpTypeAbs, compute.OpTypeExp, compute.OpTypeLog,
		compute.OpTypeSqrt, compute.OpTypeRsqrt, compute.OpTypeTanh, compute.OpTypeLogistic,
	}
	for _, op := range unOps {
		for _, n := range []int{th - 1, th, th + 7, 3*th + 1} {
			shape := shapes.Make(dtypes.Float32, n)
			in := makeBuffer(t, shape, randomFloat32s(rng, n))
			checkParallelMatchesSerial(t, fmt.Sprintf("%s/%d", op, n), op, shape, n >= th, in)
		}
	}
}

func TestParallelElementwiseWhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	th := ops.ParallelElementwiseMinSize()
	for _, n := range []int{th - 1, th, th + 7, 3*th + 1} {
		shape := shapes.Make(dtypes.Float32, 3, n)
		if n%3 == 0 {
			shape = shapes.Make(dtypes.Float32, n)
		}
		size := shape.Size()
		cond := make([]bool, size)
		for i := range cond {
			cond[i] = rng.IntN(2) == 0
		}
		condBuf := makeBuffer(t, shapes.Make(dtypes.Bool, shape.Dimensions...), cond)
		onTrue := makeBuffer(t, shape, randomFloat32s(rng, size))
		onFalse := makeBuffer(t, shape, randomFloat32s(rng, size))
		zero := makeBuffer(t, shapes.Make(dtypes.Float32), []float32{0})
		checkParallelMatchesSerial(t, fmt.Sprintf("Where/full-%d", n), compute.OpTypeWhere, shape, true, condBuf, onTrue, onFalse)
		checkParallelMatchesSerial(t, fmt.Sprintf("Where/false-scalar-%d", n), compute.OpTypeWhere, shape, true, condBuf, onTrue, zero)
		checkParallelMatchesSerial(t, fmt.Sprintf("Where/true-scalar-%d", n), compute.OpTypeWhere, shape, true, condBuf, zero, onFalse)
		// Int32 values too (Where is dtype-agnostic).
		ints := make([]int32, size)
		for i := range ints {
			ints[i] = int32(rng.IntN(1000))
		}
		intShape := shapes.Make(dtypes.Int32, shape.Dimensions...)
		checkParallelMatchesSerial(t, fmt.Sprintf("Where/int32-%d", n), compute.OpTypeWhere, intShape, true, condBuf,
			makeBuffer(t, intShape, ints), makeBuffer(t, shapes.Make(dtypes.Int32), []int32{-1}))
	}
	// A scalar condition is left to the serial executor.
	shape := shapes.Make(dtypes.Float32, 2*th)
	checkParallelMatchesSerial(t, "Where/scalar-condition", compute.OpTypeWhere, shape, false,
		makeBuffer(t, shapes.Make(dtypes.Bool), []bool{true}),
		makeBuffer(t, shape, randomFloat32s(rng, shape.Size())),
		makeBuffer(t, shapes.Make(dtypes.Float32), []float32{0}))
}
