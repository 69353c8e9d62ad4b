package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/weighting"
)

func init() {
	c := &command{
		name:    "weight",
		usage:   "--in FILE --spec WEIGHTING.json --out FILE",
		summary: "adjust design weights: nonresponse, post-stratification, raking, calibration, trimming, replicates",
	}
	c.run = func(e *env, args []string) error { return runWeight(e, c, args) }
	register(c)
}

func runWeight(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	in := fs.String("in", "", "input table (CSV, Parquet, Arrow IPC; - for stdin, any of these)")
	specPath := fs.String("spec", "", "WEIGHTING.json: design weight, steps, replicates, output names (see CLI.md)")
	out := fs.String("out", "", "output: every input column plus the final weight (and the replicate weights); Parquet and Arrow IPC keep the input's schema metadata (sipas.validation) and record the weighting as sipas.weighting (final weight, response rates, warnings), which index, trend and report read; a CSV or Excel output has them in the sidecar OUT.sipas.json")
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	switch {
	case *in == "":
		return usagef("--in is required")
	case *specPath == "":
		return usagef("--spec is required")
	case *out == "":
		return usagef("--out is required")
	case *in != "-" && sameFile(*in, *out):
		return usagef("--out would overwrite the input %q", *in)
	}
	if *out != "-" {
		if _, err := arrowio.FormatOf(*out); err != nil {
			return usagef("%v", err)
		}
	}
	spec, err := loadWeightingSpec(*specPath)
	if err != nil {
		return err
	}
	rec, err := arrowio.ReadAll(*in, e.in())
	if err != nil {
		return readError(err)
	}
	defer rec.Release()
	if err := outputColumnsFree(rec, *specPath, spec); err != nil {
		return err
	}
	if err := nearMiss(rec.Schema(), *in, "year", ""); err != nil {
		return err // the weighting record counts by the "year" column
	}
	res, reps, err := weighting.ApplyReplicates(e.ctx, spec, rec)
	if errors.Is(err, weighting.ErrUnknownColumn) {
		return badInput(fmt.Errorf("%s: %s: %w", displayName(*in), *specPath, err)) // a column the spec names that the data lacks
	}
	if located := arrowio.LocateRows(*in, err); located != err {
		return badInput(fmt.Errorf("%s: %s: %w", displayName(*in), *specPath, located)) // a value in a row of the data
	}
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", *specPath, err))
	}
	outRec := weighting.AppendWeights(memory.DefaultAllocator, rec, spec.Output, res.Weights, reps)
	defer outRec.Release()
	// Keep the input's schema metadata (sipas.validation; a CSV input's
	// sidecar) and record the nonresponse step's response rates as
	// sipas.weighting (weighting.Record).
	md := rec.Schema().Metadata()
	if !keepsMetadata(*in) && *in != "-" {
		if md, err = tableMetadata(*in); err != nil { // a CSV's sidecar
			return err
		}
	}
	r := weighting.NewRecord(rec, spec, res, "year")
	if r == nil {
		r = &weighting.Record{Version: weighting.RecordVersion}
	}
	r.Weight = outputWeightName(spec) // what index, trend and report use unless told
	for _, m := range res.Misses {
		r.Warnings = append(r.Warnings, m.String())
		r.Misses = append(r.Misses, weighting.RecordMiss(m))
	}
	md = r.SetIn(md)
	if md.Len() > 0 {
		withMD := withMetadata(outRec, md)
		defer withMD.Release()
		outRec = withMD
	}
	inputs, err := arrowio.DescribeInputs(*in, *specPath)
	if err != nil {
		return readError(err)
	}
	if err := e.ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	// A CSV (or Excel) output carries the record in its sidecar, written
	// and committed with the table.
	if err := writeWithSidecar(e, *out, outRec, inputs); err != nil {
		return err
	}
	w := e.stdout
	if *out == "-" {
		w = e.stderr // keep the table on stdout clean
	}
	printWeighting(w, *in, *specPath, spec, rec, res, reps)
	wtWarnMisses(e.stderr, res.Misses, *out)
	return nil
}

// wtWarnMisses says on stderr which calibrated totals the trimming broke:
// the largest gaps, and where the rest are (the printed summary and the
// sipas.weighting record of the output out list them all).
func wtWarnMisses(w io.Writer, misses []weighting.TargetMiss, out string) {
	const show = 10
	for _, m := range misses[:min(len(misses), show)] {
		fmt.Fprintf(w, "sipas weight: warning: %s\n", m)
	}
	if len(misses) > show {
		where := ""
		if out != "-" {
			where = " and in the sipas.weighting record of " + sidecarNote(out)
		}
		fmt.Fprintf(w, "sipas weight: warning: and %d more calibrated totals missed after trimming (listed in the summary%s)\n", len(misses)-show, where)
	}
}

