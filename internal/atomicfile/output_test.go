package atomicfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOutputDashIsStdout(t *testing.T) {
	var out bytes.Buffer
	if err := Output("-", []byte("plan"), 0o600, &out); err != nil || out.String() != "plan" {
		t.Fatalf("Output(-) = %v, stdout %q", err, out.String())
	}
}

func TestOutputWritesARegularFileAtomically(t *testing.T) {
	p := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(p, []byte("old and longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Output(p, []byte("new"), 0o600, nil); err != nil {
		t.Fatal(err)
	}
	assertFile(t, p, "new", 0o600)
	q := filepath.Join(filepath.Dir(p), "fresh.json")
	if err := Output(q, []byte("x"), 0o600, nil); err != nil {
		t.Fatal(err)
	}
	assertFile(t, q, "x", 0o600)
}

// TestOutputFollowsASymlink: the link stays a link; the file it names gets
// the data, even when it does not exist yet.
func TestOutputFollowsASymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	chain := filepath.Join(dir, "chain.json")
	if err := os.Symlink(link, chain); err != nil {
		t.Fatal(err)
	}
	if err := Output(chain, []byte("new"), 0o600, nil); err != nil {
		t.Fatal(err)
	}
	assertFile(t, target, "new", 0o600)
	for _, l := range []string{link, chain} {
		if fi, err := os.Lstat(l); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link: %v", l, err)
		}
	}
	dangling := filepath.Join(dir, "dangling.json")
	if err := os.Symlink("later.json", dangling); err != nil {
		t.Fatal(err)
	}
	if err := Output(dangling, []byte("made"), 0o600, nil); err != nil {
		t.Fatal(err)
	}
	assertFile(t, filepath.Join(dir, "later.json"), "made", 0o600)
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Fatal(err)
	}
	if err := Output(loop, []byte("x"), 0o600, nil); err == nil {
		t.Error("a symlink loop was written")
	}
}

// TestOutputWritesIntoAFifo: the fifo gets the bytes and stays a fifo (as
// /dev/null must stay a device).
func TestOutputWritesIntoAFifo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(p)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	if err := Output(p, []byte("through the pipe"), 0o600, nil); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("the reader got %q", s)
	}
	if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a fifo: %v", p, err)
	}
}

// TestOutputWritesIntoACharacterDevice makes a null device of its own in a
// temporary directory (never the real /dev/null), where the test may.
func TestOutputWritesIntoACharacterDevice(t *testing.T) {
	p := filepath.Join(t.TempDir(), "null")
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, int(mkdev(1, 3))); err != nil {
		t.Skipf("cannot make a character device here: %v", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("cannot open a device here (a nodev mount?): %v", err)
	}
	f.Close()
	if err := Output(p, []byte("discarded"), 0o600, nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a character device: %v %v", p, fi.Mode(), err)
	}
}

func TestOutputRefusesADirectory(t *testing.T) {
	dir := t.TempDir()
	err := Output(dir, []byte("x"), 0o600, nil)
	if err == nil || err.Error() != "write "+dir+": is a directory" {
		t.Errorf("Output(dir) = %v", err)
	}
}

func mkdev(major, minor uint32) uint64 {
	return uint64(major)<<8 | uint64(minor)
}

func assertFile(t *testing.T, p, want string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil || string(b) != want {
		t.Fatalf("%s holds %q, %v; want %q", p, b, err, want)
	}
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != mode {
		t.Errorf("%s: mode %v, %v; want a regular file %v", p, fi.Mode(), err, mode)
	}
}
