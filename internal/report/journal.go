package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Journal is the append-only record of finished operations: one JSON
// [Record] per line, each synced to disk before [Journal.Append] returns, so
// that a run killed at any moment leaves the outcome of every operation it
// reported. It is safe for concurrent use; concurrent appends share one
// fsync (group commit) rather than queueing one fsync each.
type Journal struct {
	path string

	mu     sync.Mutex
	cond   *sync.Cond // signalled when a sync ends
	f      *os.File
	size   int64  // bytes of whole lines written
	lines  uint64 // lines written
	synced uint64 // lines known to be on disk
	// syncing is set while one Append syncs on behalf of all.
	syncing bool
	// writeErr and syncErr are sticky: after a failed write (or a failed
	// sync, after which the kernel's state of the file is unknown) the
	// journal refuses to claim anything more is durable.
	writeErr error
	syncErr  error
	closed   bool
}

// OpenJournal opens the journal at path for appending, creating it (mode
// 0600, its directory 0700) when missing. A torn final line left by a run
// killed in the middle of a write is cut off, so that the next line starts
// on a line of its own; [ReadJournal] ignores such a line anyway, since its
// Append never returned.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	fail := func(err error) (*Journal, error) {
		f.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fail(err)
		}
	}
	size, err := wholeLines(f, fi.Size())
	if err != nil {
		return fail(err)
	}
	if size != fi.Size() {
		if err := f.Truncate(size); err != nil {
			return fail(fmt.Errorf("cut torn final line: %w", err))
		}
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if created {
		// Make the new file's directory entry durable too.
		if err := syncDir(filepath.Dir(path)); err != nil {
			return fail(err)
		}
	}
	j := &Journal{path: path, f: f, size: size}
	j.cond = sync.NewCond(&j.mu)
	return j, nil
}

// wholeLines returns the length of the file's prefix made of whole lines:
// size when it is empty or ends with a newline, else the offset just after
// its last newline.
func wholeLines(f *os.File, size int64) (int64, error) {
	const chunk = 4096
	buf := make([]byte, chunk)
	end := size
	for end > 0 {
		start := max(end-chunk, 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if end == size && b[len(b)-1] == '\n' {
			return size, nil
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// Path returns the journal's file path.
func (j *Journal) Path() string { return j.path }

// Append writes r as one line and returns once that line is on disk. It
// refuses a record without a known status. After a failed write or sync
// every later Append fails too: the caller should stop the run, since it can
// no longer record outcomes.
func (j *Journal) Append(r Record) error {
	if !r.Status.Valid() {
		return fmt.Errorf("append to journal %s: operation %d: invalid status %q", j.path, r.Seq, r.Status)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("append to journal %s: operation %d: %w", j.path, r.Seq, err)
	}
	line = append(line, '\n')

	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return fmt.Errorf("append to journal %s: journal is closed", j.path)
	case j.writeErr != nil:
		return fmt.Errorf("append to journal %s: an earlier write failed: %w", j.path, j.writeErr)
	case j.syncErr != nil:
		return fmt.Errorf("append to journal %s: an earlier sync failed: %w", j.path, j.syncErr)
	}
	n, err := j.f.Write(line)
	if err != nil {
		if n > 0 {
			// Best effort: cut the partial line so that a later reader
			// sees only whole lines.
			_ = j.f.Truncate(j.size)
		}
		j.writeErr = err
		return fmt.Errorf("append to journal %s: operation %d: %w", j.path, r.Seq, err)
	}
	j.size += int64(n)
	j.lines++
	if err := j.waitSynced(j.lines); err != nil {
		return fmt.Errorf("append to journal %s: operation %d: %w", j.path, r.Seq, err)
	}
	return nil
}

// waitSynced returns once the first n lines are on disk, syncing them itself
// unless another caller is already syncing. j.mu must be held; it is
// released during the sync so that other appends can write meanwhile.
func (j *Journal) waitSynced(n uint64) error {
	for j.synced < n {
		if j.syncErr != nil {
			return fmt.Errorf("sync: %w", j.syncErr)
		}
		if j.syncing {
			j.cond.Wait()
			continue
		}
		j.syncing = true
		target := j.lines
		j.mu.Unlock()
		err := j.f.Sync()
		j.mu.Lock()
		j.syncing = false
		if err != nil {
			j.syncErr = err
		} else {
			j.synced = target
		}
		j.cond.Broadcast()
	}
	return nil
}

// Close waits for pending syncs and closes the file. Appending after Close
// is an error; closing twice is not.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	syncErr := j.waitSynced(j.lines)
	j.closed = true
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	if syncErr != nil {
		return fmt.Errorf("close journal %s: %w", j.path, syncErr)
	}
	return nil
}

// ReadJournal reads the records of the journal at path, in file order. A
// final line without its newline (a write torn by a kill) is ignored: its
// Append never returned. Any other line that is not a record with a known
// status is an error naming its line number.
func ReadJournal(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	var records []Record
	br := bufio.NewReaderSize(f, 64<<10)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return records, nil // a torn final line, if any, is dropped
		}
		if err != nil {
			return nil, fmt.Errorf("read journal %s: line %d: %w", path, n, err)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(bytes.TrimSpace(line)) == 0 {
			return nil, fmt.Errorf("read journal %s: line %d: empty line", path, n)
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("read journal %s: line %d: %w", path, n, err)
		}
		if !r.Status.Valid() {
			return nil, fmt.Errorf("read journal %s: line %d: invalid status %q", path, n, r.Status)
		}
		records = append(records, r)
	}
}

// syncDir syncs a directory so that the entries just created or renamed in
// it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
