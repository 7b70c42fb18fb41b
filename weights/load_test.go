package weights

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// tinyModel is a Model whose "official" checkpoint is the tiny fixture, served by a test server.
func tinyModel(body []byte) Model {
	m := VGG19
	m.Name = "tiny"
	m.SHA256Prefix, m.SHA256 = prefixOf(body), sha256Of(body)
	m.FileName = "tiny_vgg19-" + m.SHA256Prefix + ".pth"
	m.URL = "http://invalid.invalid/models/" + m.FileName
	return m
}

func TestLoadDefaultDownloadsConvertsAndCaches(t *testing.T) {
	body := readTestdata(t, fixtureWeights)
	model := tinyModel(body)
	srv := newFixtureServer(t, model.FileName, body)
	dir := t.TempDir()
	ctx := context.Background()
	var log bytes.Buffer
	opts := []Option{WithCacheDir(dir), WithBaseURL(srv.URL + "/models/"), WithProgress(&log)}
	want, err := ReadPyTorch("testdata/"+fixtureWeights, isFeature)
	if err != nil {
		t.Fatal(err)
	}

	// First run: download, convert, keep the compact file.
	set, err := Load(ctx, "", model, opts...)
	if err != nil {
		t.Fatal(err)
	}
	compact := filepath.Join(dir, model.CompactFileName())
	if set.Source != compact || set.Random || contentDigest(set.Tensors) != contentDigest(want) {
		t.Errorf("first load: source %s", set.Source)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{model.CompactFileName(), model.FileName}) {
		t.Errorf("cache holds %v", names)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("%d requests", n)
	}
	if !strings.Contains(log.String(), "converting") {
		t.Errorf("log %q", log.String())
	}

	// Second run: the compact file alone.
	if err := os.Remove(filepath.Join(dir, model.FileName)); err != nil {
		t.Fatal(err)
	}
	set, err = Load(ctx, "", model, opts...)
	if err != nil || contentDigest(set.Tensors) != contentDigest(want) {
		t.Fatalf("second load: %v", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("%d requests", n)
	}

	// A damaged compact file is rebuilt from the .pth (downloaded again here, as it was removed).
	b, _ := os.ReadFile(compact)
	b[len(b)-1] ^= 1
	writeFile(t, dir, model.CompactFileName(), b)
	set, err = Load(ctx, "", model, opts...)
	if err != nil || contentDigest(set.Tensors) != contentDigest(want) {
		t.Fatalf("after damage: %v", err)
	}
	if !strings.Contains(log.String(), "ignoring "+compact) {
		t.Errorf("log %q", log.String())
	}
	if _, err := readCompact(context.Background(), compact, model, filepath.Join(dir, model.FileName)); err != nil {
		t.Errorf("compact file not rebuilt: %v", err)
	}

	// A compact file made for another model is not trusted.
	other := model
	other.Name = "other"
	if _, err := readCompact(context.Background(), compact, other, ""); err == nil {
		t.Error("compact file of another model accepted")
	}

	// A damaged .pth in the cache: one-line error saying to delete it. Its SHA-256 no longer
	// matches its name, which is checked before the file is parsed (issue 10, finding 9).
	os.Remove(compact)
	pth := filepath.Join(dir, model.FileName)
	writeFile(t, dir, model.FileName, body[:len(body)/3])
	_, err = Load(ctx, "", model, opts...)
	if err == nil || !strings.Contains(err.Error(), pth) || !strings.Contains(err.Error(), "SHA-256") || !strings.Contains(err.Error(), "delete it") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("damaged .pth: %v", err)
	}

	// Download failure: nothing left, and the error says what to do.
	os.Remove(pth)
	srv.mode.Store("truncate")
	go func() { <-srv.sentHalf }()
	_, err = Load(ctx, "", model, opts...)
	if err == nil || !strings.Contains(err.Error(), "getting the tiny weights") || !strings.Contains(err.Error(), "random") {
		t.Errorf("failed download: %v", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
}

func TestLoadSpecs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, spec := range []string{"testdata/" + fixtureWeights, "testdata/" + fixtureWeightsLegacy} {
		set, err := Load(ctx, spec, VGG19Caffe)
		if err != nil {
			t.Fatal(err)
		}
		if set.Source != spec || set.Model.Name != "vgg19-caffe" || len(set.Tensors) != 32 {
			t.Errorf("%s: %s %s %d", spec, set.Source, set.Model.Name, len(set.Tensors))
		}
	}
	// A compact file given by path.
	set, _ := Load(ctx, "testdata/"+fixtureWeights, VGG19)
	st := filepath.Join(dir, "tiny.safetensors")
	if err := WriteSafetensors(st, set.Tensors, map[string]string{metaModel: "vgg19"}); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(ctx, st, VGG19); err != nil || contentDigest(got.Tensors) != contentDigest(set.Tensors) {
		t.Errorf("safetensors path: %v", err)
	}
	if _, err := Load(ctx, st, VGG19Caffe); err == nil || !strings.Contains(err.Error(), "choose model vgg19") {
		t.Errorf("wrong model for a compact file: %v", err)
	}
	// A .pth named like the other model's checkpoint.
	caffeNamed := writeFile(t, dir, VGG19Caffe.FileName, readTestdata(t, fixtureWeights))
	if _, err := Load(ctx, caffeNamed, VGG19); err == nil || !strings.Contains(err.Error(), "choose model vgg19-caffe") {
		t.Errorf("wrong model for a .pth: %v", err)
	}

	r, err := Load(ctx, "random", VGG19, WithSeed(5))
	if err != nil || !r.Random || r.Source != "random (seed 5)" {
		t.Errorf("random: %v %v", r, err)
	}
	r2, err := Load(ctx, "random:5", VGG19)
	if err != nil || contentDigest(r2.Tensors) != contentDigest(r.Tensors) {
		t.Errorf("random:5: %v", err)
	}

	for spec, want := range map[string]string{
		"random:x":                                            "must be an integer",
		filepath.Join(dir, "nope.pth"):                        "does not exist",
		writeFile(t, dir, "empty.pth", nil):                   "is empty",
		writeFile(t, dir, "text.pth", []byte("hello, world")): "neither a PyTorch checkpoint nor a safetensors file",
		"testdata/malicious.pth":                              "posix.system",
		"testdata/tiny_dtypes.pth":                            "missing tensor features.0.weight",
		writeFile(t, dir, "cut.pth", readTestdata(t, fixtureWeightsLegacy)[:20000]): "truncated or corrupt",
	} {
		_, err := Load(ctx, spec, VGG19)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Load(%q): %v, want a one-line error with %q", spec, err, want)
		}
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv(CacheEnv, "/some/where")
	if d, err := CacheDir(); err != nil || d != "/some/where" {
		t.Errorf("CacheDir = %s, %v", d, err)
	}
	if runtime.GOOS != "linux" {
		return
	}
	t.Setenv(CacheEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if d, err := CacheDir(); err != nil || d != "/xdg/estil" {
		t.Errorf("CacheDir = %s, %v", d, err)
	}
}

// TestCachedCheckpointIsVerified: a checkpoint found in the cache is checked against the SHA-256
// prefix in its name before it is converted and used (it used to be trusted by its name); its
// digest, size and time are recorded in the compact file, and a checkpoint that changes after the
// conversion makes the compact file be rebuilt from it, checked again (issue 10, finding 9).
func TestCachedCheckpointIsVerified(t *testing.T) {
	body := readTestdata(t, fixtureWeights)
	model := tinyModel(body)
	ctx := context.Background()
	dir := t.TempDir()
	// No network is needed: the checkpoint is in the cache (the base URL is unreachable).
	opts := []Option{WithCacheDir(dir), WithBaseURL("http://127.0.0.1:1/"), WithProgress(nil)}

	// Another network under the right name: refused, nothing converted.
	other := readTestdata(t, fixtureWeightsLegacy) // a valid checkpoint, but not this file
	writeFile(t, dir, model.FileName, other)
	if _, err := Load(ctx, "", model, opts...); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("a checkpoint whose digest does not match its name was used (err %v)", err)
	}
	if names := dirNames(t, dir); slices.Contains(names, model.CompactFileName()) {
		t.Errorf("a compact file was made from it: %v", names)
	}

	// The right file: converted, and the compact file records where it came from.
	writeFile(t, dir, model.FileName, body)
	if _, err := Load(ctx, "", model, opts...); err != nil {
		t.Fatal(err)
	}
	_, meta, err := ReadSafetensors(filepath.Join(dir, model.CompactFileName()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(meta[metaSourceSHA256], model.SHA256Prefix) || meta[metaSourceSize] == "" || meta[metaSourceMTime] == "" {
		t.Errorf("compact file metadata %v: want the source's digest, size and time", meta)
	}

	// The checkpoint is replaced after the conversion: the compact file is not trusted any more.
	writeFile(t, dir, model.FileName, other)
	if _, err := Load(ctx, "", model, opts...); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("after the checkpoint changed: err %v, want its digest checked again and refused", err)
	}
}

// TestPinnedDigestIsChecked: a model's full SHA-256, where pinned, is what a download and a
// cached checkpoint must hash to; a file that only starts like it is refused (issue 18, finding
// 13: only torch.hub's 32-bit prefix was checked).
func TestPinnedDigestIsChecked(t *testing.T) {
	body := readTestdata(t, fixtureWeights)
	model := tinyModel(body)
	model.SHA256 = model.SHA256Prefix + strings.Repeat("0", 56) // right prefix, wrong file
	srv := newFixtureServer(t, model.FileName, body)
	ctx := context.Background()
	dir := t.TempDir()
	opts := []Option{WithCacheDir(dir), WithBaseURL(srv.URL + "/models/"), WithProgress(nil)}
	if _, err := Load(ctx, "", model, opts...); err == nil || !strings.Contains(err.Error(), ", not "+model.SHA256) {
		t.Errorf("download whose SHA-256 only starts right: %v, want it refused", err)
	}
	writeFile(t, dir, model.FileName, body)
	if _, err := Load(ctx, "", model, opts...); err == nil || !strings.Contains(err.Error(), ", not "+model.SHA256) {
		t.Errorf("cached checkpoint whose SHA-256 only starts right: %v, want it refused", err)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{model.FileName}) {
		t.Errorf("cache holds %v: want nothing converted", names)
	}
}

// TestStaleTemporaryFilesRemoved: temporary files that a killed download or conversion left in
// the cache are removed when it is opened once they are an hour old; a recent one (perhaps being
// written by another run) is kept (issue 10, finding 10).
func TestStaleTemporaryFilesRemoved(t *testing.T) {
	body := readTestdata(t, fixtureWeights)
	model := tinyModel(body)
	dir := t.TempDir()
	writeFile(t, dir, model.FileName, body)
	old := time.Now().Add(-2 * time.Hour)
	for _, name := range []string{"." + model.CompactFileName() + ".123.tmp", "." + model.FileName + ".456.part"} {
		writeFile(t, dir, name, []byte("half"))
		if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	fresh := "." + model.FileName + ".789.tmp"
	writeFile(t, dir, fresh, []byte("being written"))
	if _, err := Load(context.Background(), "", model, WithCacheDir(dir), WithProgress(nil)); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{fresh, model.CompactFileName(), model.FileName}) {
		t.Errorf("cache holds %v: want the fresh temporary file, the compact file and the checkpoint", names)
	}
}

// cancelAfter is a context that reports itself cancelled from its n-th Err call on: a Ctrl-C
// that arrives in the middle of the work, at a point the test chooses.
type cancelAfter struct {
	context.Context
	n, calls int
}

func (c *cancelAfter) Err() error {
	c.calls++
	if c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

// TestConversionHonoursCtrlC: a Ctrl-C while a cached checkpoint is hashed or converted stops the
// conversion with context.Canceled and writes no compact file (issue 10, finding 10: it used to
// be honoured only after the conversion).
func TestConversionHonoursCtrlC(t *testing.T) {
	body := readTestdata(t, fixtureWeights)
	model := tinyModel(body)
	for _, n := range []int{2, 3, 5} {
		dir := t.TempDir()
		writeFile(t, dir, model.FileName, body)
		ctx := &cancelAfter{Context: context.Background(), n: n}
		_, err := Load(ctx, "", model, WithCacheDir(dir), WithBaseURL("http://127.0.0.1:1/"), WithProgress(nil))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled at check %d: error %v, want context.Canceled", n, err)
		}
		if names := dirNames(t, dir); slices.Contains(names, model.CompactFileName()) {
			t.Errorf("cancelled at check %d: a compact file was written: %v", n, names)
		}
	}
}
