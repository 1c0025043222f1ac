package catalog

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goguacd/goguacd/auth"
)

// DefaultPollInterval is how often Run checks the file for changes.
const DefaultPollInterval = time.Second

// Reloader is a Catalog backed by a file that is re-read on Reload (wire it
// to SIGHUP) and, while Run is going, whenever the file's modification time
// or size changes. A file that fails to load leaves the last good catalog in
// place, and the error (with its line number) is logged.
type Reloader struct {
	path string
	log  *slog.Logger
	// PollInterval is how often Run stats the file; set it before Run.
	// Zero means DefaultPollInterval.
	PollInterval time.Duration

	cur atomic.Pointer[File]

	mu      sync.Mutex // serializes loads; guards the fields below
	stamp   fileStamp  // of the last file read, good or bad
	pending fileStamp  // a changed stamp seen once, waiting to settle
	lastAt  time.Time
	lastErr error
}

var _ Catalog = (*Reloader)(nil)

// fileStamp is what polling compares; editors that write a new file and
// rename it over the old one change the mtime.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(fi os.FileInfo) fileStamp { return fileStamp{fi.ModTime(), fi.Size()} }

// NewReloader loads path; it fails if the first load fails, since there is
// no last good catalog to fall back on.
func NewReloader(path string, log *slog.Logger) (*Reloader, error) {
	if log == nil {
		log = slog.Default()
	}
	r := &Reloader{path: path, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload re-reads the file now, whether or not it changed. On error the
// previous catalog stays in use and the error is returned and logged.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.loadLocked()
	if err != nil {
		r.logFailure(err)
	}
	return err
}

// Run polls the file until ctx is done, reloading when it changes. It
// blocks; call it in its own goroutine.
func (r *Reloader) Run(ctx context.Context) {
	interval := r.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.poll()
		}
	}
}

// poll reloads if the file looks different from the last read and has
// looked the same for one whole interval, so an editor's half-written file
// is not loaded (and logged as broken) mid-write. A broken file is logged
// once, not every tick, until it changes again.
func (r *Reloader) poll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	fi, err := os.Stat(r.path)
	if err != nil {
		if r.lastErr == nil || !errors.Is(r.lastErr, os.ErrNotExist) {
			r.lastErr = err
			r.lastAt = time.Now()
			r.logFailure(err)
		}
		return
	}
	st := stampOf(fi)
	if st == r.stamp {
		r.pending = fileStamp{}
		return
	}
	if st != r.pending {
		r.pending = st
		return
	}
	if err := r.loadLocked(); err != nil {
		r.logFailure(err)
		return
	}
	r.log.Info("catalog: reloaded", "path", r.path, "connections", r.cur.Load().Len())
}

func (r *Reloader) load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked()
}

func (r *Reloader) loadLocked() error {
	fi, err := os.Stat(r.path)
	if err == nil {
		// Stat before reading: a write racing with the read then shows up
		// as a changed stamp on the next poll instead of being missed.
		r.stamp = stampOf(fi)
	}
	f, err := LoadFile(r.path)
	r.lastAt, r.lastErr = time.Now(), err
	if err != nil {
		return err
	}
	r.cur.Store(f)
	return nil
}

func (r *Reloader) logFailure(err error) {
	attrs := []any{"path", r.path, "err", err}
	var le *LoadError
	if errors.As(err, &le) && le.Line > 0 {
		attrs = append(attrs, "line", le.Line)
	}
	r.log.Error("catalog: load failed, keeping the last good catalog", attrs...)
}

// LastReload reports when the file was last read and the error, if any
// (for a config_last_reload_successful metric).
func (r *Reloader) LastReload() (time.Time, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastAt, r.lastErr
}

// Current returns the catalog in use.
func (r *Reloader) Current() *File { return r.cur.Load() }

// List implements Catalog using the current file.
func (r *Reloader) List(ctx context.Context, id auth.Identity) ([]Connection, error) {
	return r.cur.Load().List(ctx, id)
}

// Get implements Catalog using the current file.
func (r *Reloader) Get(ctx context.Context, id auth.Identity, connID string) (Connection, error) {
	return r.cur.Load().Get(ctx, id, connID)
}
