package weights

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/estil-nst/estil/internal/atomicfile"
)

// CacheEnv is the environment variable that overrides the cache directory.
const CacheEnv = "ESTIL_CACHE_DIR"

// Metadata keys of the compact files.
const (
	metaModel  = "estil.model"
	metaSource = "estil.source"
	// The checkpoint a compact file was converted from, as it was then: its full SHA-256 (checked
	// against the prefix in its name), size and modification time. When the size or the time
	// change, the checkpoint is checked again.
	metaSourceSHA256 = "estil.source_sha256"
	metaSourceSize   = "estil.source_size"
	metaSourceMTime  = "estil.source_mtime"
)

// CacheDir returns where checkpoints are kept: $ESTIL_CACHE_DIR if set, else estil/ in the
// user's cache directory (~/.cache/estil on Linux).
func CacheDir() (string, error) {
	if dir := os.Getenv(CacheEnv); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the weights (%v); set %s", err, CacheEnv)
	}
	return filepath.Join(dir, "estil"), nil
}

// Option changes how [Load] works.
type Option func(*config)

type config struct {
	cacheDir string
	baseURL  string
	client   *http.Client
	progress io.Writer
	seed     int64
}

// WithCacheDir keeps and looks for files in dir instead of [CacheDir].
func WithCacheDir(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// WithBaseURL downloads from base + "/" + Model.FileName instead of Model.URL (a mirror, or a
// test server).
func WithBaseURL(base string) Option { return func(c *config) { c.baseURL = base } }

// WithHTTPClient downloads with client instead of http.DefaultClient.
func WithHTTPClient(client *http.Client) Option { return func(c *config) { c.client = client } }

// WithProgress draws the download progress bar and writes the few notes Load prints (e.g.
// "converting …") on w; nil silences them. The default is os.Stderr.
func WithProgress(w io.Writer) Option { return func(c *config) { c.progress = w } }

// WithSeed sets the seed of the "random" spec (default 1).
func WithSeed(seed int64) Option { return func(c *config) { c.seed = seed } }

func (c *config) logf(format string, args ...any) {
	if c.progress != nil {
		fmt.Fprintf(c.progress, format+"\n", args...)
	}
}

// Load returns the VGG19 features for model according to spec:
//
//   - "": the pretrained weights from the cache, getting them if needed (see package doc): the
//     compact safetensors file if present and valid, else the .pth converted to it, else a
//     download of the .pth first.
//   - "random" or "random:SEED": [Random] weights (seed from [WithSeed], default 1).
//   - anything else: a local file, a PyTorch checkpoint (.pth) or a safetensors file (format
//     told by content). Tiny VGG19-shaped networks are accepted (see [ValidateLayout]).
//
// Errors are one line saying which file, what is wrong and what to do.
func Load(ctx context.Context, spec string, model Model, opts ...Option) (*Set, error) {
	cfg := &config{progress: os.Stderr, seed: 1}
	for _, o := range opts {
		o(cfg)
	}
	switch {
	case spec == "":
		return loadCached(ctx, model, cfg)
	case spec == "random":
		return Random(model, cfg.seed), nil
	case strings.HasPrefix(spec, "random:"):
		seed, err := strconv.ParseInt(strings.TrimPrefix(spec, "random:"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("weights %q: the seed after \"random:\" must be an integer", spec)
		}
		return Random(model, seed), nil
	default:
		return ReadFile(spec, model)
	}
}

// isFeature keeps the tensors of VGG19's convolutional part.
func isFeature(name string) bool { return strings.HasPrefix(name, "features.") }

// ReadFile reads the VGG19 features of model from a PyTorch checkpoint or a safetensors file
// (told apart by content) and validates them. It refuses a file known to belong to another model
// (by its compact-file metadata or its torch.hub file name), since its input preprocessing would
// be wrong.
func ReadFile(path string, model Model) (*Set, error) {
	kind, err := sniff(path)
	if err != nil {
		return nil, err
	}
	var tensors map[string]Tensor
	switch kind {
	case "safetensors":
		var meta map[string]string
		tensors, meta, err = ReadSafetensors(path, nil)
		if err != nil {
			return nil, withHint(err, "check the file, or get it again")
		}
		if other := meta[metaModel]; other != "" && other != model.Name {
			return nil, wrongModel(path, other, model)
		}
		for name := range tensors {
			if !isFeature(name) {
				delete(tensors, name)
			}
		}
	default:
		if prefix, ok := HashPrefix(path); ok {
			for _, m := range Models() {
				if m.SHA256Prefix == prefix && m.Name != model.Name {
					return nil, wrongModel(path, m.Name, model)
				}
			}
		}
		tensors, err = ReadPyTorch(path, isFeature)
		if err != nil {
			return nil, withHint(err, "check the file, or get it again")
		}
	}
	set := &Set{Model: model, Tensors: tensors, Source: path}
	if _, err := set.Validate(); err != nil {
		return nil, err
	}
	return set, nil
}

func wrongModel(path, holds string, asked Model) error {
	return fmt.Errorf("weights file %s holds the %s model, but %s was asked for: choose model %s (input preprocessing differs)",
		path, shown(holds), asked.Name, shown(holds))
}

// withHint appends what to do to errors about damaged files.
func withHint(err error, hint string) error {
	if errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("%w; %s", err, hint)
	}
	return err
}

// sniff tells a PyTorch checkpoint ("pytorch") from a safetensors file by their first bytes.
func sniff(path string) (string, error) {
	f, _, err := openRegular(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("weights file %s does not exist (give a .pth or .safetensors file, \"random\", or nothing for the default weights)", path)
		}
		return "", fmt.Errorf("weights file %s: %w", path, err)
	}
	defer f.Close()
	var head [9]byte
	n, _ := io.ReadFull(f, head[:])
	switch {
	case n >= 4 && string(head[:4]) == "PK\x03\x04", n >= 1 && head[0] == 0x80:
		return "pytorch", nil
	case n == 9 && head[8] == '{':
		return "safetensors", nil
	case n == 0:
		return "", fmt.Errorf("weights file %s is empty; delete it or get it again", path)
	}
	return "", fmt.Errorf("weights file %s is neither a PyTorch checkpoint nor a safetensors file", path)
}

