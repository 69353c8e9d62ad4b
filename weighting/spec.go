package weighting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
)

// Spec is a parsed WEIGHTING.json (CLI.md): the design weight column, the
// steps to run in order, optional replicate weights and the output names.
type Spec struct {
	DesignWeight string         // column of design weights; "" means every row weighs 1
	Steps        []Step         // run in order; none leaves the weights unchanged
	Replicates   *ReplicateSpec // nil: no replicate weights
	Output       OutputSpec
}

// ClassSets lists the column sets of the spec's weighting classes and
// margins (nonresponse classes, post-strata, raking and calibration
// margins), in step order, repeats included.
func (s *Spec) ClassSets() [][]string {
	var out [][]string
	for _, st := range s.Steps {
		switch {
		case st.Nonresponse != nil:
			out = append(out, st.Nonresponse.Classes)
		case st.PostStratify != nil:
			out = append(out, st.PostStratify.By)
		case st.Rake != nil:
			for _, m := range st.Rake.Margins {
				out = append(out, m.By)
			}
		case st.Calibrate != nil:
			for _, m := range st.Calibrate.Margins {
				out = append(out, m.By)
			}
		}
	}
	return out
}

// Columns lists every input column the spec reads — the design weight,
// the classes and margins, the response flags, the calibration variables
// (sorted; then a step's variance, aggregate and bounds columns) and the replicate
// design's strata, PSU and fpc — each once, in
// that order, so that a reader can load only those.
func (s *Spec) Columns() []string {
	var c []string
	add := func(names ...string) {
		for _, n := range names {
			if n != "" && !slices.Contains(c, n) {
				c = append(c, n)
			}
		}
	}
	add(s.DesignWeight)
	for _, set := range s.ClassSets() {
		add(set...)
	}
	for _, st := range s.Steps {
		if nr := st.Nonresponse; nr != nil {
			add(nr.Responded, nr.Returned)
		}
		if cal := st.Calibrate; cal != nil {
			add(slices.Sorted(maps.Keys(cal.Numeric))...)
			add(cal.Variance, cal.Aggregate)
			if cal.BoundsColumns != nil {
				add(cal.BoundsColumns[:]...)
			}
		}
	}
	if r := s.Replicates; r != nil {
		add(r.Strata, r.PSU, r.FPC)
	}
	return c
}

// Step is one weighting step; exactly one field is non-nil.
type Step struct {
	Nonresponse  *NonresponseStep
	PostStratify *PostStratifyStep
	Rake         *RakeStep
	Calibrate    *CalibrateStep
	Trim         *TrimStep
}

// Kind returns the JSON name of the step ("nonresponse", "poststratify",
// "rake", "calibrate" or "trim").
func (s Step) Kind() string {
	switch {
	case s.Nonresponse != nil:
		return "nonresponse"
	case s.PostStratify != nil:
		return "poststratify"
	case s.Rake != nil:
		return "rake"
	case s.Calibrate != nil:
		return "calibrate"
	case s.Trim != nil:
		return "trim"
	}
	return ""
}

// MarginSpec is a set of population counts by the categories of one or more
// columns. With several columns a key joins the values with ":" in the order
// of By ("Hà Nội:commune").
type MarginSpec struct {
	By     []string
	Totals map[string]float64
}

// NonresponseStep scales respondents' weights by issued/responded weight in
// each class of Classes. Responded names a column that is true (or 1, or
// "yes"/"true"/"1") for rows whose ballot is used. Returned optionally names a
// column marking returned ballots (valid or not), used only for the response
// rates; without it returned = responded. (Returned is an addition to the
// CLI.md schema.)
type NonresponseStep struct {
	Classes   []string
	Responded string
	Returned  string
}

// PostStratifyStep is survey::postStratify to one margin.
type PostStratifyStep struct {
	MarginSpec
}

// RakeStep is iterative proportional fitting to several margins.
type RakeStep struct {
	Margins []MarginSpec
	MaxIter int     // sweeps; 0 means 100
	Epsilon float64 // relative tolerance on every margin cell; 0 means 1e-10
}

