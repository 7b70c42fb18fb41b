package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/estil-nst/estil/internal/enum"
)

// Which BLAS PyTorch runs with.
//
// On a CPU with 2 or more threads, PyTorch's float32 convolutions go to oneDNN (MKL-DNN), which
// has its own kernels; its matrix products (the Gram matrices, forward and backward) go to the
// BLAS. Debian's python3-torch calls the system's libblas.so.3, chosen by update-alternatives:
// the reference BLAS (plain loops: its Gram matrices alone made PyTorch ~5× slower at 256 px)
// unless an optimized one is installed; Debian's libopenblas0-pthread takes its place when
// installed. A pip PyTorch brings its own BLAS (MKL or OpenBLAS) and ignores the system's.
//
// estil bench compares against the strongest PyTorch it can find, and says which: --pytorch-blas
// auto runs PyTorch with OpenBLAS where it is installed, whatever the system's choice is, by
// putting OpenBLAS's folder first on LD_LIBRARY_PATH; reference adds (or forces) the reference
// BLAS the same way.
const (
	BLASAuto      = "auto"      // OpenBLAS where installed, else the BLAS PyTorch loads by itself
	BLASOpenBLAS  = "openblas"  // OpenBLAS, or an error saying how to install it
	BLASReference = "reference" // the reference BLAS, or an error
	BLASSystem    = "system"    // whatever PyTorch loads by itself (the system's choice, or its own)
)

// BLASChoices are --pytorch-blas's values.
var BLASChoices = []string{BLASAuto, BLASOpenBLAS, BLASReference, BLASSystem}

// ParseBLAS reads --pytorch-blas: one or more comma-separated choices, the first being the
// PyTorch that estil is compared with, the others extra rows.
func ParseBLAS(list string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if _, err := enum.Parse("PyTorch BLAS", part, BLASChoices); err != nil {
			return nil, err
		}
		if slices.Contains(out, part) {
			return nil, fmt.Errorf("%q is given twice", part)
		}
		out = append(out, part)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no BLAS in %q (one or more of %s)", list, enum.List(BLASChoices))
	}
	return out, nil
}

// BLASReport is what the PyTorch script found loaded into its process (pytorch_reference.py's
// blas_report).
type BLASReport struct {
	Kind          string `json:"kind"`                   // OpenBLAS, MKL, reference or unknown
	Library       string `json:"library,omitempty"`      // the file, links resolved
	Config        string `json:"config,omitempty"`       // openblas_get_config()
	Core          string `json:"core,omitempty"`         // openblas_get_corename(): the kernels OpenBLAS chose
	BLASThreads   int    `json:"blas_threads,omitempty"` // openblas_get_num_threads()
	TorchThreads  int    `json:"torch_threads"`          // torch.get_num_threads(): the OpenMP pool
	TorchBLASInfo string `json:"torch_blas_info"`        // BLAS_INFO from torch.__config__.show()
	// ConvBackend is the backend PyTorch picks for a 3×3 convolution at the run's size and dtype
	// (torch._C._select_conv_backend): Mkldnn (oneDNN's own kernels, which do not call the BLAS)
	// for float32 where torch has oneDNN, as Debian's and pip's have; Slow2d (im2col + the BLAS)
	// otherwise, e.g. in float64. OneDNN is its version, when built in.
	ConvBackend string            `json:"conv_backend"`
	OneDNN      string            `json:"onednn,omitempty"`
	Libraries   []string          `json:"libraries"` // every BLAS-like library mapped
	Env         map[string]string `json:"env"`       // the thread and BLAS variables that were set
}

// String says it in one line, e.g. "OpenBLAS (OpenBLAS 0.3.21 DYNAMIC_ARCH …; core Haswell; 1 BLAS
// thread, 2 PyTorch threads) from /usr/lib/…/libblas.so.3".
func (b *BLASReport) String() string {
	if b == nil {
		return "not reported"
	}
	var parts []string
	if b.Config != "" {
		parts = append(parts, b.Config)
	}
	if b.Core != "" {
		parts = append(parts, "core "+b.Core)
	}
	threads := fmt.Sprintf("%d PyTorch threads", b.TorchThreads)
	if b.BLASThreads > 0 {
		threads = fmt.Sprintf("%d BLAS thread(s), %s", b.BLASThreads, threads)
	}
	parts = append(parts, threads)
	if b.TorchBLASInfo != "" {
		parts = append(parts, "torch built with BLAS_INFO="+b.TorchBLASInfo)
	}
	s := fmt.Sprintf("%s (%s)", b.Kind, strings.Join(parts, "; "))
	if b.ConvBackend != "" {
		conv := b.ConvBackend
		if b.OneDNN != "" && conv == "Mkldnn" {
			conv += ", " + b.OneDNN
		}
		s = fmt.Sprintf("convolutions by %s; matrix products by %s", conv, s)
	}
	if b.Library != "" {
		s += " from " + b.Library
	}
	for _, k := range []string{"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"} {
		if v, ok := b.Env[k]; ok && b.Kind == "OpenBLAS" {
			s += fmt.Sprintf(", %s=%s", k, v)
		}
	}
	return s
}

