package ssh

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// guacd's typescript framing (terminal/typescript.h): scriptreplay skips
// the header line; the footer follows the last output.
const (
	typescriptHeader   = "[BEGIN TYPESCRIPT]\n"
	typescriptFooter   = "\n[END TYPESCRIPT]\n"
	typescriptMaxDelay = 86400 * time.Second
)

// typescript records raw terminal output in script(1)'s format: a data
// file plus <name>.timing, one "delay bytes" line per write, which
// scriptreplay plays back.
type typescript struct {
	data, timing *os.File
	dw, tw       *bufio.Writer
	last         time.Time
	now          func() time.Time
	err          error
}

// openTypescript creates the files under st.path through an os.Root, so
// the name can never leave that directory. Unless write-existing is set,
// an existing name gets guacd's .1 … .255 suffixes; the timing file
// follows the data file's final name.
func openTypescript(st typescriptSettings, now func() time.Time) (*typescript, error) {
	if strings.ContainsAny(st.name, "/\\\x00") || st.name == "." || st.name == ".." || st.name == "" {
		return nil, fmt.Errorf("ssh: typescript name %q is not a plain file name", st.name)
	}
	if st.create {
		if err := os.Mkdir(st.path, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("ssh: create typescript path: %w", err)
		}
	}
	root, err := os.OpenRoot(st.path)
	if err != nil {
		return nil, fmt.Errorf("ssh: open typescript path: %w", err)
	}
	defer root.Close()
	flags := os.O_CREATE | os.O_WRONLY | os.O_EXCL
	if st.writeExisting {
		flags = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	}
	var data *os.File
	name := st.name
	for i := 0; i <= 255; i++ {
		name = st.name
		if i > 0 {
			name += "." + strconv.Itoa(i)
		}
		data, err = root.OpenFile(name, flags, 0o640)
		if err == nil || !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("ssh: create typescript: %w", err)
	}
	timing, err := root.OpenFile(name+".timing", flags, 0o640)
	if err != nil {
		data.Close()
		return nil, fmt.Errorf("ssh: create typescript timing: %w", err)
	}
	ts := &typescript{
		data: data, timing: timing,
		dw: bufio.NewWriterSize(data, 64<<10), tw: bufio.NewWriterSize(timing, 4<<10),
		now: now,
	}
	ts.last = now()
	_, ts.err = ts.dw.WriteString(typescriptHeader)
	return ts, nil
}

// write appends one chunk of output and its timing line. The first error
// stops recording; the session goes on, as in guacd.
func (ts *typescript) write(p []byte) {
	if ts.err != nil || len(p) == 0 {
		return
	}
	now := ts.now()
	delay := min(now.Sub(ts.last), typescriptMaxDelay)
	ts.last = now
	if _, err := ts.dw.Write(p); err != nil {
		ts.err = err
		return
	}
	_, ts.err = fmt.Fprintf(ts.tw, "%0.6f %d\n", delay.Seconds(), len(p))
}

// flush pushes buffered bytes to the files, so a reader sees them while
// the session runs.
func (ts *typescript) flush() {
	if ts.err == nil {
		if ts.err = ts.dw.Flush(); ts.err == nil {
			ts.err = ts.tw.Flush()
		}
	}
}

// close writes the footer and closes both files.
func (ts *typescript) close() error {
	if ts.err == nil {
		_, ts.err = ts.dw.WriteString(typescriptFooter)
	}
	ts.flush()
	err := errors.Join(ts.err, ts.data.Close(), ts.timing.Close())
	if err != nil {
		return fmt.Errorf("ssh: typescript: %w", err)
	}
	return nil
}
