package main

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// keepsMetadata reports whether a table at path keeps schema metadata
// (Parquet, Arrow IPC); a CSV or Excel table has a sidecar instead, and
// standard input has neither.
func keepsMetadata(path string) bool {
	f, err := arrowio.FormatOf(path)
	return path != "-" && err == nil && f != arrowio.CSV && f != arrowio.XLSX
}

// writeWithSidecar writes rec to out, a file or "-". Parquet and Arrow
// IPC keep rec's schema metadata and the inputs in the file; a CSV or
// Excel file gets them in its sidecar (OUT.sipas.json,
// arrowio.WriteSidecar), and the table and its sidecar are one output set:
// both replace the previous pair or neither does, and a failed or
// interrupted run leaves neither new. Standard output carries no
// metadata.
func writeWithSidecar(e *env, out string, rec arrow.RecordBatch, inputs []arrowio.Input) error {
	if out == "-" || keepsMetadata(out) {
		return writeError(arrowio.WriteRecord(out, rec, arrowio.WithStdout(e.stdout), arrowio.WithInputs(inputs)))
	}
	set, err := arrowio.NewOutputFiles(outputSet(out)...)
	if err != nil {
		return writeError(err)
	}
	defer set.Abort()
	if err := writeStaged(e, set, 0, out, rec, inputs); err != nil {
		return err
	}
	if err := e.ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	return writeError(set.Commit(e.ctx))
}

// outputSet is the files a table written to out consists of: out, and
// the sidecar of a CSV or Excel out.
func outputSet(out string) []string {
	if out == "-" || keepsMetadata(out) {
		return []string{out}
	}
	return []string{out, arrowio.SidecarPath(out)}
}

// writeStaged writes rec, a table whose final name is out, to the staged
// file i of set, with rec's schema metadata and the inputs: in the file
// (Parquet, Arrow IPC), or in its sidecar, the staged file i+1 (CSV,
// Excel: set was made with outputSet(out) at i). Standard output carries
// no metadata.
func writeStaged(e *env, set *arrowio.OutputFiles, i int, out string, rec arrow.RecordBatch, inputs []arrowio.Input) error {
	if out == "-" || keepsMetadata(out) {
		return writeError(set.Unstaged(arrowio.WriteRecord(set.Path(i), rec, arrowio.WithStdout(e.stdout), arrowio.WithInputs(inputs))))
	}
	md := rec.Schema().Metadata()
	if inputs != nil {
		var err error
		if md, err = arrowio.SetMetadataJSON(md, arrowio.InputsKey, inputs); err != nil {
			return err
		}
	}
	if err := arrowio.WriteRecord(set.Path(i), rec); err != nil {
		return writeError(set.Unstaged(err))
	}
	if err := arrowio.WriteSidecar(set.Path(i+1), set.Path(i), out, md); err != nil {
		return writeError(set.Unstaged(err))
	}
	return nil
}

// tableMetadata returns the schema metadata of the table at path: a
// Parquet or Arrow IPC file's own, a CSV or Excel file's sidecar's (none
// when it has no sidecar), none for standard input. A sidecar that does
// not match its table is bad input.
func tableMetadata(path string) (arrow.Metadata, error) {
	if path == "-" {
		return arrow.Metadata{}, nil
	}
	if !keepsMetadata(path) {
		md, _, err := arrowio.ReadSidecar(path)
		if err != nil {
			return md, readError(err)
		}
		return md, nil
	}
	r, err := arrowio.Open(path)
	if err != nil {
		return arrow.Metadata{}, readError(err)
	}
	defer r.Close()
	return r.Schema().Metadata(), nil
}

// sidecarNote names where the records of a table written to out go.
func sidecarNote(out string) string {
	if keepsMetadata(out) {
		return "the schema metadata of " + out
	}
	return fmt.Sprintf("the sidecar %s", arrowio.SidecarPath(out))
}
