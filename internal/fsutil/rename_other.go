//go:build !linux

package fsutil

// renameExchange: no atomic exchange on this system.
func renameExchange(a, b string) error { return errNoExchange }
