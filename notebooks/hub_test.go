package notebooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/estil-nst/estil/internal/testutil"
)

// TestClassroomHub is a class of three on one server, as docker/classroom/jupyterhub_config.py
// sets it up (README, "In a classroom"), with only paths and ports changed:
//
//   - the system install of docker/install.sh --system, in a temporary prefix
//     ($ESTIL_CLASSROOM_PREFIX, which .ci/run makes, else one made here);
//   - Debian's JupyterHub on 127.0.0.1, PAM, the default LocalProcessSpawner through
//     estil-session, inside a network namespace of its own with nothing but loopback: offline;
//   - three real non-root students and a teacher, created for the test and removed after it; each
//     student logs in over the REST API with a password, and their servers run at once;
//   - notebook 01 (tiny) executed in all three at the same time, through the sessions API and the
//     kernel websocket: no error, at least one figure each;
//   - from a student's kernel: reading another's home, writing the module, the weights, the module
//     cache, the shared build cache, the kernel spec, and stopping another's kernel, all refused;
//   - the servers stopped through the hub: no process of the students is left, not even a
//     transfer one of them started in the background.
//
// It logs what each student cost (CPU seconds of the kernel's start, the first cell, a later cell,
// the notebook; memory idle and at peak): the README's sizing table quotes them.
func TestClassroomHub(t *testing.T) {
	testutil.SkipIfShort(t, "starts a classroom hub")
	if os.Getenv(hubInsideEnv) == "" {
		runInNetworkNamespace(t)
		return
	}
	h := newClassroomHub(t)
	h.start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	// Log in and start the three servers at once.
	var wg sync.WaitGroup
	errs := make([]error, len(h.students))
	for i, s := range h.students {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if s.client, errs[i] = hubLogin(ctx, h.base, s.name, s.password); errs[i] == nil {
				errs[i] = s.client.startServer(ctx)
			}
			s.ready = time.Since(start)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	h.allRunning(ctx, t, "after logging in")
	var hubRSS int64
	for _, p := range processes() {
		if strings.Contains(p.cmdline, "jupyterhub -f") || strings.Contains(p.cmdline, "configurable-http-proxy") {
			hubRSS += p.rss
		}
	}
	t.Logf("the hub and its proxy: %.0f MB", mb(hubRSS))
	for _, s := range h.students {
		if _, err := os.Stat(filepath.Join(s.home, "estil", "01_vgg19.ipynb")); err != nil {
			t.Errorf("%s: estil-session did not copy the course notebooks into the home: %v", s.name, err)
		}
		cpu, rss := usage(s.uid)
		t.Logf("%s: server ready in %.1f s; idle server %.0f MB, %.1f CPU-s so far", s.name, s.ready.Seconds(), mb(rss), cpu)
	}

	// Notebook 01 in the three servers at once.
	cells := codeCells(t, filepath.Join("en", "01_vgg19.ipynb"))
	for i, s := range h.students {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.runNotebook(ctx, t, cells)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	h.allRunning(ctx, t, "after the notebooks ran")
	if t.Failed() {
		return
	}
	for _, s := range h.students {
		_, rss := usage(s.uid)
		t.Logf("%s: kernel start %.1f CPU-s; first cells (setup and imports, compiled) %.1f CPU-s; a later cell %.1f CPU-s; "+
			"the notebook %.1f CPU-s in %.0f s; memory peak %.0f MB, idle with the kernel %.0f MB",
			s.name, s.kernelStartCPU, s.firstCellsCPU, s.laterCellCPU, s.notebookCPU, s.notebookTime.Seconds(), mb(s.peakRSS), mb(rss))
	}

	h.checkIsolation(ctx, t)
	h.checkStoppingEndsEverything(ctx, t)
}

// hubInsideEnv is set in the test's own run inside the network namespace.
const hubInsideEnv = "ESTIL_HUB_TEST_INSIDE"

// runInNetworkNamespace runs this test again in a network namespace with only loopback, so that
// the hub, the servers, the kernels and the cells have no network at all.
func runInNetworkNamespace(t *testing.T) {
	need(t, os.Geteuid() == 0, "root (the test creates users and runs JupyterHub as root, as a school server does)")
	for _, tool := range []string{"jupyterhub", "configurable-http-proxy", "jupyterhub-singleuser", "unshare", "ip", "useradd", "userdel", "chpasswd"} {
		_, err := exec.LookPath(tool)
		need(t, err == nil, tool+" (apt-get install jupyterhub util-linux iproute2 passwd)")
	}
	cmd := exec.Command("unshare", "--net", "--", "sh", "-c", `ip link set lo up && exec "$0" "$@"`,
		os.Args[0], "-test.run", "^TestClassroomHub$", "-test.v", "-test.timeout", "30m")
	cmd.Env = append(os.Environ(), hubInsideEnv+"=1")
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "hub_test.go") || strings.Contains(line, "FAIL") || strings.Contains(line, "--- ") {
			t.Log(strings.TrimSpace(line))
		}
	}
	if err != nil || !strings.Contains(log.String(), "--- PASS: TestClassroomHub") {
		t.Fatalf("the test inside a network namespace failed (%v):\n%s", err, tail(log.String(), 12000))
	}
}

