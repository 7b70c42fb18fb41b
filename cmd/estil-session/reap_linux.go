package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// becomeSubreaper makes the processes below this one that lose their parent its children
// instead of init's, so that endDescendants can find them.
func becomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("cannot become a child subreaper: %w", err)
	}
	return nil
}

// endDescendants ends every process below this one (the server's kernels and what they run,
// handed to this subreaper when the server exited): SIGTERM to all, then, after the grace
// period, SIGKILL to those left; it reaps them all. server is the server's (already reaped) pid.
func endDescendants(server int) {
	signalAll := func(sig syscall.Signal) int {
		pids := descendants(os.Getpid())
		for _, pid := range pids {
			_ = syscall.Kill(pid, sig)
		}
		return len(pids)
	}
	if signalAll(syscall.SIGTERM) == 0 {
		return
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		reap()
		if len(descendants(os.Getpid())) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	signalAll(syscall.SIGKILL)
	for end := time.Now().Add(grace); time.Now().Before(end) && len(descendants(os.Getpid())) > 0; time.Sleep(20 * time.Millisecond) {
		reap()
	}
	reap()
}

// reap collects every child that has exited, without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// descendants lists the live processes below pid, from /proc (zombies excluded: they only wait
// to be reaped).
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 || fields[0] == "Z" {
			continue
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}
