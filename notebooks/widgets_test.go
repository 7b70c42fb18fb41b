package notebooks

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/estil-nst/estil/internal/testutil"
	"github.com/estil-nst/estil/notebooks/nbkit"
)

// TestSlidersInBrowser is what a class does with notebook 06: it starts Jupyter's notebook
// server on 127.0.0.1 with the GoNB kernel, opens 06 (tiny) in headless Chromium, runs every
// cell, watches the live view while the transfer runs, then moves the β slider the way a mouse
// does (DOM input and change events) and checks that the result shown, and its numbers, change.
//
// The notebook file is not saved by the page (autosave is turned off) and is restored if it
// changed anyway.
func TestSlidersInBrowser(t *testing.T) {
	jupyter := needJupyter(t)
	browser := startChromium(t)
	nb := filepath.Join("en", "06_transfer.ipynb")
	original, err := os.ReadFile(nb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if now, err := os.ReadFile(nb); err != nil || !bytes.Equal(now, original) {
			_ = os.WriteFile(nb, original, 0o644)
			t.Errorf("the page saved %s; restored it", nb)
		}
		_ = os.RemoveAll(filepath.Join("en", ".ipynb_checkpoints"))
	})
	base := startNotebookServer(t, jupyter)

	tab, cancelTab := chromedp.NewContext(browser)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 10*time.Minute)
	defer cancel()
	// waitFor polls js until it returns true.
	waitFor := func(what, js string, limit time.Duration) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(-3000)`))
				t.Fatalf("waited %v for %s; the page ends with:\n%s", limit, what, text)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/notebooks/"+filepath.ToSlash(nb)+"?token="+serverToken)); err != nil {
		t.Fatal(err)
	}
	waitFor("the GoNB kernel", `typeof Jupyter !== "undefined" && !!Jupyter.notebook && !!Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()`, 2*time.Minute)
	evalJS[any](t, ctx, "turning autosave off", `Jupyter.notebook.set_autosave_interval(0); true`)
	evalJS[any](t, ctx, "running every cell", `Jupyter.notebook.execute_all_cells(); true`)

	// The sliders: wait for them, and for the default result.
	t.Log("kernel connected; running every cell")
	waitFor("the sliders", `document.querySelectorAll("input[type=range]").length >= 6`, 4*time.Minute)
	t.Log("sliders shown")
	waitFor("the default result", `document.body.innerText.includes("β = 1e6, w =")`, 5*time.Minute)
	before := evalJS[string](t, ctx, "the pictures shown", `[...document.images].map(i => i.src.length + ":" + i.src.slice(-40)).join("|")`)

	// Move β's slider from 6 to 2, as a mouse would: value, then input and change events.
	evalJS[any](t, ctx, "moving the β slider", `(() => {
		const s = document.querySelectorAll("input[type=range]")[0];
		s.value = 2;
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return s.value;
	})()`)

	// While the new transfer runs, the live view's status line names the iteration: it must show
	// at least two before the result for β = 1e2 replaces it.
	iterations := map[string]bool{}
	for deadline := time.Now().Add(5 * time.Minute); ; {
		state := evalJS[liveState](t, ctx, "reading the live view", `({
			Status: [...document.querySelectorAll(".output_area")].map(e => e.innerText.match(/^Iteration \d+/m)).filter(m => m).map(m => m[0]),
			Done: document.body.innerText.includes("β = 1e2, w =")})`)
		for _, s := range state.Status {
			iterations[s] = true
		}
		if state.Done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("waited 5 minutes for the result for β = 1e2")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the live view showed %v", keys(iterations))
	if len(iterations) < 2 {
		t.Errorf("the live view showed %d distinct iterations during the run, want at least 2", len(iterations))
	}
	after := evalJS[string](t, ctx, "the pictures shown", `[...document.images].map(i => i.src.length + ":" + i.src.slice(-40)).join("|")`)
	if after == before {
		t.Error("moving the β slider changed the caption but no picture")
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80)); err == nil {
		path := filepath.Join(outRoot(t), "screenshots", "06_sliders.jpg") // beside TestNotebooks's, which it must not empty
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		if os.WriteFile(path, shot, 0o644) == nil {
			t.Logf("screenshot %s", path)
		}
	}
	// Stop the cell's loop, so that the kernel is idle when the server stops.
	evalJS[any](t, ctx, "pressing Stop", `(() => { const b = [...document.querySelectorAll("button")].find(b => b.innerText.trim() === "Stop"); if (b) b.click(); return !!b; })()`)
}

// serverToken is the notebook server's login token in the tests.
const serverToken = "estil-test"

// startNotebookServer starts Jupyter's notebook server on a free port of 127.0.0.1, serving
// this folder, with the notebooks tiny, and returns its base URL; it is stopped with the test.
func startNotebookServer(t *testing.T, jupyter string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(jupyter, "notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1",
		fmt.Sprintf("--port=%d", port), "--port-retries=0", "--NotebookApp.token="+serverToken,
		"--NotebookApp.password=", "--notebook-dir="+dir)
	// As execute: GOEXPERIMENT comes from GoNB's kernel.json, and the notebooks run tiny.
	cmd.Env = append(withoutEnv(os.Environ(), "GOEXPERIMENT"), nbkit.TinyEnv+"=1", "GOMLX_NO_AUTO_INSTALL=1")
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	// The server starts the GoNB kernel, which starts the cells' programs: all in one process
	// group, stopped together; they share the server's output, so Wait gives up waiting for it
	// after a while.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting jupyter notebook: %v", err)
	}
	t.Cleanup(func() {
		stopGroup(cmd, 10*time.Second)
		if t.Failed() {
			t.Logf("jupyter notebook's log:\n%s", tail(log.String(), 4000))
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(time.Minute); ; {
		resp, err := http.Get(base + "/api/status?token=" + serverToken)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("jupyter notebook did not answer on %s: %v\n%s", base, err, tail(log.String(), 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// evalJS evaluates js in the page and returns its value, failing the test on an error.
func evalJS[T any](t *testing.T, ctx context.Context, what, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// liveState is what the page shows of the live view: the "Iteration N" lines, and whether the
// run's result is there.
type liveState struct {
	Status []string
	Done   bool
}

// syncBuffer is a bytes.Buffer safe to read while a process writes into it.
type syncBuffer = testutil.SyncBuffer