// classroomHub is the hub of the test and its people.
type classroomHub struct {
	prefix, dir, base string
	students          []*student
	teacher           *student
}

type student struct {
	name, password, home string
	uid                  int
	client               *hubClient
	ready                time.Duration
	kernel               *kernelSession
	// what their notebook cost
	kernelStartCPU, firstCellsCPU, laterCellCPU, notebookCPU float64
	notebookTime                                             time.Duration
	peakRSS                                                  int64
}

func newClassroomHub(t *testing.T) *classroomHub {
	if _, err := net.DialTimeout("tcp", "1.1.1.1:443", 2*time.Second); err == nil {
		t.Fatal("the test's network namespace reaches the internet")
	}
	dir := t.TempDir()
	// The students must get to their homes and to the install below it.
	for d := dir; d != "/tmp" && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h := &classroomHub{dir: dir, prefix: os.Getenv("ESTIL_CLASSROOM_PREFIX")}
	if h.prefix == "" {
		h.prefix = filepath.Join(dir, "prefix")
		t.Logf("no $ESTIL_CLASSROOM_PREFIX: docker/install.sh --system --offline --prefix %s (minutes)", h.prefix)
		out, err := exec.Command("bash", "../docker/install.sh", "--system", "--offline", "--prefix", h.prefix).CombinedOutput()
		if err != nil {
			t.Fatalf("install.sh --system: %v\n%s", err, tail(string(out), 4000))
		}
	}
	if _, err := os.Stat(filepath.Join(h.prefix, "bin", "estil-session")); err != nil {
		t.Fatalf("no system install at %s: %v", h.prefix, err)
	}
	// Students can read the install's copy of estil: it must hold no answers or solutions.
	for _, leak := range []string{"notebooks/teacher", "notebooks/internal/nbgen"} {
		if _, err := os.Stat(filepath.Join(h.prefix, "src", leak)); err == nil {
			t.Errorf("the system install holds %s, which students can read", leak)
		}
	}
	roster := "# the test's class\nadmin: estilhubt\n"
	for i := 1; i <= 3; i++ {
		roster += fmt.Sprintf("estilhub%d\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "roster.txt"), []byte(roster), 0o644); err != nil {
		t.Fatal(err)
	}
	h.teacher = h.addUser(t, "estilhubt")
	for i := 1; i <= 3; i++ {
		h.students = append(h.students, h.addUser(t, fmt.Sprintf("estilhub%d", i)))
	}
	return h
}

// addUser creates a system user with a home under the test's folder (mode 0700, as install.sh
// --classroom makes them) and a random password; it is removed when the test ends.
func (h *classroomHub) addUser(t *testing.T, name string) *student {
	_ = exec.Command("userdel", "-r", name).Run() // left by a killed run
	home := filepath.Join(h.dir, "home", name)
	if err := os.MkdirAll(filepath.Dir(home), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("useradd", "--create-home", "--home-dir", home, "--shell", "/bin/bash", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		killAll(userID(name))
		if out, err := exec.Command("userdel", "-r", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v: %s", name, err, out)
		}
	})
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &student{name: name, password: randomID()[:16], home: home, uid: userID(name)}
	chpasswd := exec.Command("chpasswd")
	chpasswd.Stdin = strings.NewReader(name + ":" + s.password + "\n")
	if out, err := chpasswd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v: %s", err, out)
	}
	return s
}

func userID(name string) int {
	u, err := user.Lookup(name)
	if err != nil {
		return -1
	}
	id, _ := strconv.Atoi(u.Uid)
	return id
}

