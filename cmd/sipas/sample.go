package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"text/tabwriter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling/selection"
)

func init() {
	c := &command{
		name:    "sample",
		usage:   "--frame FILE --design DESIGN.json [--seed N] --out FILE [--plan [--format table|json]]",
		summary: "select a stratified multi-stage sample from a frame",
	}
	c.run = func(e *env, args []string) error { return runSample(e, c, args) }
	register(c)
}

// smpSeedStream is the PCG stream of `sipas sample`: the generator is
// rand.NewPCG(seed, smpSeedStream), so a seed gives the same sample on every
// machine.
const smpSeedStream = 0x5349504153 // "SIPAS"

func runSample(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	framePath := fs.String("frame", "", "population frame: the register, one row per transaction (CSV, Parquet, Arrow IPC; - for stdin, any of these)")
	designPath := fs.String("design", "", "DESIGN.json: strata, size, allocation, stages, reserve (see CLI.md)")
	seed := fs.Uint64("seed", 1, "random seed; the same frame, design and seed give the same sample")
	out := fs.String("out", "", "output: the selected rows with stratum, pi_1..pi_k, pi, design_weight, psu, fpc_1, reserve_rank; shortfalls and warnings go in the schema metadata (a CSV or Excel output: in the sidecar OUT.sipas.json)")
	plan := fs.Bool("plan", false, "print the planning report (allocation, expected margin of error, cost) instead of selecting")
	format := fs.String("format", "table", "planning report format: table or json")
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	switch {
	case *framePath == "":
		return usagef("--frame is required")
	case *designPath == "":
		return usagef("--design is required")
	case !*plan && *out == "":
		return usagef("--out is required (or --plan to print the planning report)")
	case *format != "table" && *format != "json":
		return usagef("--format must be table or json, got %q", *format)
	}
	if !*plan && *out != "-" {
		if _, err := arrowio.FormatOf(*out); err != nil {
			return usagef("%v", err)
		}
		if sameFile(*framePath, *out) {
			return usagef("--out would overwrite the frame %q", *framePath)
		}
	}
	d, err := smpReadDesign(*designPath)
	if err != nil {
		return err
	}
	frame, closeFrame, err := smpOpenFrame(e, *framePath)
	if err != nil {
		return err
	}
	defer closeFrame()

	if *plan {
		p, err := selection.Plan(e.ctx, frame, d)
		if err != nil {
			return smpError(*framePath, err)
		}
		for _, w := range p.Warnings {
			fmt.Fprintf(e.stderr, "sipas sample: warning: %s\n", w)
		}
		if *format == "json" {
			return smpPlanJSON(e.stdout, p)
		}
		return smpPlanTable(e.stdout, p)
	}
	// A 30-million-row register allocates decoding buffers at a high rate:
	// collect garbage less often (GOGC 300) under a 1.5 GiB soft limit, so
	// that peak memory stays well below 2 GB. GOGC and GOMEMLIMIT in the
	// environment win.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(300))
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(1536 << 20))
	}
	rng := rand.New(rand.NewPCG(*seed, smpSeedStream))
	rec, err := selection.SelectSample(e.ctx, frame, d, rng)
	if err != nil {
		return smpError(*framePath, err)
	}
	defer rec.Release()
	if err := e.ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	// The shortfalls and warnings travel with the sample: in its schema
	// metadata, or in a CSV's sidecar.
	if err := writeWithSidecar(e, *out, rec, nil); err != nil {
		return err
	}
	warns, err := selection.Warnings(rec)
	if err != nil {
		return err
	}
	for _, w := range warns {
		fmt.Fprintf(e.stderr, "sipas sample: warning: %s\n", w)
	}
	short, err := selection.Shortfalls(rec)
	if err != nil {
		return err
	}
	for _, sf := range short {
		fmt.Fprintf(e.stderr, "sipas sample: warning: stratum %q: the units drawn hold %d rows, fewer than its %d ballots; all %d are in the sample (raise the stages' n to avoid this)\n", sf.Stratum, sf.Rows, sf.Count, sf.Rows)
	}
	if *out != "-" {
		main, reserve := smpCounts(rec)
		fmt.Fprintf(e.stderr, "sipas sample: %d rows selected (%d main sample, %d reserve), seed %d, written to %s\n", main+reserve, main, reserve, *seed, *out)
	}
	return nil
}

