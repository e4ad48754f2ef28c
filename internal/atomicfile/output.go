package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Stdout is the path that means standard output.
const Stdout = "-"

// maxLinks bounds the symbolic links Output follows (as the kernel does).
const maxLinks = 40

// Output writes data to a path a person gave (--out, --save) without ever
// replacing what the path names: "-" writes to stdout; a symbolic link is
// followed to the file it names, which is written (created when missing); a
// regular file, or a path where nothing is, is written atomically (a
// temporary file renamed over it, with perm); a device, a fifo or a socket
// is written in place, as a shell redirection would; a directory is an
// error.
func Output(path string, data []byte, perm os.FileMode, stdout io.Writer) error {
	if path == Stdout {
		_, err := stdout.Write(data)
		return err
	}
	target, err := resolve(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return WriteFile(target, data, perm)
	case err != nil:
		return fmt.Errorf("write %s: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("write %s: is a directory", path)
	case fi.Mode().IsRegular():
		return WriteFile(target, data, perm)
	}
	// A device, a fifo or a socket: write into it, never over it.
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// resolve follows path's symbolic links, when it is one, to the path they
// end at, which need not exist.
func resolve(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", errors.New("too many levels of symbolic links")
}
