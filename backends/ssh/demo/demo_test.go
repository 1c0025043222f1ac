package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDemoTerminal(t *testing.T) {
	s, err := Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := s.Params()
	key, _, _, _, err := gossh.ParseAuthorizedKey([]byte(p["host-key"]))
	if err != nil {
		t.Fatal(err)
	}
	c, err := gossh.Dial("tcp", s.Addr(), &gossh.ClientConfig{
		User: p["username"], Auth: []gossh.AuthMethod{gossh.Password(p["password"])},
		HostKeyCallback: gossh.FixedHostKey(key), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sess.Stdout = &out
	in, _ := sess.StdinPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("echo hello\rnope\rcount 3\rexit\r"))
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("session: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end")
	}
	got := out.String()
	for _, want := range []string{"goguacd demo terminal", "hello\r\n", "nope: unknown command", "     3 the quick brown fox", "bye"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}

	// A wrong password is refused.
	if _, err := gossh.Dial("tcp", s.Addr(), &gossh.ClientConfig{
		User: "demo", Auth: []gossh.AuthMethod{gossh.Password("wrong")},
		HostKeyCallback: gossh.FixedHostKey(key), Timeout: 5 * time.Second,
	}); err == nil {
		t.Fatal("wrong password accepted")
	}
}
