package tunnel

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// recorder writes a session recording: the raw instruction stream guacd
// writes (every broadcast byte, plus mouse and optionally key input), which
// Guacamole's player and guacenc replay.
type recorder struct {
	f             *os.File
	w             *bufio.Writer
	excludeOutput bool
	excludeMouse  bool
	includeKeys   bool
	logger        *slog.Logger
	scratch       []byte
	failed        bool
}

// recordingSettings reads guacd's recording-* parameters.
type recordingSettings struct {
	path, name                               string
	create, writeExisting                    bool
	excludeOutput, excludeMouse, includeKeys bool
}

func recordingFrom(p backends.Params) recordingSettings {
	return recordingSettings{
		path:          p.String("recording-path", ""),
		name:          p.String("recording-name", "recording"),
		create:        p.Bool("create-recording-path", false),
		writeExisting: p.Bool("recording-write-existing", false),
		excludeOutput: p.Bool("recording-exclude-output", false),
		excludeMouse:  p.Bool("recording-exclude-mouse", false),
		includeKeys:   p.Bool("recording-include-keys", false),
	}
}

// expandRecordingName substitutes guacd's ${GUAC_DATE}, ${GUAC_TIME} and
// ${GUAC_USERNAME} tokens.
func expandRecordingName(name, username string, now time.Time) string {
	r := strings.NewReplacer(
		"${GUAC_DATE}", now.Format("20060102"),
		"${GUAC_TIME}", now.Format("150405"),
		"${GUAC_USERNAME}", username,
	)
	return r.Replace(name)
}

// errBadRecordingName is returned for names that would leave recording-path.
var errBadRecordingName = errors.New("tunnel: recording name must be a plain file name")

// validRecordingName reports whether name stays inside its directory.
func validRecordingName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00")
}

// openRecording starts the recording the owner's parameters ask for, or
// returns nil when none is asked for. The file is opened through an os.Root
// on recording-path, so no name can escape it.
func openRecording(p backends.Params, username string, logger *slog.Logger) (*recorder, error) {
	st := recordingFrom(p)
	if st.path == "" {
		return nil, nil
	}
	name := expandRecordingName(st.name, username, time.Now())
	if !validRecordingName(name) {
		return nil, fmt.Errorf("%w: %q", errBadRecordingName, name)
	}
	if st.create {
		if err := os.Mkdir(st.path, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("tunnel: create recording path: %w", err)
		}
	}
	root, err := os.OpenRoot(st.path)
	if err != nil {
		return nil, fmt.Errorf("tunnel: open recording path: %w", err)
	}
	defer root.Close()
	var f *os.File
	if st.writeExisting {
		// Unlike guacd, truncate: appending a new session to an old stream
		// makes an unplayable recording.
		f, err = root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	} else {
		// As guacd: never overwrite; try name, name.1 … name.255.
		for i := 0; i < 256; i++ {
			n := name
			if i > 0 {
				n = name + "." + strconv.Itoa(i)
			}
			f, err = root.OpenFile(n, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o640)
			if !errors.Is(err, fs.ErrExist) {
				break
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("tunnel: open recording: %w", err)
	}
	logger.Info("recording session", "file", f.Name())
	return &recorder{
		f:             f,
		w:             bufio.NewWriterSize(f, 64<<10),
		excludeOutput: st.excludeOutput,
		excludeMouse:  st.excludeMouse,
		includeKeys:   st.includeKeys,
		logger:        logger,
	}, nil
}

func (r *recorder) write(p []byte) {
	if r.failed {
		return
	}
	if _, err := r.w.Write(p); err != nil {
		// A full disk must not end the session; stop recording and say so.
		r.failed = true
		r.logger.Error("recording write failed; recording stopped", "err", err)
	}
}

// output records broadcast bytes.
func (r *recorder) output(p []byte) {
	if !r.excludeOutput {
		r.write(p)
	}
}

// input records a user's mouse or key instruction with a server timestamp.
func (r *recorder) input(ins protocol.Instruction) {
	ts := monotonicMillis()
	switch {
	case ins.Is("mouse") && !r.excludeMouse && len(ins.Args) >= 3:
		x, _ := parseInt(ins.Args[0])
		y, _ := parseInt(ins.Args[1])
		mask, _ := parseInt(ins.Args[2])
		r.scratch = protocol.AppendMouse(r.scratch[:0], int(x), int(y), int(mask), ts)
	case ins.Is("key") && r.includeKeys && len(ins.Args) >= 2:
		sym, _ := parseInt(ins.Args[0])
		r.scratch = protocol.AppendKey(r.scratch[:0], int(sym), string(ins.Args[1]) == "1", ts)
	default:
		return
	}
	r.write(r.scratch)
}

func (r *recorder) close() {
	if err := r.w.Flush(); err != nil && !r.failed {
		r.logger.Error("recording flush failed", "err", err)
	}
	if err := r.f.Close(); err != nil {
		r.logger.Error("recording close failed", "err", err)
	}
}
