package bench

import (
	"testing"
)

func TestCompareRunsCatchesADifferentFunction(t *testing.T) {
	e := Timing{Evaluations: 3, Losses: []float64{1000, 990, 900}, LossAtImage: 500, SecondsPerEvaluation: 2}
	p := Timing{Evaluations: 3, Losses: []float64{1000.001, 990.001, 700}, LossAtImage: 500.0001, SecondsPerEvaluation: 1}
	if c := compare(32, e, p, 0.01); !c.Agree || c.Ratio != 2 || c.FinalRelDiff < 0.2 {
		t.Errorf("same points agree, trajectories drift: want agree, ratio 2, final diff > 0.2; got %+v", c)
	}
	for name, q := range map[string]Timing{
		"start":       {Evaluations: 3, Losses: []float64{1100, 1090, 900}, LossAtImage: 500},
		"probe":       {Evaluations: 3, Losses: []float64{1000, 990, 900}, LossAtImage: 520},
		"first step":  {Evaluations: 3, Losses: []float64{1000, 995, 900}, LossAtImage: 500},
		"evaluations": {Evaluations: 2, Losses: []float64{1000, 990}, LossAtImage: 500},
	} {
		q.SecondsPerEvaluation = 1
		if c := compare(32, e, q, 0.01); c.Agree {
			t.Errorf("%s differs but the comparison agrees: %+v", name, c)
		}
	}
}

func TestParseSizesSortsAndDeduplicates(t *testing.T) {
	got, err := ParseSizes("128, 64,128")
	if err != nil || len(got) != 2 || got[0] != 64 || got[1] != 128 {
		t.Errorf("parseSizes = %v, %v", got, err)
	}
}

func TestDriftsAt(t *testing.T) {
	run := func(l ...float64) Timing { return Timing{Losses: l} }
	for _, tc := range []struct {
		a, b Timing
		want int
	}{
		{run(100, 50, 20), run(100.5, 50.2, 20.1), 0}, // within 1 % throughout
		{run(100, 50, 20), run(100, 50, 25), 3},       // apart from the third
		{run(100, 50), run(100, 60, 20, 10), 2},       // only common evaluations count
		{run(100, 50, 20), run(100, 50.4, 30), 3},     // 0.8 % is within
	} {
		if got := DriftsAt(tc.a, tc.b); got != tc.want {
			t.Errorf("DriftsAt(%v, %v) = %d, want %d", tc.a.Losses, tc.b.Losses, got, tc.want)
		}
	}
}

func TestParseBLAS(t *testing.T) {
	got, err := ParseBLAS(" openblas, reference")
	if err != nil || len(got) != 2 || got[0] != BLASOpenBLAS || got[1] != BLASReference {
		t.Errorf("ParseBLAS = %v, %v", got, err)
	}
	for _, bad := range []string{"", ",", "mkl", "auto,auto"} {
		if got, err := ParseBLAS(bad); err == nil {
			t.Errorf("ParseBLAS(%q) = %v, want an error", bad, got)
		}
	}
}

// A PyTorch that ignored the BLAS it was asked for (pip's brings its own) must not be labelled
// with it.
func TestCheckBLAS(t *testing.T) {
	openblas := &BLASReport{Kind: "OpenBLAS"}
	for _, tc := range []struct {
		resolved string
		got      *BLASReport
		ok       bool
	}{
		{BLASOpenBLAS, openblas, true},
		{BLASReference, openblas, false},
		{BLASOpenBLAS, &BLASReport{Kind: "MKL"}, false},
		{BLASOpenBLAS, nil, false},
		{BLASSystem, &BLASReport{Kind: "MKL"}, true},
	} {
		if err := checkBLAS(tc.resolved, tc.got); (err == nil) != tc.ok {
			t.Errorf("checkBLAS(%s, %v) = %v, want ok %v", tc.resolved, tc.got, err, tc.ok)
		}
	}
}