// loadWeightingSpec reads and parses a WEIGHTING.json; problems are bad
// input naming the file and the JSON path.
func loadWeightingSpec(path string) (*weighting.Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, badInput(fmt.Errorf("weighting spec: %w", err))
		}
		return nil, err
	}
	defer f.Close()
	spec, err := weighting.ParseSpec(f)
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err))
	}
	return spec, nil
}

// outputWeightName is the name of the final weight column of spec.
func outputWeightName(spec *weighting.Spec) string {
	if spec.Output.Weight != "" {
		return spec.Output.Weight
	}
	return "weight"
}

// replicatePrefix is the prefix of the replicate weight columns of spec
// (AppendWeights' default "repw_" when the spec gives "").
func replicatePrefix(spec *weighting.Spec) string {
	if spec.Output.ReplicatePrefix != "" {
		return spec.Output.ReplicatePrefix
	}
	return "repw_"
}

// printWeighting prints what every step did: cells (target, before, after,
// factor), response rates, convergence history, trimming, and the weight
// diagnostics overall and per class.
func printWeighting(w io.Writer, in, specPath string, spec *weighting.Spec, rec arrow.RecordBatch,
	res *weighting.Result, reps *weighting.Replicates) {
	fmt.Fprintf(w, "weighted %s with %s: %d rows, %d steps\n", displayName(in), specPath, rec.NumRows(), len(spec.Steps))
	dw := spec.DesignWeight
	if dw == "" {
		dw = "(none: every row weighs 1)"
	}
	fmt.Fprintf(w, "design weight %s -> final weight %s", dw, outputWeightName(spec))
	if reps != nil {
		p := replicatePrefix(spec)
		fmt.Fprintf(w, ", replicate weights %s1..%s%d", p, p, len(reps.Weights))
	}
	fmt.Fprintln(w)
	if spec.DesignWeight != "" && spec.DesignWeight == outputWeightName(spec) {
		fmt.Fprintf(w, "note: the output column %q replaces the design weight column of that name\n", spec.DesignWeight)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "weights\tn\tsum\tmin\tmax\tmean\tCV\tKish deff\teffective n\t")
	diagRow(tw, "design", res.Initial)
	for i, st := range res.Steps {
		diagRow(tw, fmt.Sprintf("after step %d (%s)", i+1, st.Kind), st.After)
	}
	diagRow(tw, "final", res.Final)
	tw.Flush()

	for i, st := range res.Steps {
		fmt.Fprintf(w, "\nstep %d: %s", i+1, st.Kind)
		switch {
		case (st.Kind == "rake" || st.Kind == "calibrate") && st.Iterations > 0:
			unit := "Newton steps"
			if st.Kind == "rake" {
				unit = "sweeps"
			}
			fmt.Fprintf(w, " — converged after %d %s", st.Iterations, unit)
		case st.Kind == "calibrate":
			fmt.Fprint(w, " — closed form (unbounded linear calibration)")
		}
		fmt.Fprintln(w)
		if len(st.ResponseRates) > 0 {
			fmt.Fprintln(w, "response rates:")
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "class\tissued\treturned\tvalid\treturned %\tvalid %\tweighted returned %\tweighted valid %\tfactor\t")
			for _, r := range st.ResponseRates {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", r.Class, r.Issued, r.Returned, r.Valid,
					wtPct(r.ReturnedRate), wtPct(r.ValidRate), wtPct(r.WeightedReturnedRate), wtPct(r.WeightedValidRate), wtNum(r.Factor))
			}
			tw.Flush()
		}
		if len(st.Cells) > 0 {
			fmt.Fprintln(w, "cells:")
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "margin\tcell\tn\ttarget\tbefore\tafter\tfactor\t")
			for _, c := range st.Cells {
				target := wtNum(c.Target)
				if math.IsNaN(c.Target) {
					target = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", c.Margin, c.Label, c.N, target, wtNum(c.Before), wtNum(c.After), wtNum(c.Factor))
			}
			tw.Flush()
		}
		if len(st.History) > 0 {
			fmt.Fprintln(w, "convergence:")
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "iteration\tlargest discrepancy\tmargin\tcell\t")
			for _, it := range st.History {
				fmt.Fprintf(tw, "%d\t%.3g\t%s\t%s\t\n", it.Iter, it.MaxDiscrepancy, it.Margin, it.Cell)
			}
			tw.Flush()
		}
		if ti := st.Trim; ti != nil {
			fmt.Fprintf(w, "trimming: median %s, upper cap %s, lower cap %s; %d weights set to a cap, %d passes, excess %s redistributed (total kept: %s -> %s)\n",
				wtNum(ti.Median), wtNum(ti.Upper), wtNum(ti.Lower), ti.Trimmed, ti.Passes, wtNum(ti.Excess), wtNum(st.Before.Sum), wtNum(st.After.Sum))
		}
		if len(st.ByClass) > 0 {
			fmt.Fprintln(w, "weights after the step by class:")
			classTable(w, st.ByClass)
		}
	}

	// final weights per class of every margin or weighting class of the spec
	seen := map[string]bool{}
	for _, cols := range spec.ClassSets() {
		key := strings.Join(cols, "*")
		if seen[key] {
			continue
		}
		seen[key] = true
		cl, err := weighting.ClassesOf(rec, cols)
		if err != nil {
			continue // already reported by the step that uses them
		}
		fmt.Fprintf(w, "\nfinal weights by %s:\n", key)
		classTable(w, weighting.DescribeBy(res.Weights, cl))
	}

	if len(res.Misses) > 0 {
		fmt.Fprintf(w, "\nwarning: %d calibrated totals are not met by the final weights: trimming keeps only the overall total (re-calibrate after trimming, or bound the calibration instead)\n", len(res.Misses))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "step	margin	class	target	final	gap %	trimmed by	")
		for _, m := range res.Misses {
			fmt.Fprintf(tw, "%s	%s	%s	%s	%s	%+.3g	%s	\n", m.Step, m.Margin, m.Class, wtNum(m.Target), wtNum(m.Achieved), 100*m.Gap(), m.Trim)
		}
		tw.Flush()
	}

	if reps != nil {
		fmt.Fprintf(w, "\nreplicates: %s, %d replicates, scale %s; every step re-run on every replicate", reps.Type, len(reps.Weights), wtNum(reps.Scale))
		maxIt := 0
		for _, steps := range reps.Steps {
			for _, st := range steps {
				maxIt = max(maxIt, st.Iterations)
			}
		}
		if maxIt > 0 {
			fmt.Fprintf(w, " (at most %d iterations)", maxIt)
		}
		fmt.Fprintln(w)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, rw := range reps.Weights {
			d := weighting.Describe(rw)
			lo, hi = math.Min(lo, d.Min), math.Max(hi, d.Max)
		}
		fmt.Fprintf(w, "replicate weights (non-zero): min %s, max %s\n", wtNum(lo), wtNum(hi))
		p := replicatePrefix(spec)
		fmt.Fprintf(w, "estimate with: --weight %s --repweights %s --rep-type %s --rep-scale %s",
			outputWeightName(spec), p, reps.Type, strconv.FormatFloat(reps.Scale, 'g', -1, 64))
		if spec.Replicates != nil && spec.Replicates.Rho != nil && reps.Type == "fay" {
			fmt.Fprintf(w, " --fay-rho %s", strconv.FormatFloat(*spec.Replicates.Rho, 'g', -1, 64))
		}
		allOne := true
		for _, r := range reps.RScales {
			allOne = allOne && r == 1
		}
		if !allOne {
			rs := make([]string, len(reps.RScales))
			for i, r := range reps.RScales {
				rs[i] = strconv.FormatFloat(r, 'g', -1, 64)
			}
			fmt.Fprintf(w, " --rep-rscales %s", strings.Join(rs, ","))
		}
		fmt.Fprintln(w)
	}
}