// start runs the hub with the repository's configuration, only paths and ports set.
func (h *classroomHub) start(t *testing.T) {
	ports := freePorts(t, 3)
	state := filepath.Join(h.dir, "state")
	cmd := exec.Command("jupyterhub", "-f", "../docker/classroom/jupyterhub_config.py")
	cmd.Dir = h.dir
	cmd.Env = append(withoutEnv(os.Environ(), "GOEXPERIMENT"),
		"ESTIL_PREFIX="+h.prefix, "ESTIL_HUB_ROSTER="+filepath.Join(h.dir, "roster.txt"), "ESTIL_HUB_STATE="+state,
		"ESTIL_HUB_IP=127.0.0.1", "ESTIL_HUB_PORT="+ports[0], "ESTIL_HUB_API_PORT="+ports[1], "ESTIL_HUB_INTERNAL_PORT="+ports[2],
		"ESTIL_NOTEBOOK_TINY=1")
	cmd.Dir, _ = os.Getwd()
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting jupyterhub: %v", err)
	}
	t.Cleanup(func() {
		stopGroup(cmd, 15*time.Second)
		if t.Failed() {
			t.Logf("JupyterHub's log:\n%s", tail(log.String(), 8000))
		}
	})
	h.base = "http://127.0.0.1:" + ports[0]
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(h.base + "/hub/api")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("JupyterHub did not answer on %s: %v\n%s", h.base, err, tail(log.String(), 6000))
		}
	}
}

func freePorts(t *testing.T, n int) []string {
	var ports []string
	var listeners []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, l)
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	for _, l := range listeners {
		l.Close()
	}
	return ports
}

// allRunning checks that the hub has the three servers running and ready at once.
func (h *classroomHub) allRunning(ctx context.Context, t *testing.T, when string) {
	for _, s := range h.students {
		if ready, err := s.client.serverReady(ctx); err != nil || !ready {
			t.Errorf("%s: %s's server is not running (%v)", when, s.name, err)
		}
	}
}

