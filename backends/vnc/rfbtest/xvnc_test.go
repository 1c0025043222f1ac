package rfbtest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// A lock file left by an X server that is gone (Xvnc killed without a
// chance to clean up) must not use up a display number; a live server's
// lock must.
func TestDisplayFreeStaleLock(t *testing.T) {
	d := 250
	for ; d < 300; d++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", d)); os.IsNotExist(err) {
			break
		}
	}
	lock := fmt.Sprintf("/tmp/.X%d-lock", d)
	t.Cleanup(func() { os.Remove(lock) })
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pid  int
		free bool
	}{{dead.Process.Pid, true}, {os.Getpid(), false}} {
		if err := os.WriteFile(lock, []byte(fmt.Sprintf("%10d\n", tc.pid)), 0o444); err != nil {
			t.Fatal(err)
		}
		if got := displayFree(d); got != tc.free {
			t.Fatalf("lock of pid %d: free %v, want %v", tc.pid, got, tc.free)
		}
		if _, err := os.Stat(lock); tc.free != os.IsNotExist(err) {
			t.Fatalf("lock of pid %d: removed %v, want %v", tc.pid, os.IsNotExist(err), tc.free)
		}
	}
}
