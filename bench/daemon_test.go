package bench

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// goguacdBinary builds cmd/goguacd once per test binary run.
func goguacdBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "goguacd-bench")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "goguacd")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/goguacd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// daemon is a goguacd process under measurement.
type daemon struct {
	cmd  *exec.Cmd
	addr string
}

var readyRE = regexp.MustCompile(`msg="guacd listener ready" addr=(\S+)`)

func startDaemon(tb testing.TB) *daemon {
	tb.Helper()
	cfg := filepath.Join(tb.TempDir(), "goguacd.yaml")
	// BENCH_ADMIN=127.0.0.1:PORT exposes goguacd's admin listener (metrics,
	// /debug/pprof/) to profile a benchmark run.
	admin := os.Getenv("BENCH_ADMIN")
	os.WriteFile(cfg, []byte(fmt.Sprintf("admin:\n  listen: %q\nweb:\n  listen: \"\"\nlog_level: warning\n", admin)), 0o600)
	cmd := exec.Command(goguacdBinary(tb), "-b", "127.0.0.1", "-l", "0", "-guacd-conf", "/dev/null", "-config", cfg, "-L", logLevel())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if os.Getenv("BENCH_DAEMON_LOG") != "" {
				fmt.Fprintln(os.Stderr, "goguacd:", sc.Text())
			}
			if m := readyRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return &daemon{cmd: cmd, addr: a}
	case <-time.After(20 * time.Second):
		tb.Fatal("goguacd did not start")
	}
	return nil
}

// cpu returns the process's user+system CPU time so far.
func (d *daemon) cpu(tb testing.TB) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the parenthesised command name; utime and stime are 14 and 15.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz
}

// pss returns the process's proportional set size in bytes.
func (d *daemon) pss(tb testing.TB) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", d.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "Pss:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// logLevel is goguacd's log level in benchmarks: BENCH_DAEMON_LOG=debug
// shows its log on stderr.
func logLevel() string {
	if l := os.Getenv("BENCH_DAEMON_LOG"); l != "" {
		return l
	}
	return "info"
}
