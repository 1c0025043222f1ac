package ssh

import (
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/display"
	"github.com/goguacd/goguacd/backends/ssh/render"
	"github.com/goguacd/goguacd/protocol"
)

// cellCenter is the pixel in the middle of a cell, with the default font.
func cellCenter(t *testing.T, col, row int) (int, int) {
	t.Helper()
	r, err := render.New(display.New(1, 1, display.Options{}), render.Options{DPI: 96})
	if err != nil {
		t.Fatal(err)
	}
	cw, ch := r.CellSize()
	return r.Margin() + col*cw + cw/2, r.Margin() + row*ch + ch/2
}

// startEcho connects and runs `echo hello`, leaving "hello" on row 1.
func startEcho(t *testing.T, extra map[string]string) (*viewer, *testServer) {
	t.Helper()
	ts := startServer(t, serverAuth{password: "secret"})
	addr := startGoguacd(t)
	params := map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "u", "password": "secret"}
	for k, v := range extra {
		params[k] = v
	}
	v := connect(t, addr, params)
	if !ts.waitFor(10*time.Second, func() bool { return strings.Contains(ts.out.String(), "$ ") }) {
		t.Fatalf("no shell (errors %v)", v.errs)
	}
	v.typeText("echo hello\r")
	if !matches(t, v, ts, "") {
		t.Fatal("screen differs")
	}
	return v, ts
}

func clipboardTexts(v *viewer) []string {
	var out []string
	for _, st := range v.finished("clipboard") {
		out = append(out, string(st.data))
	}
	return out
}

func TestSelectionCopyAndPaste(t *testing.T) {
	v, ts := startEcho(t, nil)
	// Drag over "hello" on row 1.
	x0, y := cellCenter(t, 0, 1)
	x1, _ := cellCenter(t, 4, 1)
	v.mouse(x0, y, 1)
	v.mouse(x1, y, 1)
	v.mouse(x1, y, 0)
	if !v.pump(30*time.Second, func() bool { return len(clipboardTexts(v)) > 0 }) {
		t.Fatal("no clipboard stream after a selection")
	}
	if got := clipboardTexts(v); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("clipboard %q", got)
	}
	// Releasing the right button pastes the selection.
	v.mouse(x1, y, 4)
	v.mouse(x1, y, 0)
	if !ts.waitFor(10*time.Second, func() bool { return strings.HasSuffix(ts.in.String(), "\rhello") }) {
		t.Fatalf("server input %q", ts.input())
	}
	// A double click selects the word.
	xm, _ := cellCenter(t, 2, 1)
	v.mouse(xm, y, 1)
	v.mouse(xm, y, 0)
	v.mouse(xm, y, 1)
	v.mouse(xm, y, 0)
	if !v.pump(30*time.Second, func() bool { return len(clipboardTexts(v)) > 1 }) {
		t.Fatal("no clipboard stream after a double click")
	}
	for _, c := range clipboardTexts(v) {
		if c != "hello" {
			t.Fatalf("clipboard %q", c)
		}
	}
	// The browser's clipboard becomes the paste buffer: Ctrl+Shift+V.
	msg := protocol.AppendClipboard(nil, 2, "text/plain")
	msg = protocol.AppendBlob(msg, 2, []byte("pasted\nline"))
	msg = protocol.AppendEnd(msg, 2)
	v.send(msg)
	v.pump(time.Second, func() bool { return v.acks["2"] != "" })
	v.key(0xFFE3, true)
	v.key(0xFFE1, true)
	v.key('V', true)
	v.key('V', false)
	v.key(0xFFE1, false)
	v.key(0xFFE3, false)
	if !ts.waitFor(10*time.Second, func() bool { return strings.HasSuffix(ts.in.String(), "pasted\rline") }) {
		t.Fatalf("server input %q", ts.input())
	}
}

func TestDisableCopyAndPaste(t *testing.T) {
	v, ts := startEcho(t, map[string]string{"disable-copy": "true", "disable-paste": "true"})
	x0, y := cellCenter(t, 0, 1)
	x1, _ := cellCenter(t, 4, 1)
	v.mouse(x0, y, 1)
	v.mouse(x1, y, 1)
	v.mouse(x1, y, 0)
	v.mouse(x1, y, 4)
	v.mouse(x1, y, 0)
	msg := protocol.AppendClipboard(nil, 2, "text/plain")
	v.send(msg)
	v.pump(2*time.Second, func() bool { return v.acks["2"] != "" })
	if got := clipboardTexts(v); len(got) != 0 {
		t.Fatalf("clipboard sent with disable-copy: %q", got)
	}
	if v.acks["2"] != "Clipboard unsupported. 256" {
		t.Fatalf("clipboard ack %q", v.acks["2"])
	}
	v.typeText("x")
	ts.waitFor(5*time.Second, func() bool { return strings.HasSuffix(ts.in.String(), "x") })
	if in := ts.input(); strings.Contains(in, "hello") && !strings.HasPrefix(in, "echo hello\r") || strings.Count(in, "hello") != 1 {
		t.Fatalf("pasted with disable-paste: %q", in)
	}
}

func TestPipeStdinAndArgv(t *testing.T) {
	v, ts := startEcho(t, nil)
	msg := protocol.AppendPipe(nil, 4, "text/plain", "STDIN")
	msg = protocol.AppendBlob(msg, 4, []byte("echo piped\r"))
	msg = protocol.AppendEnd(msg, 4)
	msg = protocol.AppendPipe(msg, 6, "text/plain", "OTHER")
	v.send(msg)
	if !ts.waitFor(10*time.Second, func() bool { return strings.Contains(ts.out.String(), "piped\r\n") }) {
		t.Fatalf("server output %q", ts.output())
	}
	v.pump(2*time.Second, func() bool { return v.acks["6"] != "" })
	if v.acks["6"] != "No such input stream. 516" {
		t.Fatalf("ack for an unknown pipe: %q", v.acks["6"])
	}
	// Live font-size change: acknowledged, echoed to users as argv, and
	// the grid refits the display (fewer, bigger cells).
	msg = protocol.AppendArgv(nil, 8, "text/plain", "font-size")
	msg = protocol.AppendBlob(msg, 8, []byte("20"))
	msg = protocol.AppendEnd(msg, 8)
	msg = protocol.AppendArgv(msg, 10, "text/plain", "hostname")
	v.send(msg)
	if !v.pump(30*time.Second, func() bool {
		for _, st := range v.finished("argv") {
			if st.name == "font-size" && string(st.data) == "20" {
				return true
			}
		}
		return false
	}) {
		t.Fatal("font-size argv not echoed")
	}
	v.pump(2*time.Second, func() bool { return v.acks["10"] != "" })
	if v.acks["8"] != "Ready for updated parameter. 0" || v.acks["10"] != "Not allowed. 771" {
		t.Fatalf("argv acks %q %q", v.acks["8"], v.acks["10"])
	}
	cols, _ := gridFor(t, viewW, viewH)
	if !ts.waitFor(10*time.Second, func() bool { return ts.windows[len(ts.windows)-1].Width < cols }) {
		t.Fatalf("no window change after the font grew: %v", ts.windows)
	}
}
