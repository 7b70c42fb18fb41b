package backend

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	b, err := Open(Go, nil)
	if err != nil || !IsPureGo(b) {
		t.Fatalf("Open(go) = %v, %v; want the pure-Go backend", b, err)
	}
	if _, err := Open("tpu", nil); err == nil {
		t.Error("Open(tpu) did not fail")
	}
	// auto falls back to the pure-Go backend where no PJRT plugin loads, saying so.
	t.Setenv("GOMLX_BACKEND", "")
	var notice strings.Builder
	b, err = Open(Auto, &notice)
	if err != nil {
		t.Fatal(err)
	}
	if IsPureGo(b) != strings.Contains(notice.String(), "pure-Go") {
		t.Errorf("auto gave %s with notice %q", b.Name(), notice.String())
	}
}

// TestSIMDNotice checks that the Go backend says, in one line, when its matrix products run on
// plain Go loops (and, on amd64, names GOEXPERIMENT=simd when that is why), and says nothing
// when a SIMD kernel runs. The test binary is built as `go test` was run, so
// it checks whichever case this run is.
func TestSIMDNotice(t *testing.T) {
	simd := SIMDBuild()
	var notice strings.Builder
	if _, err := Open(Go, &notice); err != nil {
		t.Fatal(err)
	}
	switch {
	case MatMulKernel().Fast() && notice.Len() != 0:
		t.Errorf("the %s kernel runs, yet the backend says: %q", MatMulKernel(), notice.String())
	case !MatMulKernel().Fast() && (notice.Len() == 0 || strings.Count(notice.String(), "\n") != 1):
		t.Errorf("the generic kernel runs, and the notice is %q; want one line", notice.String())
	case !simd && runtime.GOARCH == "amd64":
		if n := strings.Count(notice.String(), "\n"); n != 1 || !strings.Contains(notice.String(), "GOEXPERIMENT=simd") {
			t.Errorf("built without GOEXPERIMENT=simd, the notice is %q; want one line naming GOEXPERIMENT=simd", notice.String())
		}
	}
	if os.Getenv("CI") != "" && !simd && runtime.GOARCH == "amd64" {
		t.Error("CI builds without GOEXPERIMENT=simd: the timings and the notebooks then run the slow matrix products")
	}
}

// TestXLAWithoutCgo checks both kinds of build: with cgo, an XLA backend that does not load
// fails for its own reason; without cgo, every XLA backend fails with one line that says how to
// get XLA, and auto falls back to the Go backend saying so (CI runs this package both ways).
func TestXLAWithoutCgo(t *testing.T) {
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	for _, spec := range []string{XLACPU, XLACUDA, "xla:/nonexistent/pjrt_c_api_cpu_plugin.so"} {
		b, err := Open(spec, nil)
		if err == nil {
			if !XLABuilt {
				t.Fatalf("a build without cgo opened %s", spec)
			}
			b.Finalize()
			continue
		}
		msg := err.Error()
		if XLABuilt == strings.Contains(msg, "without cgo") {
			t.Errorf("XLABuilt=%v, yet Open(%q) says %q", XLABuilt, spec, msg)
		}
		if !XLABuilt && (strings.Contains(msg, "\n") || !strings.Contains(msg, "CGO_ENABLED=1")) {
			t.Errorf("Open(%q) without cgo: %q; want one line naming CGO_ENABLED=1", spec, msg)
		}
	}
	t.Setenv("GOMLX_BACKEND", "")
	var notice strings.Builder
	b, err := Open(Auto, &notice)
	if err != nil {
		t.Fatal(err)
	}
	if !XLABuilt && (!IsPureGo(b) || !strings.Contains(notice.String(), "without cgo")) {
		t.Errorf("auto without cgo gave %s, notice %q", b.Name(), notice.String())
	}
}

// TestCandidates checks what doctor shows: auto's order, the Go backend last and loading, and
// no download listed when GOMLX_NO_AUTO_INSTALL is set.
func TestCandidates(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "")
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	cs := Candidates()
	var specs []string
	for _, c := range cs {
		specs = append(specs, c.Spec)
		if len(c.Download) > 0 {
			t.Errorf("%s lists downloads %v with GOMLX_NO_AUTO_INSTALL set", c.Spec, c.Download)
		}
		if c.Spec != Go && c.Plugin == "" && c.Err == nil {
			t.Errorf("%s loads without a plugin", c.Spec)
		}
	}
	if got := strings.Join(specs, ","); got != "xla:cuda,xla:cpu,go" {
		t.Errorf("auto tries %s; want xla:cuda,xla:cpu,go", got)
	}
	if last := cs[len(cs)-1]; last.Err != nil {
		t.Errorf("the Go backend does not load: %v", last.Err)
	}
	t.Setenv("GOMLX_BACKEND", "go")
	if cs := Candidates(); len(cs) != 1 || cs[0].Spec != "go" || !cs[0].FromEnv || cs[0].Err != nil {
		t.Errorf("with GOMLX_BACKEND=go, Candidates() = %+v; want go alone, from the variable", cs)
	}
}

// TestMatMulKernel checks that the kernel follows the GOMLX_SIMD_* variables, and, where CI
// declares which kernel a leg runs (ESTIL_CI_KERNEL), that it is that one: a CI leg meant for
// the AVX2 kernel cannot run another by mistake.
func TestMatMulKernel(t *testing.T) {
	k := MatMulKernel()
	off := func(env string) bool { v := os.Getenv(env); return v == "false" || v == "0" }
	switch {
	case runtime.GOARCH == "amd64" && off("GOMLX_SIMD_AVX512") && off("GOMLX_SIMD_AVX2") && k != KernelGeneric,
		runtime.GOARCH == "amd64" && off("GOMLX_SIMD_AVX512") && k == KernelAVX512,
		runtime.GOARCH == "arm64" && off("GOMLX_SIMD_NEON") && k != KernelGeneric:
		t.Errorf("the kernel is %s with GOMLX_SIMD_AVX512=%q GOMLX_SIMD_AVX2=%q GOMLX_SIMD_NEON=%q", k,
			os.Getenv("GOMLX_SIMD_AVX512"), os.Getenv("GOMLX_SIMD_AVX2"), os.Getenv("GOMLX_SIMD_NEON"))
	}
	if want := os.Getenv("ESTIL_CI_KERNEL"); want != "" && string(k) != want {
		t.Errorf("ESTIL_CI_KERNEL=%q, but the Go backend runs the %s kernel", want, k)
	}
	if (SIMDNotice() == "") != k.Fast() {
		t.Errorf("kernel %s, notice %q: a notice is due exactly when the kernel is generic", k, SIMDNotice())
	}
	t.Logf("kernel: %s", k)
}
