package ssh

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/ssh/render"
	"github.com/goguacd/goguacd/backends/ssh/term"
	"github.com/goguacd/goguacd/protocol"
)

// stdinPipe is the pipe name whose data guacd types into the terminal.
const stdinPipe = "STDIN"

// argvLimit bounds a live parameter value.
const argvLimit = 4096

// streamKey identifies an inbound stream: indices are per user.
type streamKey struct {
	user   backends.User
	stream int
}

type streamKind uint8

const (
	kindClipboard streamKind = iota
	kindStdin
	kindArgv
)

// inStream is one inbound stream being received.
type inStream struct {
	kind streamKind
	name string // argv parameter name
	data []byte // clipboard or argv value so far
}

// openStream handles the instructions that open inbound streams:
// clipboard, pipe (STDIN only) and argv (the live parameters).
func (s *session) openStream(u backends.User, ins protocol.Instruction) error {
	if len(ins.Args) < 2 {
		return errArgs(ins)
	}
	stream := atoi(ins.Args[0])
	mimetype := string(ins.Args[1])
	in := &inStream{}
	var refuse string
	var status protocol.Status
	switch {
	case ins.Is("clipboard"):
		in.kind = kindClipboard
		if s.set.noPaste || !strings.HasPrefix(mimetype, "text/") {
			refuse, status = "Clipboard unsupported.", protocol.StatusUnsupported
		}
	case ins.Is("pipe"):
		in.kind = kindStdin
		if len(ins.Args) < 3 || string(ins.Args[2]) != stdinPipe {
			refuse, status = "No such input stream.", protocol.StatusResourceNotFound
		}
	default: // argv
		in.kind = kindArgv
		if len(ins.Args) >= 3 {
			in.name = string(ins.Args[2])
		}
		if _, ok := s.argvValue(in.name); !ok {
			refuse, status = "Not allowed.", protocol.StatusClientForbidden
		}
	}
	if refuse != "" {
		u.Write(protocol.AppendAck(nil, stream, refuse, status))
		return nil
	}
	key := streamKey{u, stream}
	s.mu.Lock()
	s.in[key] = in // replaces a stream reopened on the same index, as guacd
	s.mu.Unlock()
	msg := "OK"
	if in.kind == kindArgv {
		msg = "Ready for updated parameter."
	}
	u.Write(protocol.AppendAck(nil, stream, msg, protocol.StatusSuccess))
	return nil
}

// streamData handles blob and end for inbound streams, SFTP uploads
// included.
func (s *session) streamData(u backends.User, ins protocol.Instruction) error {
	if len(ins.Args) < 1 {
		return errArgs(ins)
	}
	stream := atoi(ins.Args[0])
	key := streamKey{u, stream}
	s.mu.Lock()
	in := s.in[key]
	if in != nil && ins.Is("end") {
		delete(s.in, key)
	}
	s.mu.Unlock()
	if in == nil {
		if handled, err := s.xfer.Data(u, ins); handled || err != nil {
			return err
		}
		if ins.Is("blob") {
			u.Write(protocol.AppendAck(nil, stream, "Invalid stream index.", protocol.StatusClientBadRequest))
		}
		return nil
	}
	if ins.Is("end") {
		s.finish(in)
		return nil
	}
	if len(ins.Args) < 2 {
		return errArgs(ins)
	}
	data, err := base64.StdEncoding.AppendDecode(nil, ins.Args[1])
	if err != nil {
		u.Write(protocol.AppendAck(nil, stream, "Invalid data.", protocol.StatusClientBadRequest))
		return nil
	}
	switch in.kind {
	case kindClipboard:
		in.data = appendLimited(in.data, data, clipboardLimit)
	case kindArgv:
		in.data = appendLimited(in.data, data, argvLimit)
	case kindStdin:
		s.stdin.write(data, true)
	}
	u.Write(protocol.AppendAck(nil, stream, "OK", protocol.StatusSuccess))
	return nil
}

func appendLimited(dst, p []byte, limit int) []byte {
	return append(dst, p[:min(len(p), max(limit-len(dst), 0))]...)
}

// finish completes an inbound stream at its end.
func (s *session) finish(in *inStream) {
	switch in.kind {
	case kindClipboard:
		s.termMu.Lock()
		s.paste = string(in.data)
		s.termMu.Unlock()
	case kindArgv:
		s.applyArgv(in.name, string(in.data))
	}
}

// argvValue returns the current value of a live-changeable parameter.
func (s *session) argvValue(name string) (string, bool) {
	s.engMu.Lock()
	defer s.engMu.Unlock()
	v, ok := s.argv[name]
	return v, ok
}

// applyArgv changes a live parameter (guacd's color-scheme, font-name and
// font-size argv) and echoes the new value to every user, as guacd does.
// A font change refits the grid to the display, as a resize would.
func (s *session) applyArgv(name, value string) {
	s.engMu.Lock()
	var winch bool
	var cols, rows int
	switch name {
	case "color-scheme":
		sch, err := term.ParseScheme(value)
		if err != nil {
			s.engMu.Unlock()
			s.log.Info("invalid color-scheme ignored", "value", value, "err", err)
			return
		}
		s.termMu.Lock()
		s.t.SetScheme(sch)
		s.termMu.Unlock()
	case "font-name", "font-size":
		fontName, fontSize := s.set.fontName, s.set.fontSize
		if name == "font-name" {
			fontName = value
		} else if v, err := strconv.ParseFloat(value, 64); err == nil && v > 0 && v <= 256 {
			fontSize = v
		} else {
			s.engMu.Unlock()
			s.log.Info("invalid font-size ignored", "value", value)
			return
		}
		if err := s.rend.SetFont(render.Options{FontName: fontName, FontSize: fontSize, DPI: s.owner.Info().DPI}); err != nil {
			s.engMu.Unlock()
			s.log.Info("font change failed", "value", value, "err", err)
			return
		}
		s.set.fontName, s.set.fontSize = fontName, fontSize
		s.termMu.Lock()
		s.cw, s.ch = s.rend.CellSize()
		s.margin = s.rend.Margin()
		cols, rows = s.rend.GridSize(s.dispW, s.dispH)
		s.t.Resize(cols, rows)
		s.t.DamageAll()
		winch = s.pty != nil
		pty := s.pty
		s.termMu.Unlock()
		if winch {
			defer func() { _ = pty.WindowChange(rows, cols) }()
		}
	}
	s.argv[name] = value
	s.d.Write(appendArgv(nil, argvStream, name, value))
	s.engMu.Unlock()
	s.kick()
}
