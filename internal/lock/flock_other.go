//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package lock

import (
	"fmt"
	"os"
	"runtime"
)

// tryLock fails: flock is not available on this system.
func tryLock(*os.File) (bool, error) {
	return false, fmt.Errorf("file locking is not supported on %s", runtime.GOOS)
}

func unlock(*os.File) error { return nil }