// blasDirs are the folders, under Debian's (and Ubuntu's) /usr/lib/<triplet>, that hold each
// BLAS's libblas.so.3, by preference: OpenBLAS's pthread build first (its threads are its own; the
// OpenMP build would share PyTorch's pool, the serial one has none).
var blasDirs = map[string][]string{
	BLASOpenBLAS:  {"openblas-pthread", "openblas-openmp", "openblas-serial"},
	BLASReference: {"blas"},
}

// findBLAS is the folder holding the chosen BLAS's libblas.so.3 for this machine's architecture,
// or "".
func findBLAS(choice string) string {
	for _, sub := range blasDirs[choice] {
		if dir := filepath.Join(debianLibDir(), sub); fileExists(filepath.Join(dir, "libblas.so.3")) {
			return dir
		}
	}
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// debianLibDir is Debian's multiarch library folder for this architecture.
func debianLibDir() string {
	triplet := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}[runtime.GOARCH]
	if triplet == "" {
		triplet = runtime.GOARCH + "-linux-gnu"
	}
	return filepath.Join("/usr/lib", triplet)
}

// torchEnv is the environment the PyTorch script runs in with this BLAS choice, and the choice
// resolved (auto becomes openblas or system).
//
// OPENBLAS_NUM_THREADS=1 unless the user set it: PyTorch parallelizes its convolutions with its
// own OpenMP pool (--threads), and OpenBLAS's pthread pool on top of it would put 2×2 threads on
// 2 cores.
func torchEnv(choice string) (env []string, resolved string, err error) {
	env = os.Environ()
	if _, ok := os.LookupEnv("OPENBLAS_NUM_THREADS"); !ok {
		env = append(env, "OPENBLAS_NUM_THREADS=1")
	}
	resolved = choice
	if choice == BLASAuto {
		resolved = BLASSystem
		if findBLAS(BLASOpenBLAS) != "" {
			resolved = BLASOpenBLAS
		}
	}
	if resolved == BLASSystem {
		return env, resolved, nil
	}
	dir := findBLAS(resolved)
	if dir == "" {
		install := map[string]string{BLASOpenBLAS: "libopenblas0-pthread", BLASReference: "libblas3"}[resolved]
		return nil, "", fmt.Errorf("--pytorch-blas %s: no %s libblas.so.3 found in %s/{%s} (Debian: apt-get install %s), or use --pytorch-blas system",
			resolved, resolved, debianLibDir(), strings.Join(blasDirs[resolved], ","), install)
	}
	path := dir
	if resolved == BLASReference {
		// Debian's reference LAPACK beside it: OpenBLAS's liblapack.so.3 would load OpenBLAS too.
		if lapack := filepath.Join(filepath.Dir(dir), "lapack"); fileExists(filepath.Join(lapack, "liblapack.so.3")) {
			path += string(os.PathListSeparator) + lapack
		}
	}
	if old := os.Getenv("LD_LIBRARY_PATH"); old != "" {
		path += string(os.PathListSeparator) + old
	}
	return append(env, "LD_LIBRARY_PATH="+path), resolved, nil
}

// checkBLAS makes sure PyTorch ran with the BLAS it was asked for: a PyTorch that brings its own
// BLAS (pip's) ignores LD_LIBRARY_PATH, and its row must not be labelled with another one.
func checkBLAS(resolved string, got *BLASReport) error {
	want := map[string]string{BLASOpenBLAS: "OpenBLAS", BLASReference: "reference"}[resolved]
	if want == "" {
		return nil
	}
	if got == nil || got.Kind != want {
		return fmt.Errorf("--pytorch-blas %s: PyTorch ran with %s instead (a PyTorch that brings its own BLAS, as pip's does, ignores the system's); use --pytorch-blas system",
			resolved, got)
	}
	return nil
}
