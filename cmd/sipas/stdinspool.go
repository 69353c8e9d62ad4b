package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// spools are the temporary copies of standard input that this process
// made (spoolStdin), each named "stdin" in messages (displayName).
var spools sync.Map

// spoolStdin copies standard input to a temporary file in the default
// temporary directory, whose extension says the format that its first
// bytes tell (arrowio.SniffFormat: CSV, Parquet, Arrow IPC, Excel, as "-"
// is read), so that the streamed
// paths of index and estimate, which open their input several times
// (the header, a count of the rows, one pass per calibration step), read
// it from disk in bounded memory. The copy goes through io.Copy, never
// whole in memory; it is the copy the reader of "-" made anyway, so a run
// read into memory costs no more. Messages and errors name the copy
// "stdin" (displayName, e.in). The returned remove deletes the copy and
// must be called on every exit path; an interrupt during the copy
// returns at once, the copy removed.
func (e *env) spoolStdin() (path string, remove func(), err error) {
	tmp, err := os.CreateTemp("", "sipas-stdin-*")
	if err != nil {
		return "", nil, fmt.Errorf("stdin: cannot copy standard input to a temporary file: %w", err)
	}
	path = tmp.Name()
	spools.Store(path, true)
	remove = func() {
		tmp.Close()
		os.Remove(path)
		spools.Delete(path)
		if e.spool == path {
			e.spool = ""
		}
	}
	// the copy runs beside: a read of a terminal or an idle pipe blocks,
	// and an interrupt must still remove the file and return
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(tmp, ctxReader{e.ctx, e.stdin})
		done <- err
	}()
	select {
	case err = <-done:
	case <-e.ctx.Done():
		err = e.ctx.Err()
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = renameByFormat(&path)
	}
	if err != nil {
		remove()
		if e.ctx.Err() != nil {
			return "", nil, e.ctx.Err()
		}
		return "", nil, fmt.Errorf("stdin: cannot copy standard input to a temporary file: %w", err)
	}
	e.spool = path
	return path, remove, nil
}

// renameByFormat gives the file at *path the extension of the format its
// first bytes tell, and updates *path (and spools) to the new name.
func renameByFormat(path *string) error {
	format, err := arrowio.SniffFile(*path)
	if err != nil {
		return err
	}
	to := *path + format.Ext()
	if err := os.Rename(*path, to); err != nil {
		return err
	}
	spools.Store(to, true)
	spools.Delete(*path)
	*path = to
	return nil
}

// spoolIn replaces *in, when it is standard input ("-"), by the
// temporary copy spoolStdin makes, so that the run reads it as a file
// (streamed when large, or with --stream); remove deletes the copy and
// must be called on every exit path (a no-op for a file).
func (e *env) spoolIn(in *string) (remove func(), err error) {
	if *in != "-" {
		return func() {}, nil
	}
	spool, remove, err := e.spoolStdin()
	if err != nil {
		return nil, err
	}
	*in = spool
	return remove, nil
}

// ctxReader stops a copy between two reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