// CalibrateStep is calibration (Deville & Särndal 1992) to category margins
// and numeric totals, as survey::calibrate.
type CalibrateStep struct {
	Method string      // "linear" (default), "raking" or "logit"
	Bounds *[2]float64 // bounds on g = final/initial weight; required by logit
	// BoundsConst makes Bounds bounds on the final weights themselves (R
	// bounds.const = TRUE): g_i in [lower/w_i, upper/w_i].
	BoundsConst bool
	// BoundsColumns names two columns of per-row bounds [lower, upper] on
	// g (R bounds = list(lower =, upper =)); excludes Bounds.
	BoundsColumns *[2]string
	// Variance names a column of working-model variances σ²_i > 0 (R
	// calibrate(variance =)); "" means 1.
	Variance string
	// Aggregate names a cluster column: g is kept constant within its
	// clusters (R calibrate(aggregate.stage =)); "" means none.
	Aggregate string
	Trim      *[2]float64 // g trimmed to [lower, upper] after calibrating (R calibrate(trim =))
	Margins   []MarginSpec
	Numeric   map[string]float64 // column -> population total
	MaxIter   int                // 0 means 50
	Epsilon   float64            // 0 means 1e-10
}

// TrimStep caps weights and redistributes the excess.
type TrimStep struct {
	Max          float64 // upper cap (absolute, or a multiple of the median); 0 means none
	Min          float64 // lower cap (absolute, or a multiple of the median); 0 means none
	RelativeTo   string  // "median" (default) or "absolute"
	Redistribute string  // "proportional" (default) or "equal" (survey::trimWeights)
	Strict       bool    // for "equal": repeat until no weight is outside (trimWeights(strict=TRUE))
}

// ReplicateSpec describes replicate weights to build from the design
// (parsed and validated; building them needs the sampling engine).
type ReplicateSpec struct {
	Type   string // jk1, jkn, bootstrap, brr, fay
	Strata string
	PSU    string
	FPC    string
	N      int      // bootstrap replicates
	Seed   uint64   // bootstrap seed
	Rho    *float64 // fay
}

// OutputSpec names the output columns.
type OutputSpec struct {
	Weight          string // default "weight"
	ReplicatePrefix string // default "repw_"
}

// ParseSpec reads a WEIGHTING.json strictly: unknown fields, duplicate keys,
// wrong types and out-of-range values are *SpecError values naming the JSON
// path (e.g. `steps[2].calibrate.bounds`).
func ParseSpec(r io.Reader) (*Spec, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("weighting: reading WEIGHTING.json: %w", err)
	}
	return ParseSpecBytes(b)
}

// ParseSpecBytes is ParseSpec on a byte slice.
func ParseSpecBytes(b []byte) (*Spec, error) {
	top, err := object(b, "")
	if err != nil {
		return nil, err
	}
	s := &Spec{Output: OutputSpec{Weight: "weight", ReplicatePrefix: "repw_"}}
	for _, f := range top {
		p := join("", f.key)
		switch f.key {
		case "design_weight":
			if s.DesignWeight, err = str(f.val, p); err != nil {
				return nil, err
			}
		case "steps":
			arr, err := jsonArray(f.val, p)
			if err != nil {
				return nil, err
			}
			for i, a := range arr {
				st, err := parseStep(a, fmt.Sprintf("%s[%d]", p, i))
				if err != nil {
					return nil, err
				}
				s.Steps = append(s.Steps, st)
			}
		case "replicates":
			if s.Replicates, err = parseReplicates(f.val, p); err != nil {
				return nil, err
			}
		case "output":
			o, err := object(f.val, p)
			if err != nil {
				return nil, err
			}
			for _, g := range o {
				q := join(p, g.key)
				switch g.key {
				case "weight":
					if s.Output.Weight, err = nonEmpty(g.val, q); err != nil {
						return nil, err
					}
				case "replicate_prefix":
					if s.Output.ReplicatePrefix, err = nonEmpty(g.val, q); err != nil {
						return nil, err
					}
				default:
					return nil, unknown(q)
				}
			}
		default:
			return nil, unknown(p)
		}
	}
	return s, nil
}