// codeCells reads a notebook's code cells.
func codeCells(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Type   string `json:"cell_type"`
			Source any    `json:"source"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatal(err)
	}
	var cells []string
	for _, c := range nb.Cells {
		if c.Type == "code" {
			cells = append(cells, text(c.Source))
		}
	}
	return cells
}

// runNotebook executes the cells in the student's copy of notebook 01 and checks the outputs as
// those of an executed notebook are checked (no error, a figure at least), measuring what the
// student's processes cost meanwhile.
func (s *student) runNotebook(ctx context.Context, t *testing.T, cells []string) error {
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() { // the student's peak memory
		defer sampler.Done()
		for {
			if _, rss := usage(s.uid); rss > s.peakRSS {
				s.peakRSS = rss
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); sampler.Wait() }()

	start := time.Now()
	cpu0, _ := usage(s.uid)
	kernel, err := s.client.openNotebook(ctx, "estil/01_vgg19.ipynb")
	if err != nil {
		return err
	}
	s.kernel = kernel
	// The kernel's start is done when it answers: an empty cell.
	if _, err := kernel.execute(ctx, ""); err != nil {
		return err
	}
	cpu1, _ := usage(s.uid)
	s.kernelStartCPU = cpu1 - cpu0
	var outs []output
	for i, code := range cells {
		before, _ := usage(s.uid)
		o, err := kernel.execute(ctx, code)
		if err != nil {
			return fmt.Errorf("%s, cell %d: %w", s.name, i+1, err)
		}
		after, _ := usage(s.uid)
		switch {
		case i <= 1:
			s.firstCellsCPU += after - before
		case i == len(cells)-1:
			s.laterCellCPU = after - before
		}
		for _, x := range o {
			if x.Type == "error" {
				return fmt.Errorf("%s, cell %d failed: %s: %s\n%s", s.name, i+1, x.EName, x.EValue, tail(cellHTMLErrors(o), 3000))
			}
			if x.Type == "stream" && strings.Contains(text(x.Text), "panic:") {
				return fmt.Errorf("%s, cell %d panicked: %s", s.name, i+1, tail(text(x.Text), 2000))
			}
		}
		outs = append(outs, o...)
	}
	cpu2, _ := usage(s.uid)
	s.notebookCPU, s.notebookTime = cpu2-cpu0, time.Since(start)
	figures := 0
	for _, o := range outs {
		if isFigure(o) {
			figures++
		}
	}
	if figures == 0 {
		return fmt.Errorf("%s: notebook 01 showed no figure; outputs: %s", s.name, tail(summarize(outs), 2000))
	}
	return nil
}

// checkIsolation tries, from the first student's kernel, what a student must not be able to do to
// another student or to the install, and checks that every attempt is refused.
func (h *classroomHub) checkIsolation(ctx context.Context, t *testing.T) {
	me, other := h.students[0], h.students[1]
	secret := filepath.Join(other.home, "secret.txt")
	if err := os.WriteFile(secret, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chown(secret, other.uid, other.uid)
	otherKernel := kernelPID(other.uid)
	if otherKernel == 0 {
		t.Fatalf("no GoNB kernel of %s found", other.name)
	}
	p := h.prefix
	attempts := map[string]string{
		"read another student's file":      "cat " + secret,
		"list another student's home":      "ls " + other.home,
		"write into another's build cache": "touch " + filepath.Join(other.home, ".cache", "estil", "go-build", "x"),
		"add a file to the module":         "touch " + filepath.Join(p, "src", "x.go"),
		"change the module's code":         "echo '// x' >> " + filepath.Join(p, "src", "nst", "gram.go"),
		"write the weights":                "touch " + filepath.Join(p, "weights", "vgg19.safetensors"),
		"add to the module cache":          "touch " + filepath.Join(p, "go", "pkg", "mod", "x"),
		"change a cached module":           "echo x >> " + filepath.Join(p, "go", "pkg", "mod", "cache", "download", "github.com", "gomlx", "gomlx", "@v", "v0.28.2.mod"),
		"add to the shared build cache":    "touch " + filepath.Join(p, "gocache", "x"),
		"change a shared build artefact":   "echo x >> \"$(find " + filepath.Join(p, "gocache") + " -type f -name '*-d' | head -1)\"",
		"change the kernel spec":           "echo x >> " + filepath.Join(p, "share", "jupyter", "kernels", "gonb", "kernel.json"),
		"replace gonb":                     "cp /bin/true " + filepath.Join(p, "bin", "gonb"),
		"stop another student's kernel":    fmt.Sprintf("kill -TERM %d", otherKernel),
	}
	var cell strings.Builder
	for what, cmd := range attempts {
		fmt.Fprintf(&cell, "!(%s) >/dev/null 2>&1 && echo \"ALLOWED: %s\" || echo \"REFUSED: %s\"\n", cmd, what, what)
	}
	outs, err := me.kernel.execute(ctx, cell.String())
	if err != nil {
		t.Fatal(err)
	}
	var said strings.Builder
	for _, o := range outs {
		said.WriteString(text(o.Text))
	}
	for what := range attempts {
		if !strings.Contains(said.String(), "REFUSED: "+what) {
			t.Errorf("from %s's kernel, %q was not refused; the cell said:\n%s", me.name, what, said.String())
		}
	}
	// Over HTTP, with the first student's own token: the other's kernels.
	path := "/user/" + other.name + "/api/kernels"
	if status, _, err := me.client.do(ctx, "GET", path, nil); err != nil || status < 300 {
		t.Errorf("%s listed %s's kernels: status %d (%v)", me.name, other.name, status, err)
	}
	if status, _, err := me.client.do(ctx, "DELETE", path+"/"+other.kernel.kernelID, nil); err != nil || status < 300 {
		t.Errorf("%s stopped %s's kernel: status %d (%v)", me.name, other.name, status, err)
	}
	if kernelPID(other.uid) != otherKernel {
		t.Errorf("%s's kernel (pid %d) is gone after %s's attempts", other.name, otherKernel, me.name)
	}
	t.Logf("from %s's kernel: %d attempts on other students and on the install, all refused", me.name, len(attempts))
}

// kernelPID is the pid of the user's GoNB kernel, 0 if none.
func kernelPID(uid int) int {
	for _, p := range processes() {
		if p.uid == uid && strings.Contains(p.cmdline, "/gonb --kernel") {
			return p.pid
		}
	}
	return 0
}

// checkStoppingEndsEverything starts a long transfer in the background from a student's kernel,
// stops every server through the hub, and checks that nothing of the students is left.
func (h *classroomHub) checkStoppingEndsEverything(ctx context.Context, t *testing.T) {
	s := h.students[2]
	cell := fmt.Sprintf("!nohup %s demo --weights random --backend go --size 64 --iters 100000 --out /tmp/estil-hub-test-%s.png >/dev/null 2>&1 &",
		filepath.Join(h.prefix, "bin", "estil"), s.name)
	if _, err := s.kernel.execute(ctx, cell); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !running(s.uid, "estil demo") {
		if time.Now().After(deadline) {
			t.Fatalf("%s's background transfer did not start", s.name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, s := range h.students {
		_ = s.kernel.conn.CloseNow() // the browser tab closes; the kernels stay, as in a class
		if err := s.client.stopServer(ctx); err != nil {
			t.Error(err)
		}
	}
	for _, s := range h.students {
		var left []procInfo
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			left = left[:0]
			for _, p := range processes() {
				if p.uid == s.uid {
					left = append(left, p)
				}
			}
			if len(left) == 0 {
				break
			}
		}
		for _, p := range left {
			t.Errorf("%s's server was stopped, but its process %d is left: %s", s.name, p.pid, p.cmdline)
		}
		killAll(s.uid)
	}
}

// running reports whether a process of uid has a command line containing what.
func running(uid int, what string) bool {
	for _, p := range processes() {
		if p.uid == uid && strings.Contains(p.cmdline, what) {
			return true
		}
	}
	return false
}

// killAll kills every process of uid (the test's clean-up).
func killAll(uid int) {
	if uid <= 0 {
		return
	}
	for _, p := range processes() {
		if p.uid == uid {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
