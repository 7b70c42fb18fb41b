//go:build unix

package rss

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Peak is the process's peak resident set size in bytes: Go's heap and the backend's host
// buffers, not a GPU's memory. It only grows during a process.
//
// On Linux it reads VmHWM from /proc/self/status rather than getrusage's ru_maxrss: a process
// started by os/exec (vfork-style, sharing its parent's memory until exec) inherits its parent's
// peak in ru_maxrss — `go test` would lend the go command's. VmHWM belongs to this program alone.
func Peak() int64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes there, KiB on Linux
	}
	return int64(ru.Maxrss) * 1024
}
