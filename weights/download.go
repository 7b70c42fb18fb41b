package weights

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/estil-nst/estil/internal/atomicfile"
	"github.com/schollz/progressbar/v3"
)

// HashPrefix returns the SHA-256 prefix a file name promises, as torch.hub reads it: the hex
// digits after the last '-' up to the next '.' ("vgg19-dcbb9e9d.pth" → "dcbb9e9d").
func HashPrefix(fileName string) (string, bool) {
	base := filepath.Base(fileName)
	i := strings.LastIndexByte(base, '-')
	if i < 0 {
		return "", false
	}
	rest := base[i+1:]
	if j := strings.IndexByte(rest, '.'); j >= 0 {
		rest = rest[:j]
	}
	if rest == "" {
		return "", false
	}
	for _, c := range rest {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return rest, true
}

// Download fetches url into the file dst. The bytes go to a temporary file next to dst while a
// progress bar is drawn on progress (nil for none); their SHA-256 must be want, lower-case hex
// (or start with it, where only a prefix is known, as torch.hub's file names carry); only then
// is the file renamed to dst. On any error, including ctx being cancelled, the temporary file is
// removed and dst is left as it was. client nil means http.DefaultClient.
func Download(ctx context.Context, client *http.Client, url, dst, want string, progress io.Writer) (err error) {
	if want == "" {
		return fmt.Errorf("downloading %s: no SHA-256 to check it against", url)
	}
	if client == nil {
		client = http.DefaultClient
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("downloading %s: %w", url, err)
		}
	}()
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			return ue.Err // without repeating the URL
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server answered %s", resp.Status)
	}

	// The body goes into dst's temporary file; a short body, a cancel or a wrong digest is an
	// error from inside the write, so atomicfile removes the file and dst stays as it was.
	return atomicfile.Write(dst, func(file io.Writer) error {
		hash := sha256.New()
		w := io.MultiWriter(file, hash)
		var bar *progressbar.ProgressBar
		if progress != nil {
			bar = newBytesBar(resp.ContentLength, "downloading "+filepath.Base(dst), progress)
			w = io.MultiWriter(w, bar)
		}
		n, err := io.Copy(w, resp.Body)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		if err != nil {
			if bar != nil {
				fmt.Fprintln(progress)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("connection closed after %d of %d bytes", n, resp.ContentLength)
			}
			return err
		}
		if resp.ContentLength >= 0 && n != resp.ContentLength {
			return fmt.Errorf("got %d bytes, the server announced %d", n, resp.ContentLength)
		}
		if bar != nil {
			_ = bar.Finish()
		}
		if err := checkDigest(hex.EncodeToString(hash.Sum(nil)), want); err != nil {
			return fmt.Errorf("%w: the download is damaged or the server sent another file; nothing was kept", err)
		}
		return nil
	})
}

// checkDigest says whether a file's SHA-256, got, is want, or starts with it where want is a
// prefix.
func checkDigest(got, want string) error {
	switch {
	case len(want) == len(got) && got != want:
		return fmt.Errorf("its SHA-256 is %s, not %s", got, want)
	case !strings.HasPrefix(got, want):
		return fmt.Errorf("its SHA-256 is %s, which does not start with %s", got, want)
	}
	return nil
}

// newBytesBar is progressbar.DefaultBytes writing to w.
func newBytesBar(total int64, description string, w io.Writer) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(10),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionFullWidth(),
		progressbar.OptionSetRenderBlankState(true),
	)
}
