package fsutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Files stages a set of output files of one run (a clean table and the
// rows it excludes), which may lie in different directories: the run
// writes each file to Path(i), in a temporary directory next to its
// output (on the same file system), and Commit puts them all in place.
//
// The guarantee: a run stopped at any moment, even killed, leaves either
// every previous file or every new one, as the next writer sees them.
// Commit first writes a journal next to each output (.NAME.sipas-commit)
// naming every staged file and its output; the rename of the first
// output's journal into place is the point of commit. Then the staged
// files are renamed over the outputs and the journals removed. A run
// killed before the point of commit leaves the outputs untouched (its
// staging is removed by the next run into the same directory); killed
// after it but before the last rename (a few system calls), it leaves the
// journals, and the next NewFiles or Recover of any of the outputs
// finishes the renames before anything else. Abort (on an error or an
// interrupt) removes the staging at once. "-" (standard output) is a
// stream, written directly and outside the set.
type Files struct {
	given   []string // as the caller gave them
	targets []string // absolute, "" for "-"
	staged  []string // absolute, "-" for "-"
	stages  []string // the staging directories
	id      string
	done    bool
}

// setMark starts the name of a staging directory of Files, followed by the
// process id of its run.
const setMark = ".sipas-set-"

// pendingName, in a staging directory, marks a commit in progress: only
// Recover removes such a directory.
const pendingName = "COMMITTING"

// NewFiles prepares the staging of the output files paths ("-" for
// standard output). Each path must be absent or a regular file
// (CheckOutput), and its directory must exist. A commit left unfinished
// by a killed run into any of the paths is finished first (Recover).
func NewFiles(paths ...string) (*Files, error) {
	s := &Files{given: paths, id: strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	stageOf := map[string]string{}
	for _, p := range paths {
		if p == "-" {
			s.targets, s.staged = append(s.targets, ""), append(s.staged, "-")
			continue
		}
		if err := CheckOutput(p); err != nil {
			s.Abort()
			return nil, fmt.Errorf("cannot write %s: %w", p, err)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			s.Abort()
			return nil, fmt.Errorf("cannot write %s: %w", p, err)
		}
		if err := Recover(abs); err != nil {
			s.Abort()
			return nil, err
		}
		dir := filepath.Dir(abs)
		stage, ok := stageOf[dir]
		if !ok {
			removeStale(dir, setMark)
			if stage, err = os.MkdirTemp(dir, setMark+strconv.Itoa(os.Getpid())+"-*"); err != nil {
				s.Abort()
				return nil, fmt.Errorf("cannot write %s: %w", p, err)
			}
			stageOf[dir] = stage
			s.stages = append(s.stages, stage)
		}
		s.targets = append(s.targets, abs)
		s.staged = append(s.staged, filepath.Join(stage, filepath.Base(abs)))
	}
	return s, nil
}

// Path is where the run writes the i-th output ("-" for standard output).
func (s *Files) Path(i int) string { return s.staged[i] }

// Unstaged returns err with the staged paths in its message replaced by
// the outputs' (errors.Is and As still see err).
func (s *Files) Unstaged(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for i, p := range s.staged {
		if p != "-" {
			msg = strings.ReplaceAll(msg, p, s.given[i])
		}
	}
	if msg == err.Error() {
		return err
	}
	return &unstagedError{msg, err}
}

// journal is what Commit writes next to each output: the files of the
// set, staged and final, and the journal whose presence means committed.
type journal struct {
	ID      string `json:"id"`
	PID     int    `json:"pid"`
	Primary string `json:"primary"`
	Files   []struct {
		Staged string `json:"staged"`
		Target string `json:"target"`
	} `json:"files"`
}

// journalPath is the journal of a commit into target.
func journalPath(target string) string {
	return filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".sipas-commit")
}

// Commit puts every staged file in place of its output (see Files). When
// ctx is done it writes nothing, removes the staging and returns ctx's
// error; on any error before the point of commit the outputs are as they
// were.
func (s *Files) Commit(ctx context.Context) (err error) {
	if s.done {
		return errors.New("fsutil: Files committed twice")
	}
	defer func() {
		if err != nil && err != errCrash {
			s.Abort()
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	j := journal{ID: s.id, PID: os.Getpid()}
	for i, t := range s.targets {
		if t == "" {
			continue
		}
		if err := CheckOutput(t); err != nil {
			return fmt.Errorf("cannot write %s: %w", s.given[i], err)
		}
		if _, err := os.Lstat(s.staged[i]); err != nil {
			return fmt.Errorf("cannot write %s: %w", s.given[i], err)
		}
		j.Files = append(j.Files, struct {
			Staged string `json:"staged"`
			Target string `json:"target"`
		}{s.staged[i], t})
	}
	switch len(j.Files) {
	case 0:
	case 1: // one rename is atomic
		f := j.Files[0]
		if err := os.Rename(f.Staged, f.Target); err != nil {
			return fmt.Errorf("cannot write %s: %w", f.Target, err)
		}
		syncDir(filepath.Dir(f.Target))
	default:
		j.Primary = journalPath(j.Files[0].Target)
		for _, f := range j.Files[1:] {
			if err := writeJournal(journalPath(f.Target), filepath.Dir(f.Staged), &j); err != nil {
				s.removeJournals(&j)
				return err
			}
		}
		for _, st := range s.stages {
			if err := os.WriteFile(filepath.Join(st, pendingName), nil, 0o644); err != nil {
				s.removeJournals(&j)
				return fmt.Errorf("cannot write %s: %w", st, err)
			}
		}
		if crashAt("files: before the point of commit") {
			return errCrash
		}
		if err := writeJournal(j.Primary, filepath.Dir(j.Files[0].Staged), &j); err != nil {
			if err == errCrash {
				return err
			}
			s.removeJournals(&j)
			return err
		}
		s.done = true // committed: from here on, forward only
		if err := finish(&j); err != nil {
			return fmt.Errorf("cannot write %s: %w (the next run into these files finishes the commit)", j.Files[0].Target, err)
		}
	}
	s.done = true
	for _, st := range s.stages {
		os.RemoveAll(st)
	}
	return nil
}

// removeJournals removes the journals of an aborted commit.
func (s *Files) removeJournals(j *journal) {
	for _, f := range j.Files {
		os.Remove(journalPath(f.Target))
	}
}

// Abort removes the staging; it does nothing after Commit reached its
// point of commit.
func (s *Files) Abort() {
	if s.done {
		return
	}
	s.done = true
	for _, st := range s.stages {
		os.RemoveAll(st)
	}
}

// writeJournal writes j to path atomically (a synced temporary file in
// stage, the staging directory beside path, renamed into place, the
// directory synced): a run killed while writing leaves the temporary file
// inside its staging, which the next run removes with it.
func writeJournal(path, stage string, j *journal) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	tmp := filepath.Join(stage, filepath.Base(path)+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && path == j.Primary && crashAt("files: primary journal written, not renamed") {
		return errCrash
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// finish completes a committed journal: every staged file still there is
// renamed over its output, then the other journals are removed, the
// staging directories, and the primary journal last.
func finish(j *journal) error {
	for i, f := range j.Files {
		if crashAt("files: rename " + strconv.Itoa(i)) {
			return errCrash
		}
		if _, err := os.Lstat(f.Staged); err != nil {
			continue // renamed before
		}
		if err := os.Rename(f.Staged, f.Target); err != nil {
			return err
		}
	}
	dirs := map[string]bool{}
	for _, f := range j.Files {
		dirs[filepath.Dir(f.Target)] = true
	}
	for d := range dirs {
		syncDir(d)
	}
	if crashAt("files: before removing the journals") {
		return errCrash
	}
	for _, f := range j.Files {
		if p := journalPath(f.Target); p != j.Primary {
			os.Remove(p)
		}
	}
	if crashAt("files: before removing the staging") {
		return errCrash
	}
	// The staging goes before the primary journal: a staging directory
	// marked pendingName is removed only by finishing its journal, so a
	// run killed between the two would leave it for good.
	for _, f := range j.Files {
		os.RemoveAll(filepath.Dir(f.Staged))
	}
	if crashAt("files: before removing the primary journal") {
		return errCrash
	}
	if err := os.Remove(j.Primary); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Recover finishes a commit of Files into target that a killed run left
// unfinished: when the set's point of commit was reached, the staged
// files still waiting are renamed over their outputs; when it was not,
// the journal and the staging are removed (the outputs are the previous
// ones). A commit that another running process is making is left alone.
// Without a journal next to target it does nothing.
func Recover(target string) error {
	jp := journalPath(target)
	j, err := readJournal(jp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: unreadable journal of an interrupted write (%v); check the files it names and remove it", jp, err)
	}
	if j.PID != os.Getpid() && processAlive(j.PID) {
		return nil
	}
	if p, err := readJournal(j.Primary); err == nil && p.ID == j.ID {
		if err := finish(p); err != nil {
			return fmt.Errorf("finishing the interrupted write of %s: %w", target, err)
		}
		return nil
	}
	// Not committed: the outputs were never touched.
	for _, f := range j.Files {
		if p := journalPath(f.Target); p != j.Primary {
			if o, err := readJournal(p); err == nil && o.ID == j.ID {
				os.Remove(p)
			}
		}
		os.RemoveAll(filepath.Dir(f.Staged))
	}
	os.Remove(jp)
	return nil
}

func readJournal(path string) (*journal, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	if j.Primary == "" || len(j.Files) == 0 {
		return nil, errors.New("no files")
	}
	for _, f := range j.Files {
		if !strings.Contains(filepath.Base(filepath.Dir(f.Staged)), setMark) {
			return nil, fmt.Errorf("%s is not a staged file", f.Staged)
		}
	}
	return &j, nil
}