func smpReadDesign(path string) (*selection.SampleDesign, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("design %s: %w", path, err))
	}
	defer f.Close()
	d, err := selection.ParseSampleDesign(f)
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err))
	}
	return d, nil
}

// smpOpenFrame opens the frame: a file is streamed; standard input is read
// whole (it cannot be read twice), and so are Excel sheets and CSV files
// read with explicit settings.
func smpOpenFrame(e *env, path string) (selection.SampleFrame, func(), error) {
	if e.readsWhole(path) {
		rec, err := arrowio.ReadAll(path, e.in())
		if err != nil {
			return nil, nil, readError(err)
		}
		return selection.NewRecordFrame(rec), rec.Release, nil
	}
	// Parquet text columns are read as dictionaries: decoding a
	// 30-million-row register then costs index decoding rather than copying
	// every string (SelectSample turns the selected rows back into the
	// schema's plain strings).
	frame, err := selection.NewFileFrame(path, &selection.FileFrameOptions{Dictionary: true})
	if err != nil {
		return nil, nil, readError(err)
	}
	return frame, func() {}, nil
}

// smpError marks data and design problems as bad input (exit 2), naming the
// frame file.
func smpError(path string, err error) error {
	var fe *selection.SampleFrameError
	var de *selection.SampleDesignError
	switch {
	case errors.As(err, &fe), errors.Is(err, selection.ErrCountsNotMet):
		return badInput(fmt.Errorf("%s: %w", path, err))
	case errors.As(err, &de):
		return badInput(err)
	}
	return readError(err)
}

func smpCounts(rec arrow.RecordBatch) (main, reserve int) {
	idx := rec.Schema().FieldIndices(selection.SampleReserveColumn)
	if len(idx) == 0 {
		return int(rec.NumRows()), 0
	}
	for _, v := range rec.Column(idx[0]).(*array.Int64).Int64Values() {
		if v == 0 {
			main++
		} else {
			reserve++
		}
	}
	return main, reserve
}

func smpPlanTable(w io.Writer, p *selection.SamplePlan) error {
	fmt.Fprintf(w, "Sample plan: margin of error for p = %g at %g%% confidence, response rate %g\n\n", p.P, 100*p.Level, p.ResponseRate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "level\tkey\tN\tissued\tmin rows\texpected\tdeff\tmoe (points)\tcost\t")
	for _, r := range p.Rows {
		cost := "-"
		if !math.IsNaN(r.Cost) {
			cost = strconv.FormatFloat(r.Cost, 'f', 0, 64)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%.2f\t±%.1f\t%s\t\n", r.Level, r.Key, r.N, r.Issued, r.MinRows, r.Expected, r.Deff, 100*r.MOE, cost)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range p.Warnings {
		fmt.Fprintln(w, "\nWarning:", n)
	}
	for _, n := range p.Notes {
		fmt.Fprintln(w, "\nNote:", n)
	}
	return nil
}

func smpPlanJSON(w io.Writer, p *selection.SamplePlan) error {
	type row struct {
		Level    string  `json:"level"`
		Key      string  `json:"key"`
		N        int64   `json:"N"`
		Issued   int     `json:"issued"`
		MinRows  int64   `json:"min_rows"`
		Expected jsonNum `json:"expected"`
		Deff     jsonNum `json:"deff"`
		MOE      jsonNum `json:"moe"`
		Cost     jsonNum `json:"cost"`
	}
	out := struct {
		P            float64  `json:"p"`
		Level        float64  `json:"level"`
		ResponseRate float64  `json:"response_rate"`
		DomainBy     []string `json:"domain_by"`
		Rows         []row    `json:"rows"`
		Notes        []string `json:"notes"`
		Warnings     []string `json:"warnings"`
	}{P: p.P, Level: p.Level, ResponseRate: p.ResponseRate, DomainBy: p.DomainBy, Notes: p.Notes, Warnings: p.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, r := range p.Rows {
		out.Rows = append(out.Rows, row{r.Level, r.Key, r.N, r.Issued, r.MinRows, jsonNum(r.Expected), jsonNum(r.Deff), jsonNum(r.MOE), jsonNum(r.Cost)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