func parseStep(b []byte, path string) (Step, error) {
	o, err := object(b, path)
	if err != nil {
		return Step{}, err
	}
	if len(o) != 1 {
		return Step{}, specErr(path, "a step is an object with exactly one key (nonresponse, poststratify, rake, calibrate or trim), found %d", len(o))
	}
	f := o[0]
	p := join(path, f.key)
	var st Step
	switch f.key {
	case "nonresponse":
		st.Nonresponse, err = parseNonresponse(f.val, p)
	case "poststratify":
		var m MarginSpec
		m, err = parseMargin(f.val, p)
		st.PostStratify = &PostStratifyStep{m}
	case "rake":
		st.Rake, err = parseRake(f.val, p)
	case "calibrate":
		st.Calibrate, err = parseCalibrate(f.val, p)
	case "trim":
		st.Trim, err = parseTrim(f.val, p)
	default:
		return Step{}, &SpecError{Path: p, Msg: "unknown step; use nonresponse, poststratify, rake, calibrate or trim", Err: ErrUnknownField}
	}
	return st, err
}

func parseNonresponse(b []byte, path string) (*NonresponseStep, error) {
	o, err := object(b, path)
	if err != nil {
		return nil, err
	}
	n := &NonresponseStep{}
	for _, f := range o {
		p := join(path, f.key)
		switch f.key {
		case "classes":
			n.Classes, err = strList(f.val, p, true)
		case "responded":
			n.Responded, err = nonEmpty(f.val, p)
		case "returned":
			n.Returned, err = nonEmpty(f.val, p)
		default:
			return nil, unknown(p)
		}
		if err != nil {
			return nil, err
		}
	}
	if n.Responded == "" {
		return nil, specErr(join(path, "responded"), "missing: name the column that marks respondents")
	}
	return n, nil
}

func parseMargin(b []byte, path string) (MarginSpec, error) {
	o, err := object(b, path)
	if err != nil {
		return MarginSpec{}, err
	}
	var m MarginSpec
	for _, f := range o {
		p := join(path, f.key)
		switch f.key {
		case "by":
			m.By, err = strList(f.val, p, false)
		case "totals":
			m.Totals, err = totals(f.val, p, false)
		default:
			return MarginSpec{}, unknown(p)
		}
		if err != nil {
			return MarginSpec{}, err
		}
	}
	if len(m.By) == 0 {
		return MarginSpec{}, specErr(join(path, "by"), "missing: name at least one column")
	}
	if len(m.Totals) == 0 {
		return MarginSpec{}, specErr(join(path, "totals"), "missing: give the population count of every category")
	}
	for k := range m.Totals {
		if n := strings.Count(k, ":") + 1; len(m.By) > 1 && n != len(m.By) {
			return MarginSpec{}, specErr(join(path, "totals"), "key %q has %d part(s) but by has %d columns; join the values with \":\"", k, n, len(m.By))
		}
	}
	return m, nil
}