// loadCached implements Load's default: compact file, else .pth, else download.
func loadCached(ctx context.Context, model Model, cfg *config) (*Set, error) {
	dir := cfg.cacheDir
	if dir == "" {
		var err error
		if dir, err = CacheDir(); err != nil {
			return nil, err
		}
	}
	removeStale(dir, cfg)
	compact := filepath.Join(dir, model.CompactFileName())
	pth := filepath.Join(dir, model.FileName)

	if _, err := os.Stat(compact); err == nil {
		set, err := readCompact(ctx, compact, model, pth)
		if err == nil {
			return set, nil
		}
		if ctx.Err() != nil { // interrupted, not damaged: keep it
			return nil, fmt.Errorf("checking %s: %w", compact, ctx.Err())
		}
		// It is derived from the .pth, so rebuild it rather than fail.
		cfg.logf("ignoring %s (%v); rebuilding it", compact, err)
		if err := os.Remove(compact); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("removing damaged %s: %w", compact, err)
		}
	}

	downloaded := false
	if _, err := os.Stat(pth); errors.Is(err, fs.ErrNotExist) {
		downloaded = true
		url := model.URL
		if cfg.baseURL != "" {
			url = strings.TrimSuffix(cfg.baseURL, "/") + "/" + model.FileName
		}
		if err := Download(ctx, cfg.client, url, pth, model.digest(), cfg.progress); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("getting the %s weights: %w", model.Name, ctx.Err())
			}
			return nil, fmt.Errorf("getting the %s weights: %w (check the network; or download %s yourself into %s; "+
				"or use the weights \"random\" to run without them)", model.Name, err, url, dir)
		}
	} else if err != nil {
		return nil, fmt.Errorf("weights file %s: %w", pth, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// A checkpoint already in the cache was put there by someone: check it is the file pinned
	// for the model before trusting it (Download checked the one it fetched).
	// Ctrl-C is honoured while the file is hashed and between the stages of the conversion.
	want := model.digest()
	if downloaded {
		want = ""
	}
	source, err := checkpointState(ctx, pth, want)
	if err != nil {
		return nil, err
	}
	cfg.logf("converting %s to %s (once)", model.FileName, model.CompactFileName())
	tensors, err := ReadPyTorch(pth, isFeature)
	if err != nil {
		return nil, withHint(err, "delete it and run again to download it anew")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("converting %s: %w", pth, err)
	}
	set := &Set{Model: model, Tensors: tensors, Source: pth}
	if _, err := set.Validate(); err != nil {
		return nil, fmt.Errorf("%w; delete %s and run again to download it anew", err, pth)
	}
	meta := map[string]string{metaModel: model.Name, metaSource: model.FileName,
		metaSourceSHA256: source.digest, metaSourceSize: strconv.FormatInt(source.size, 10), metaSourceMTime: source.mtime}
	if err := WriteSafetensors(compact, tensors, meta); err != nil {
		cfg.logf("warning: could not keep the converted weights (%v); the next run will convert again", err)
	} else {
		set.Source = compact
	}
	return set, nil
}

// readCompact reads a compact file and checks it is what the cache expects for model, and that
// the checkpoint pth it came from, if it is still there, has not changed since (by size and time;
// if those changed, by its SHA-256).
func readCompact(ctx context.Context, path string, model Model, pth string) (*Set, error) {
	tensors, meta, err := ReadSafetensors(path, nil)
	if err != nil {
		return nil, err
	}
	if meta[metaModel] != model.Name || meta[metaSource] != model.FileName {
		return nil, fmt.Errorf("it was made for %s from %s, not %s from %s", shown(meta[metaModel]), shown(meta[metaSource]), model.Name, model.FileName)
	}
	if fi, err := os.Stat(pth); err == nil && meta[metaSourceSHA256] != "" &&
		(strconv.FormatInt(fi.Size(), 10) != meta[metaSourceSize] || mtimeOf(fi) != meta[metaSourceMTime]) {
		source, err := checkpointState(ctx, pth, model.digest())
		if err != nil {
			return nil, err
		}
		if source.digest != meta[metaSourceSHA256] {
			return nil, fmt.Errorf("%s changed since it was converted", filepath.Base(pth))
		}
	}
	set := &Set{Model: model, Tensors: tensors, Source: path}
	if _, err := set.Validate(); err != nil {
		return nil, err
	}
	return set, nil
}

// sourceState is a checkpoint's identity as a compact file records it.
type sourceState struct {
	digest, mtime string
	size          int64
}

// checkpointState reads pth's size, modification time and SHA-256, which must be want (or start
// with it: see [Download]) unless want is "".
func checkpointState(ctx context.Context, pth, want string) (sourceState, error) {
	f, fi, err := openRegular(pth)
	if err != nil {
		return sourceState{}, fmt.Errorf("weights file %s: %w", pth, err)
	}
	defer f.Close()
	s := sourceState{size: fi.Size(), mtime: mtimeOf(fi)}
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return sourceState{}, fmt.Errorf("weights file %s: %w", pth, err)
	}
	s.digest = hex.EncodeToString(h.Sum(nil))
	if want != "" {
		if err := checkDigest(s.digest, want); err != nil {
			return sourceState{}, fmt.Errorf("weights file %s: %w: it is not the file it claims to be; delete it and run again to download it anew", pth, err)
		}
	}
	return s, nil
}

// ctxReader stops reading (with ctx's error) once ctx is done: hashing 548 MB takes seconds.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func mtimeOf(fi os.FileInfo) string { return strconv.FormatInt(fi.ModTime().UnixNano(), 10) }

// staleAge is how old a temporary file of the cache must be to count as left behind: a download
// or a conversion killed before its rename (atomicfile's ".NAME.*.tmp"; ".part" from older
// versions). A live one is written continuously, so its modification time stays recent.
const staleAge = time.Hour

// removeStale deletes the cache's temporary files older than staleAge (issue 10, finding 10:
// nothing ever removed them).
func removeStale(dir string, cfg *config) {
	atomicfile.RemoveStaleOlder(dir, staleAge, func(name string) {
		cfg.logf("removed %s, left behind by an interrupted download or conversion", name)
	}, ".*.part")
}
