// Command estil-session runs one student's Jupyter server in a classroom.
//
//	estil-session jupyterhub-singleuser [ARGS...]
//
// JupyterHub starts it as the student (a local spawner's cmd, or a container's ENTRYPOINT). It
//
//  1. copies the course notebooks ($ESTIL_ROOT/notebooks/$ESTIL_LANG, ESTIL_LANG=en or ca) into
//     ~/estil/ on the first start, and on later starts only the notebooks the student does not
//     have yet: a student's edits are never overwritten (delete a notebook to get it back fresh);
//  2. runs its arguments as a child, passing on SIGTERM, SIGINT and SIGHUP;
//  3. when that child ends (the hub stopped the server, or it crashed), ends every process the
//     server left behind. Jupyter's kernels run in sessions of their own and outlive a server
//     that is stopped: with a local spawner a stopped student's GoNB kernel, and a style transfer
//     it was running, kept a core busy with nobody to see it. estil-session makes itself the
//     "child subreaper" of everything below it (Linux's PR_SET_CHILD_SUBREAPER), so that orphans
//     are handed to it rather than to init, and it signals them all: SIGTERM, then SIGKILL after
//     a grace period.
//
// As a container's PID 1 it also reaps zombies, as tini would. It exits with its child's code.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// grace is how long the processes left behind get between SIGTERM and SIGKILL.
const grace = 3 * time.Second

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: estil-session COMMAND [ARGS...]   (e.g. estil-session jupyterhub-singleuser)")
		os.Exit(2)
	}
	if err := copyNotebooks(); err != nil {
		// The server is still useful without the copies (the notebooks can be opened from
		// $ESTIL_ROOT): say why and go on.
		fmt.Fprintf(os.Stderr, "estil-session: the course notebooks were not copied: %v\n", err)
	}
	if err := becomeSubreaper(); err != nil {
		fmt.Fprintf(os.Stderr, "estil-session: %v; processes a stopped server leaves behind will not be ended\n", err)
	}
	os.Exit(runAndCleanUp(os.Args[1], os.Args[2:]))
}

// runAndCleanUp runs the command, passing signals on, then ends what it left behind, and returns
// the command's exit code (128+signal if a signal ended it).
func runAndCleanUp(name string, args []string) int {
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "estil-session: %v\n", err)
		return 127
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-signals:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	endDescendants(cmd.Process.Pid)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintf(os.Stderr, "estil-session: %v\n", err)
		return 1
	}
}

// copyNotebooks copies the course notebooks the student does not have yet into ~/estil/.
func copyNotebooks() error {
	root := os.Getenv("ESTIL_ROOT")
	if root == "" {
		return errors.New("ESTIL_ROOT is not set (docker/install.sh --system sets it in the kernel and the hub configuration)")
	}
	lang := os.Getenv("ESTIL_LANG")
	if lang == "" {
		lang = "en"
	}
	if lang != "en" && lang != "ca" {
		return fmt.Errorf("ESTIL_LANG is %q; want en or ca", lang)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return err
	}
	src, dst := filepath.Join(root, "notebooks", lang), filepath.Join(home, "estil")
	notebooks, err := filepath.Glob(filepath.Join(src, "*.ipynb"))
	if err != nil || len(notebooks) == 0 {
		return fmt.Errorf("no notebooks in %s", src)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, nb := range notebooks {
		if err := copyIfMissing(nb, filepath.Join(dst, filepath.Base(nb))); err != nil {
			return err
		}
	}
	return nil
}

// copyIfMissing copies src to dst unless dst exists: a notebook the student has is theirs.
func copyIfMissing(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return out.Close()
}
