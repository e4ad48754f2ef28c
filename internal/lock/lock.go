// Package lock keeps two acs-bulk runs from applying changes at the same
// time: an exclusive OS file lock (flock) per report directory and per
// workspace. The operating system releases the lock when the process dies,
// however it dies, so a crashed run never blocks the next one; the lock file
// holds a description of its holder, for the error the next run prints.
package lock

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// LockDirEnv names the environment variable that, when set, replaces the
// directory of the workspace locks (tests and the demo use their own); the
// command line reads it and passes it to [WorkspaceLockPath].
const LockDirEnv = "ACS_BULK_LOCK_DIR"

// HeldError is the error of [Acquire] when another process, or another
// open lock in this process, holds the lock.
type HeldError struct {
	// Path is the lock file.
	Path string
	// Holder is the description the holder wrote into the file; it is
	// empty when the holder had not written it yet.
	Holder string
}

// Error says who holds the lock.
func (e *HeldError) Error() string {
	if e.Holder == "" {
		return fmt.Sprintf("another acs-bulk run holds %s (it has not said which yet: it may be starting)", e.Path)
	}
	return fmt.Sprintf("another acs-bulk run holds %s: %s", e.Path, e.Holder)
}

// Lock is a held lock; [Lock.Release] releases it.
type Lock struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// Acquire takes the exclusive lock of the file at path without waiting,
// creating the file (0600) and its directories (0700) when missing, and
// writes holder into it. When the lock is held it returns a *[HeldError]
// naming the holder. holder must not contain secrets; [Describe] builds
// one.
func Acquire(path, holder string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("acquire lock: %w", err)
	}
	// No O_TRUNC: the file may hold the description of a live holder.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("acquire lock: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("acquire lock %s: %w", path, err)
	}
	if held {
		desc, _ := readHolder(f) // best effort: the error is about the holder
		f.Close()
		return nil, &HeldError{Path: path, Holder: desc}
	}
	if err := writeHolder(f, holder); err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("acquire lock %s: write holder: %w", path, err)
	}
	return &Lock{path: path, f: f}, nil
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// Release releases the lock and closes the file, which stays in place:
// removing it would let a process that opened it before the removal lock a
// file nobody else sees. Releasing twice is not an error.
func (l *Lock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	uerr := unlock(f)
	cerr := f.Close()
	if uerr != nil {
		return fmt.Errorf("release lock %s: %w", l.path, uerr)
	}
	if cerr != nil {
		return fmt.Errorf("release lock %s: %w", l.path, cerr)
	}
	return nil
}

func readHolder(f *os.File) (string, error) {
	b := make([]byte, 4096)
	n, err := f.ReadAt(b, 0)
	if n == 0 && err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b[:n])), nil
}

func writeHolder(f *os.File, holder string) error {
	data := []byte(strings.TrimSpace(holder) + "\n")
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		return err
	}
	return f.Sync()
}

// Describe returns a holder description: the process id, host name, start
// time (UTC) and command, such as
// "pid 1234 on host x since 2026-11-22T19:30:00Z: acs-bulk apply --file f.csv".
// command must already be free of secrets.
func Describe(since time.Time, command string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	d := fmt.Sprintf("pid %d on host %s since %s", os.Getpid(), host, since.UTC().Format(time.RFC3339))
	if command != "" {
		d += ": " + command
	}
	return d
}

// WorkspaceLockPath returns the lock file of a workspace in dir, or in
// os.UserCacheDir()/acs-bulk/locks when dir is empty. workspace identifies
// the workspace, never by the endpoint it is reached at: the workspace id a
// personal access token acts on, or a hash of the API key (a key belongs to
// one workspace; never the key itself). The file is named by a SHA-256 of
// that identity, so that it does not appear in the path.
func WorkspaceLockPath(dir, workspace string) (string, error) {
	if workspace == "" {
		return "", fmt.Errorf("workspace lock: empty workspace identity")
	}
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("workspace lock: %w (set %s to choose a lock directory)", err, LockDirEnv)
		}
		dir = filepath.Join(cache, "acs-bulk", "locks")
	}
	sum := sha256.Sum256([]byte("acs-bulk workspace lock v2\x00" + workspace))
	return filepath.Join(dir, "workspace-"+hex.EncodeToString(sum[:16])+".lock"), nil
}