func parseMargins(b []byte, path string) ([]MarginSpec, error) {
	arr, err := jsonArray(b, path)
	if err != nil {
		return nil, err
	}
	var ms []MarginSpec
	for i, a := range arr {
		m, err := parseMargin(a, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func parseIterEps(f field, p string, maxIter *int, eps *float64) (bool, error) {
	switch f.key {
	case "max_iter":
		v, err := num(f.val, p)
		if err != nil {
			return true, err
		}
		if v < 1 || v != math.Trunc(v) || v > 1e7 {
			return true, specErr(p, "must be a positive integer, got %v", v)
		}
		*maxIter = int(v)
		return true, nil
	case "epsilon":
		v, err := num(f.val, p)
		if err != nil {
			return true, err
		}
		if !(v > 0 && v < 1) {
			return true, specErr(p, "must be in (0, 1), got %v", v)
		}
		*eps = v
		return true, nil
	}
	return false, nil
}

func parseRake(b []byte, path string) (*RakeStep, error) {
	o, err := object(b, path)
	if err != nil {
		return nil, err
	}
	r := &RakeStep{}
	for _, f := range o {
		p := join(path, f.key)
		if ok, err := parseIterEps(f, p, &r.MaxIter, &r.Epsilon); ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		switch f.key {
		case "margins":
			if r.Margins, err = parseMargins(f.val, p); err != nil {
				return nil, err
			}
		default:
			return nil, unknown(p)
		}
	}
	if len(r.Margins) == 0 {
		return nil, specErr(join(path, "margins"), "missing: give at least one margin")
	}
	return r, nil
}

func parseCalibrate(b []byte, path string) (*CalibrateStep, error) {
	o, err := object(b, path)
	if err != nil {
		return nil, err
	}
	c := &CalibrateStep{Method: "linear"}
	for _, f := range o {
		p := join(path, f.key)
		if ok, err := parseIterEps(f, p, &c.MaxIter, &c.Epsilon); ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		switch f.key {
		case "method":
			if c.Method, err = str(f.val, p); err != nil {
				return nil, err
			}
			if c.Method != "linear" && c.Method != "raking" && c.Method != "logit" {
				return nil, specErr(p, "unknown method %q; use linear, raking or logit", c.Method)
			}
		case "bounds":
			arr, err := jsonArray(f.val, p)
			if err != nil {
				return nil, err
			}
			if len(arr) != 2 {
				return nil, specErr(p, "must be [lower, upper], got %d numbers", len(arr))
			}
			var bd [2]float64
			for i := range arr {
				if bd[i], err = num(arr[i], fmt.Sprintf("%s[%d]", p, i)); err != nil {
					return nil, err
				}
			}
			c.Bounds = &bd
		case "bounds_const":
			if err := json.Unmarshal(f.val, &c.BoundsConst); err != nil {
				return nil, specErr(p, "must be true or false")
			}
		case "bounds_columns":
			arr, err := jsonArray(f.val, p)
			if err != nil {
				return nil, err
			}
			if len(arr) != 2 {
				return nil, specErr(p, "must be [lower column, upper column], got %d values", len(arr))
			}
			var bc [2]string
			for i := range arr {
				if bc[i], err = str(arr[i], fmt.Sprintf("%s[%d]", p, i)); err != nil {
					return nil, err
				}
			}
			c.BoundsColumns = &bc
		case "variance":
			if c.Variance, err = str(f.val, p); err != nil {
				return nil, err
			}
		case "aggregate":
			if c.Aggregate, err = str(f.val, p); err != nil {
				return nil, err
			}
		case "trim":
			arr, err := jsonArray(f.val, p)
			if err != nil {
				return nil, err
			}
			if len(arr) != 2 {
				return nil, specErr(p, "must be [lower, upper], got %d numbers", len(arr))
			}
			var tr [2]float64
			for i := range arr {
				if tr[i], err = num(arr[i], fmt.Sprintf("%s[%d]", p, i)); err != nil {
					return nil, err
				}
			}
			if !(tr[0] < 1 && 1 < tr[1]) {
				return nil, specErr(p, "trim [%v, %v] on final/initial weight must satisfy lower < 1 < upper", tr[0], tr[1])
			}
			c.Trim = &tr
		case "margins":
			if c.Margins, err = parseMargins(f.val, p); err != nil {
				return nil, err
			}
		case "numeric":
			if c.Numeric, err = totals(f.val, p, true); err != nil {
				return nil, err
			}
		default:
			return nil, unknown(p)
		}
	}
	if c.Bounds != nil {
		bd := c.Bounds
		switch {
		case c.BoundsColumns != nil:
			return nil, specErr(join(path, "bounds_columns"), "give bounds or bounds_columns, not both")
		case c.BoundsConst && !(0 <= bd[0] && bd[0] < bd[1]):
			return nil, specErr(join(path, "bounds"), "bounds [%v, %v] on the final weights must satisfy 0 ≤ lower < upper", bd[0], bd[1])
		case !c.BoundsConst && !(bd[0] < 1 && 1 < bd[1]):
			return nil, specErr(join(path, "bounds"), "bounds [%v, %v] on final/initial weight must satisfy lower < 1 < upper", bd[0], bd[1])
		}
	}
	if c.BoundsConst && c.Bounds == nil {
		return nil, specErr(join(path, "bounds_const"), "needs bounds [lower, upper] on the final weights")
	}
	if c.Method == "logit" && c.Bounds == nil && c.BoundsColumns == nil {
		return nil, specErr(join(path, "bounds"), "missing: logit calibration needs finite bounds [lower, upper], e.g. [0.5, 3]")
	}
	if len(c.Margins) == 0 && len(c.Numeric) == 0 {
		return nil, specErr(path, "give margins and/or numeric totals to calibrate to")
	}
	return c, nil
}

func parseTrim(b []byte, path string) (*TrimStep, error) {
	o, err := object(b, path)
	if err != nil {
		return nil, err
	}
	t := &TrimStep{RelativeTo: "median", Redistribute: "proportional"}
	for _, f := range o {
		p := join(path, f.key)
		switch f.key {
		case "max", "min":
			v, err := num(f.val, p)
			if err != nil {
				return nil, err
			}
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, specErr(p, "must be a positive number, got %v", v)
			}
			if f.key == "max" {
				t.Max = v
			} else {
				t.Min = v
			}
		case "relative_to":
			if t.RelativeTo, err = str(f.val, p); err != nil {
				return nil, err
			}
			if t.RelativeTo != "median" && t.RelativeTo != "absolute" {
				return nil, specErr(p, "unknown %q; use median or absolute", t.RelativeTo)
			}
		case "redistribute":
			if t.Redistribute, err = str(f.val, p); err != nil {
				return nil, err
			}
			if t.Redistribute != "proportional" && t.Redistribute != "equal" {
				return nil, specErr(p, "unknown %q; use proportional or equal", t.Redistribute)
			}
		case "strict":
			if err := json.Unmarshal(f.val, &t.Strict); err != nil {
				return nil, specErr(p, "must be true or false")
			}
		default:
			return nil, unknown(p)
		}
	}
	if t.Max == 0 && t.Min == 0 {
		return nil, specErr(join(path, "max"), "missing: give max (and/or min)")
	}
	if t.Max != 0 && t.Min != 0 && t.Min >= t.Max {
		return nil, specErr(join(path, "min"), "min %v must be below max %v", t.Min, t.Max)
	}
	return t, nil
}

func parseReplicates(b []byte, path string) (*ReplicateSpec, error) {
	o, err := object(b, path)
	if err != nil {
		return nil, err
	}
	r := &ReplicateSpec{}
	hasN := false
	for _, f := range o {
		p := join(path, f.key)
		switch f.key {
		case "type":
			r.Type, err = str(f.val, p)
		case "strata":
			r.Strata, err = nonEmpty(f.val, p)
		case "psu":
			r.PSU, err = nonEmpty(f.val, p)
		case "fpc":
			r.FPC, err = nonEmpty(f.val, p)
		case "n", "seed":
			var v float64
			if v, err = num(f.val, p); err != nil {
				return nil, err
			}
			if v < 0 || v != math.Trunc(v) || v > 1<<53 || (f.key == "n" && v < 2) {
				return nil, specErr(p, "must be a non-negative integer (n at least 2), got %v", v)
			}
			if f.key == "n" && v > MaxReplicates {
				return nil, specErr(p, "at most %d replicates (each is a column of weights held in memory), got %v", MaxReplicates, v)
			}
			if f.key == "n" {
				r.N, hasN = int(v), true
			} else {
				r.Seed = uint64(v)
			}
		case "rho":
			var v float64
			if v, err = num(f.val, p); err != nil {
				return nil, err
			}
			if !(v >= 0 && v < 1) {
				return nil, specErr(p, "Fay's rho must be in [0, 1), got %v", v)
			}
			r.Rho = &v
		default:
			return nil, unknown(p)
		}
		if err != nil {
			return nil, err
		}
	}
	switch r.Type {
	case "jk1":
	case "jkn", "brr", "fay", "bootstrap":
		if r.Strata == "" && r.Type != "bootstrap" {
			return nil, specErr(join(path, "strata"), "missing: %s replicates need a strata column", r.Type)
		}
	case "":
		return nil, specErr(join(path, "type"), "missing: use jk1, jkn, bootstrap, brr or fay")
	default:
		return nil, specErr(join(path, "type"), "unknown %q; use jk1, jkn, bootstrap, brr or fay", r.Type)
	}
	if r.PSU == "" {
		return nil, specErr(join(path, "psu"), "missing: name the PSU column")
	}
	if r.Type == "bootstrap" && !hasN {
		r.N = 200
	}
	if r.Type == "fay" && r.Rho == nil {
		return nil, specErr(join(path, "rho"), "missing: Fay's BRR needs rho, e.g. 0.5")
	}
	return r, nil
}

// ---- strict JSON helpers -------------------------------------------------

type field struct {
	key string
	val json.RawMessage
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func unknown(path string) error {
	return &SpecError{Path: path, Msg: "unknown field (see the WEIGHTING.json section of CLI.md)", Err: ErrUnknownField}
}

// object decodes a JSON object keeping key order and rejecting duplicates.
func object(b []byte, path string) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, specErr(path, "invalid JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, specErr(path, "must be a JSON object")
	}
	var out []field
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, specErr(path, "invalid JSON: %v", err)
		}
		k := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, specErr(join(path, k), "invalid JSON: %v", err)
		}
		if seen[k] {
			return nil, specErr(join(path, k), "duplicate key")
		}
		seen[k] = true
		out = append(out, field{k, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, specErr(path, "invalid JSON: %v", err)
	}
	if path == "" {
		if _, err := dec.Token(); err != io.EOF {
			return nil, specErr(path, "trailing data after the JSON object")
		}
	}
	return out, nil
}

func jsonArray(b []byte, path string) ([]json.RawMessage, error) {
	var a []json.RawMessage
	if err := json.Unmarshal(b, &a); err != nil || a == nil {
		return nil, specErr(path, "must be a JSON array")
	}
	return a, nil
}

func str(b []byte, path string) (string, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", specErr(path, "must be a string")
	}
	return s, nil
}

