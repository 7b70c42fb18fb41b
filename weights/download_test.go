package weights

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fixtureServer serves body at /models/<name> and counts requests. mode changes how:
// "good", "truncate" (announces the full length, sends half, drops the connection), "hang"
// (sends half, then waits for the client to give up), "404".
type fixtureServer struct {
	*httptest.Server
	requests atomic.Int32
	mode     atomic.Value
	sentHalf chan struct{}
}

func newFixtureServer(t *testing.T, name string, body []byte) *fixtureServer {
	t.Helper()
	s := &fixtureServer{sentHalf: make(chan struct{}, 1)}
	s.mode.Store("good")
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.URL.Path != "/models/"+name {
			http.NotFound(w, r)
			return
		}
		mode := s.mode.Load().(string)
		if mode == "404" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if mode == "good" {
			_, _ = w.Write(body)
			return
		}
		_, _ = w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		s.sentHalf <- struct{}{}
		if mode == "hang" {
			<-r.Context().Done()
		}
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}))
	t.Cleanup(s.Close)
	return s
}

func sha256Of(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func prefixOf(b []byte) string { return sha256Of(b)[:8] }

func TestDownload(t *testing.T) {
	body := readTestdata(t, fixtureWeights)
	name := "tiny-" + prefixOf(body) + ".pth"
	srv := newFixtureServer(t, name, body)
	url := srv.URL + "/models/" + name
	ctx := context.Background()

	t.Run("good", func(t *testing.T) {
		dir := t.TempDir()
		var progress bytes.Buffer
		dst := filepath.Join(dir, "cache", name)
		if err := Download(ctx, nil, url, dst, sha256Of(body), &progress); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(dst)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("downloaded file differs (%v)", err)
		}
		if !strings.Contains(progress.String(), "downloading "+name) {
			t.Errorf("progress output %q", progress.String())
		}
		if names := dirNames(t, filepath.Dir(dst)); len(names) != 1 {
			t.Errorf("cache holds %v", names)
		}
	})

	// The full SHA-256 is checked, not only the 32-bit prefix of torch.hub's names (issue 18,
	// finding 13): a file whose digest starts right is still refused.
	full := sha256Of(body)
	samePrefix := full[:8] + strings.Repeat("0", 56)
	failures := map[string]struct {
		mode, url, dst, digest, want string
		cancel                       bool
	}{
		"wrong hash":         {mode: "good", url: url, dst: name, digest: samePrefix, want: "SHA-256 is " + full + ", not " + samePrefix},
		"wrong prefix":       {mode: "good", url: url, dst: name, digest: "00000000", want: "does not start with 00000000"},
		"truncated":          {mode: "truncate", url: url, dst: name, digest: full, want: "downloading " + url},
		"cancelled":          {mode: "hang", url: url, dst: name, digest: full, want: "context canceled", cancel: true},
		"404":                {mode: "404", url: url, dst: name, digest: full, want: "404 Not Found"},
		"no digest to check": {mode: "good", url: url, dst: name, digest: "", want: "no SHA-256"},
		"server down":        {mode: "good", url: "http://127.0.0.1:1/x", dst: name, digest: full, want: "127.0.0.1:1"},
	}
	for what, c := range failures {
		t.Run(what, func(t *testing.T) {
			srv.mode.Store(c.mode)
			defer srv.mode.Store("good")
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			if c.cancel {
				// Cancel mid-body: once the temporary file exists and the server sent half.
				go func() {
					<-srv.sentHalf
					for range 500 {
						if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(m) > 0 {
							break
						}
						time.Sleep(10 * time.Millisecond)
					}
					cancel()
				}()
			}
			err := Download(ctx, nil, c.url, filepath.Join(dir, c.dst), c.digest, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error with %q", err, c.want)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("left behind: %v", names)
			}
			select { // the truncating handler signals too
			case <-srv.sentHalf:
			default:
			}
		})
	}
}