func diagRow(tw io.Writer, label string, d weighting.Diagnostics) {
	fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", label, d.N, wtNum(d.Sum), wtNum(d.Min), wtNum(d.Max),
		wtNum(d.Mean), wtNum(d.CV), wtNum(d.Kish), wtNum(d.NEff))
}

func classTable(w io.Writer, cs []weighting.ClassDiagnostics) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\tn\tsum\tmin\tmax\tmean\tCV\tKish deff\teffective n\t")
	for _, c := range cs {
		diagRow(tw, c.Label, c.Diagnostics)
	}
	tw.Flush()
}

// outputColumnsFree refuses a spec whose output columns (the final weight,
// the replicate weights) are already columns of the input: writing would
// silently replace them.
func outputColumnsFree(rec arrow.RecordBatch, specPath string, spec *weighting.Spec) error {
	name := spec.Output.Weight
	if name == "" {
		name = "weight"
	}
	if schemaHas(rec.Schema(), name) {
		return badInput(fmt.Errorf("%s: output.weight: the input already has a column %q, which the final weight would replace; name a new column in output.weight", specPath, name))
	}
	if spec.Replicates != nil {
		prefix := spec.Output.ReplicatePrefix
		if prefix == "" {
			prefix = "repw_"
		}
		for _, f := range rec.Schema().Fields() {
			if rest, ok := strings.CutPrefix(f.Name, prefix); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
				return badInput(fmt.Errorf("%s: output.replicate_prefix: the input already has a column %q, which a replicate weight would replace; choose another prefix", specPath, f.Name))
			}
		}
	}
	return nil
}
