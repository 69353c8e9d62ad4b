//go:build unix

package fsutil

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with id pid exists (when in
// doubt, true).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
