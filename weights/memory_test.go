package weights

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/estil-nst/estil/internal/rss"
)

// Issue 10: each class of hostile file found in review, read in a child process under a 4 GiB
// address-space ceiling (Go's runtime reserves address space well beyond what it uses, so 1 GiB
// failed now and then on a 16 MB read). Before the fixes each of them reached gigabytes or died
// with Go's unrecoverable "fatal error: out of memory"; now each must give a clean one-line
// error, exit 1, and stay under 150 MB of peak RSS (the child's own VmHWM).
func TestHostileFilesStayBounded(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		need := "prlimit (util-linux) is missing"
		if os.Getenv("CI") != "" {
			t.Fatal(need)
		}
		t.Skip(need)
	}
	dir := t.TempDir()
	for name, data := range hostileFiles(t) {
		path := writeFile(t, dir, name, data)
		cmd := exec.Command(prlimit, "--as=4294967296", "--", os.Args[0])
		cmd.Env = append(os.Environ(), "ESTIL_READ_WEIGHTS="+path)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		err := cmd.Run()
		out := stderr.String()
		code := cmd.ProcessState.ExitCode()
		peakMB := -1 // MB, as the child reports it
		if _, after, ok := strings.Cut(out, "estil-read-rss: "); ok {
			_, _ = fmt.Sscan(after, &peakMB)
		}
		t.Logf("%s (%d bytes): exit %d, peak RSS %d MB: %s", name, len(data), code, peakMB, strings.TrimSpace(lastLineOf(out)))
		if code != 1 || strings.Contains(out, "fatal error") || strings.Contains(out, "panic") {
			t.Errorf("%s: exit %d (%v), want 1 and a clean error; output:\n%s", name, code, err, out)
		}
		if !strings.Contains(out, "estil-read: ") || !strings.Contains(out, path) {
			t.Errorf("%s: no one-line error naming the file; output:\n%s", name, out)
		}
		if peakMB < 0 || peakMB > 150 {
			t.Errorf("%s: peak RSS %d MB, want under 150 MB for a %d-byte file", name, peakMB, len(data))
		}
	}
}

// TestMain runs the child of TestHostileFilesStayBounded when ESTIL_READ_WEIGHTS names a file
// (readWeightsChild), and the tests otherwise.
func TestMain(m *testing.M) {
	if path := os.Getenv("ESTIL_READ_WEIGHTS"); path != "" {
		readWeightsChild(path)
	}
	os.Exit(m.Run())
}

// readWeightsChild reads the weights file at path, reports its peak RSS in MB, and exits 1 with
// a one-line error if reading fails, else 0.
func readWeightsChild(path string) {
	var err error
	if filepath.Ext(path) == ".safetensors" {
		_, _, err = ReadSafetensors(path, nil)
	} else {
		_, err = ReadPyTorch(path, nil)
	}
	fmt.Fprintf(os.Stderr, "estil-read-rss: %d\n", rss.Peak()>>20)
	if err != nil {
		fmt.Fprintf(os.Stderr, "estil-read: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func lastLineOf(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// sharedViewsOf is a state dict of k tensors, each a view of the whole of storage "0" (n floats):
// k·n elements declared over n stored.
func sharedViewsOf(k, n int) []byte {
	var p pickler
	p.proto(2).emptyDict()
	for i := range k {
		p.str(fmt.Sprintf("w%d", i)).global("torch._utils", "_rebuild_tensor_v2").mark().
			storagePID("FloatStorage", "0", n, false, nil).int(0).ints(n).ints(1).op(0x89).emptyDict().tuple().reduce().
			setitem()
	}
	return p.stop().Bytes()
}

// hostileFiles are the crafted files of issue 10's findings 1-5 and issue 18's, each a few
// hundred bytes to 16 MB, by file name (the extension says the format). They also seed the fuzz targets.
func hostileFiles(tb testing.TB) map[string][]byte {
	header := make([]byte, 8)
	binary.LittleEndian.PutUint64(header, 90_000_000)
	return map[string][]byte{
		// finding 1: one stored float declaring 1 GB through a zero stride, and 32 views of one storage.
		"zero-stride.pth":         zipFile(tb, tensorPickle([]int{1 << 28}, []int{0}, 0, "FloatStorage", 1), map[string][]float32{"0": {1}}),
		"shared-views.pth":        zipFile(tb, sharedViewsOf(32, 1<<22), map[string][]float32{"0": make([]float32, 1<<22)}),
		"mark-flood.pth":          zipFile(tb, append(append([]byte{0x80, 2}, bytes.Repeat([]byte{'('}, 1<<20)...), '.'), nil),         // finding 2
		"frame-1TiB.pth":          zipFile(tb, (&pickler{}).proto(4).op(0x95, 0, 0, 0, 0, 0, 1, 0, 0).emptyDict().stop().Bytes(), nil), // finding 3
		"zip-directory.pth":       lyingZip(tb, tensorPickle([]int{1 << 30}, []int{1}, 0, "FloatStorage", 1<<30), 1<<32),               // finding 4: 4 GiB claimed
		"header-90MB.safetensors": append(append(header, '{'), bytes.Repeat([]byte{' '}, 1<<20)...),                                    // finding 5
		// issue 18, finding 7: 16 KB of deflate giving a 16 MB storage, all of it one tensor.
		"deflate-bomb.pth": deflatedZip(tb, 4<<20, 4<<20),
	}
}
