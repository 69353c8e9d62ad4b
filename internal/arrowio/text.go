package arrowio

import (
	"io"

	"github.com/sipas-go/sipas/internal/csvsafe"
	"github.com/sipas-go/sipas/internal/fsutil"
)

// The command's text outputs (CSV and JSON it formats itself) go through
// the same writers as the tables, so that the command reads and writes
// files through this one package.

// WriteText writes a text file so that readers never see it half-written:
// into a temporary file renamed over path only when write returns nil; "-"
// writes to stdout.
func WriteText(path string, stdout io.Writer, write func(w io.Writer) error) error {
	return fsutil.WriteAtomic(path, stdout, write)
}

// TextFile is one file of WriteTextSet: its name inside the directory and
// the function that writes its content.
type TextFile = fsutil.File

// WriteTextSet writes files into dir as one set: all of them, or, on any
// error, none (dir is left as it was).
func WriteTextSet(dir string, files []TextFile) error { return fsutil.WriteSet(dir, files) }

// CSVRow returns row with every text cell that a spreadsheet would read as
// a formula guarded by a leading apostrophe (plain numbers stay numbers),
// as the CSV writer of this package does; row is modified in place.
func CSVRow(row []string) []string { return csvsafe.Row(row) }

// ErrNotRegular is wrapped by the errors of writing an output path that
// is not a regular file (a directory, a device).
var ErrNotRegular = fsutil.ErrNotRegular

// SameFile reports whether two paths name the same file (after links),
// so that an output never overwrites an input.
func SameFile(a, b string) bool { return fsutil.SameFile(a, b) }

// OutputDir stages the outputs of a run that make up a directory, so that
// they replace the directory together (fsutil.Dir): write under Path,
// then Commit, or Abort on an error.
type OutputDir = fsutil.Dir

// NewOutputDir starts the staging of the output directory dir.
func NewOutputDir(dir string) (*OutputDir, error) { return fsutil.NewDir(dir) }

// CheckOutputDir returns an error when dir cannot be an output directory
// (a symbolic link, a file, the current directory).
func CheckOutputDir(dir string) error { return fsutil.CheckDir(dir) }

// OutputFiles stages the output files of a run, which replace the
// previous ones together (fsutil.Files): write each to Path(i), then
// Commit, or Abort on an error.
type OutputFiles = fsutil.Files

// NewOutputFiles starts the staging of the output files paths ("-" for
// standard output).
func NewOutputFiles(paths ...string) (*OutputFiles, error) { return fsutil.NewFiles(paths...) }
