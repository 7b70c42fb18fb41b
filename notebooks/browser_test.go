package notebooks

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/estil-nst/estil/images"
)

// exportHTML converts executed notebooks to HTML pages with nbconvert and returns their paths.
func exportHTML(t *testing.T, jupyter string, notebooks []string, dir string) []string {
	t.Helper()
	var pages []string
	for _, nb := range notebooks {
		from := filepath.Dir(nb) // en, ca, teacher/en, ... name the page; it goes to dir
		name := filepath.Base(from) + "_" + strings.TrimSuffix(filepath.Base(nb), ".ipynb")
		if filepath.Base(filepath.Dir(from)) == "teacher" {
			name = "teacher_" + name
		}
		cmd := exec.Command(jupyter, "nbconvert", "--to", "html", "--config", detailsConfig(t), "--output-dir", dir, "--output", name, nb)
		if log, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("jupyter nbconvert --to html %s: %v\n%s", nb, err, tail(string(log), 2000))
		}
		pages = append(pages, filepath.Join(dir, name+".html"))
	}
	return pages
}

// detailsConfig writes, once per test, an nbconvert configuration whose markdown filter also
// renders the markdown inside HTML blocks, as Jupyter's own renderer (marked) does: nbconvert
// 6.5's mistune leaves a folded block's text raw (*Expected* with its asterisks) otherwise.
func detailsConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nbconvert_details.py")
	const config = `from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

def markdown_in_details(source):
    return MarkdownWithMath(renderer=IPythonRenderer(escape=False), parse_block_html=True).render(source)

c.HTMLExporter.filters = {"markdown2html": markdown_in_details}
`
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// handout writes the handout of `estil explain` for the built-in pictures, tiny and with
// random weights, and returns its path.
func handout(out string) (string, error) {
	dir := filepath.Join(out, "handout")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "estil")
	if log, err := exec.Command("go", "build", "-o", bin, "../cmd/estil").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/estil: %v\n%s", err, log)
	}
	content, style := filepath.Join(dir, "content.png"), filepath.Join(dir, "style.png")
	if err := images.SavePNG(content, images.Lighthouse(48, 36)); err != nil {
		return "", err
	}
	if err := images.SavePNG(style, images.Swirls(48, 48)); err != nil {
		return "", err
	}
	page := filepath.Join(dir, "handout.html")
	cmd := exec.Command(bin, "explain", "--content", content, "--style", style, "--out", page,
		"--size", "32", "--iters", "2", "--race-evals", "3", "--weights", "random")
	cmd.Env = append(os.Environ(), "GOMLX_NO_AUTO_INSTALL=1")
	if log, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("estil explain: %v\n%s", err, tail(string(log), 2000))
	}
	return page, nil
}

// rendered is what the page reports about its pictures once loaded.
type rendered struct {
	Images, SVGs int
	Broken       []string
}

// renderCheck waits for every <img> to finish loading, then lists those without pixels
// (naturalWidth 0: a missing or corrupt picture) and the <svg> elements with an empty box.
const renderCheck = `(async () => {
	const imgs = [...document.images];
	await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
	const broken = [];
	imgs.forEach((i, k) => { if (!(i.naturalWidth > 0 && i.naturalHeight > 0)) broken.push("img #" + k + " " + (i.alt || i.src.slice(0, 60))); });
	const svgs = [...document.querySelectorAll("svg")];
	svgs.forEach((s, k) => { const b = s.getBBox(); if (!(b.width > 0 && b.height > 0)) broken.push("svg #" + k); });
	return {Images: imgs.length, SVGs: svgs.length, Broken: broken};
})()`

// checkInBrowser opens each page in headless Chromium, fails if a picture did not render or a
// page has none, and saves a full-page screenshot of each in dir.
func checkInBrowser(t *testing.T, pages []string, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	browser := startChromium(t)
	for _, page := range pages {
		name := strings.TrimSuffix(filepath.Base(page), ".html")
		t.Run(name, func(t *testing.T) {
			got, shot, err := open(browser, page)
			if err != nil {
				t.Fatal(err)
			}
			shotPath := filepath.Join(dir, name+".png")
			if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d images, %d svg; screenshot %s", got.Images, got.SVGs, shotPath)
			if got.Images+got.SVGs == 0 {
				t.Errorf("%s shows no figure", page)
			}
			for _, b := range got.Broken {
				t.Errorf("%s: %s did not render", page, b)
			}
		})
	}
}

// startChromium starts headless Chromium for the test (stopped when it ends).
func startChromium(t *testing.T) context.Context {
	t.Helper()
	chromium := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	need(t, chromium != "", "Chromium (apt-get install chromium)")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1200, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return browser
}

// open loads page in a new tab of browser and returns the render report and a screenshot.
func open(browser context.Context, page string) (rendered, []byte, error) {
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	ctx, cancelT := context.WithTimeout(tab, 2*time.Minute)
	defer cancelT()
	abs, err := filepath.Abs(page)
	if err != nil {
		return rendered{}, nil, err
	}
	u := url.URL{Scheme: "file", Path: abs}
	if err := chromedp.Do(ctx, chromedp.Navigate(u.String())); err != nil {
		return rendered{}, nil, fmt.Errorf("opening %s: %w", page, err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[rendered](renderCheck, chromedp.EvalAwaitPromise))
	if err != nil {
		return rendered{}, nil, fmt.Errorf("checking %s: %w", page, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return rendered{}, nil, fmt.Errorf("screenshot of %s: %w", page, err)
	}
	return got, shot, nil
}

// markCell is a script that gives the id estil-shot to the first cell of an exported notebook
// whose text holds %q (opening its <details> when %v), scrolls to it and says whether it found one.
const markCell = `(() => {
	const cell = [...document.querySelectorAll(".jp-Cell")].find(c => c.textContent.includes(%q));
	if (!cell) return false;
	cell.id = "estil-shot";
	if (%v) cell.querySelectorAll("details").forEach(d => d.open = true);
	cell.scrollIntoView();
	return true;
})()`

// shootCell saves a screenshot of the first cell of page whose text holds text, with its folded
// blocks opened if open, as file.
func shootCell(browser context.Context, page, text string, open bool, file string) error {
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	ctx, cancelT := context.WithTimeout(tab, time.Minute)
	defer cancelT()
	abs, err := filepath.Abs(page)
	if err != nil {
		return err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate((&url.URL{Scheme: "file", Path: abs}).String())); err != nil {
		return fmt.Errorf("opening %s: %w", page, err)
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(markCell, text, open)))
	if err != nil || !found {
		return fmt.Errorf("%s: no cell holds %q (%v)", page, text, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("estil-shot")))
	if err != nil {
		return fmt.Errorf("screenshot of a cell of %s: %w", page, err)
	}
	return os.WriteFile(file, shot, 0o644)
}
