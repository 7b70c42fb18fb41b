package nst

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/weights"
)

// TestLoadModelOfflineFallback: when the default weights cannot be had (here a damaged file in
// the cache, which fails without any network), LoadModel calls OfflineFallback with the reason
// and goes on with random weights, saying so; without the option it fails.
func TestLoadModelOfflineFallback(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("ESTIL_CACHE_DIR", cache)
	if err := os.WriteFile(filepath.Join(cache, weights.VGG19.FileName), []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModel(context.Background(), LoadOptions{Backend: backend.Go}); err == nil {
		t.Fatal("a damaged cached checkpoint loaded without an error")
	}
	var reason error
	var notice strings.Builder
	m, err := LoadModel(context.Background(), LoadOptions{Backend: backend.Go, Notice: &notice, OfflineFallback: func(err error) { reason = err }})
	if err != nil {
		t.Fatal(err)
	}
	if reason == nil || !m.Weights.Random || !strings.Contains(notice.String(), RandomWeightsWarning) {
		t.Errorf("fallback reason %v, random weights %v, notice %q: want a reason, random weights and the warning",
			reason, m.Weights.Random, notice.String())
	}
}