func nonEmpty(b []byte, path string) (string, error) {
	s, err := str(b, path)
	if err == nil && s == "" {
		err = specErr(path, "must not be empty")
	}
	return s, err
}

func num(b []byte, path string) (float64, error) {
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return 0, specErr(path, "must be a number")
	}
	return v, nil
}

func strList(b []byte, path string, allowEmpty bool) ([]string, error) {
	arr, err := jsonArray(b, path)
	if err != nil {
		return nil, specErr(path, "must be an array of column names")
	}
	if len(arr) == 0 && !allowEmpty {
		return nil, specErr(path, "must name at least one column")
	}
	out := make([]string, len(arr))
	seen := map[string]bool{}
	for i, a := range arr {
		q := fmt.Sprintf("%s[%d]", path, i)
		if out[i], err = nonEmpty(a, q); err != nil {
			return nil, err
		}
		if seen[out[i]] {
			return nil, specErr(q, "column %q named twice", out[i])
		}
		seen[out[i]] = true
	}
	return out, nil
}

func totals(b []byte, path string, signed bool) (map[string]float64, error) {
	o, err := object(b, path)
	if err != nil {
		return nil, err
	}
	m := make(map[string]float64, len(o))
	for _, f := range o {
		v, err := num(f.val, join(path, f.key))
		if err != nil {
			return nil, err
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || (!signed && v < 0) {
			return nil, specErr(join(path, f.key), "total must be a finite non-negative number, got %v", v)
		}
		m[f.key] = v
	}
	return m, nil
}

// MaxReplicates is the largest number of bootstrap replicates a spec may
// ask for: each replicate is a column of weights held in memory.
const MaxReplicates = 10_000
