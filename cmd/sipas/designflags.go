package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// designFlags are the survey design flags of CLI.md, shared by estimate,
// index, trend and report.
type designFlags struct {
	weight, strata, psu, fpc string
	pps, jointProb           string
	lonely                   string
	domainLonely             bool
	variance                 string
	replicates, repDF        int
	seed                     uint64
	repweights, repType      string
	repScale, fayRho         float64
	repRScales               string
	nest, mse                bool
	weighting                string
	ci                       string
	level                    float64
	df                       string

	wspec *weighting.Spec // the parsed --weighting spec (set by spec())
	dfr   sampling.DFRule // the parsed --df (set by spec())

	// prov, when set, makes read canonicalise the province column when
	// one of provUsed (the domain columns) or the strata is that column.
	prov     *provinceFlags
	provUsed []string
	notes    *runNotes
}

// addDesignFlags registers the design flags on fs.
func addDesignFlags(fs *flag.FlagSet) *designFlags {
	f := &designFlags{}
	fs.StringVar(&f.weight, "weight", "", "final weight column; none: every row weighs 1 (absent: index, trend and report use the weight the file records from sipas weight, or its column 'weight', and say so; other commands weigh every row 1)")
	fs.StringVar(&f.strata, "strata", "", "stratum column (absent: one stratum)")
	fs.StringVar(&f.psu, "psu", "", "primary sampling unit (cluster) column (absent: each row is its own PSU); a multistage design lists a column per stage, psu,ssu,..")
	fs.StringVar(&f.fpc, "fpc", "", "finite population correction column: PSUs in the stratum, or a fraction ≤ 1; with several --psu stages one per stage, fpc1,fpc2,.. (R's full multistage variance)")
	fs.StringVar(&f.pps, "pps", "", "first stage sampled with probability proportional to size without replacement: brewer, overton or ht (R svydesign(pps =)); --fpc then holds each PSU's inclusion probability")
	fs.StringVar(&f.jointProb, "joint-prob", "", "for --pps ht: table of joint inclusion probabilities (columns psu_a, psu_b, pi)")
	fs.StringVar(&f.lonely, "lonely-psu", "fail", "strata with one PSU: fail, remove, certainty, adjust or average (R survey.lonely.psu)")
	fs.BoolVar(&f.domainLonely, "adjust-domain-lonely", false, "treat a stratum where a domain holds one PSU of several as lonely for that domain (R survey.adjust.domain.lonely)")
	fs.StringVar(&f.variance, "variance", "linearization", "variance method: linearization, jk1, jkn, bootstrap, subbootstrap, brr or fay")
	fs.IntVar(&f.replicates, "replicates", 0, fmt.Sprintf("bootstrap replicates (default 50, at most %d)", maxReplicates))
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the bootstrap replicates")
	fs.StringVar(&f.repweights, "repweights", "", "use replicate weight columns PREFIX1..PREFIXR in the data")
	fs.StringVar(&f.repType, "rep-type", "other", "type of --repweights: jk1, jkn, bootstrap, brr, fay or other")
	fs.Float64Var(&f.repScale, "rep-scale", 0, "overall scale of the replicate variance (default: by --rep-type, as R svrepdesign)")
	fs.StringVar(&f.repRScales, "rep-rscales", "", "per-replicate scales, comma-separated (needed for --rep-type jkn)")
	fs.Float64Var(&f.fayRho, "fay-rho", 0, "Fay's rho for --variance fay or --rep-type fay (0 < rho < 1)")
	fs.BoolVar(&f.nest, "nest", false, "PSU ids are only unique within a stratum (R nest = TRUE)")
	fs.BoolVar(&f.mse, "mse", true, "replicate variance centred on the full-sample estimate (false: on the replicate mean, R's default)")
	fs.StringVar(&f.weighting, "weighting", "", "apply the steps of a WEIGHTING.json (from its design_weight) before estimating: linearized SEs use the calibration residuals; with a replicate --variance (built from the design flags; the spec's \"replicates\" are for 'sipas weight') every step is re-run on every replicate")
	fs.StringVar(&f.ci, "ci", "", "confidence interval: wald, logit, beta, xlogit, asin, wilson or likelihood")
	fs.Float64Var(&f.level, "level", 0.95, "confidence level")
	fs.StringVar(&f.df, "df", "design", "degrees of freedom of the intervals: design (PSUs − strata of the design), domain (each domain's PSUs − strata, R's degf(subset(design, domain))) or normal (the normal quantile, R confint's default)")
	return f
}

// spec returns the design spec of the flags; errors are usage errors.
func (f *designFlags) spec() (*sampling.DesignOptions, error) {
	dfr, err := sampling.ParseDFRule(f.df)
	if err != nil {
		return nil, usagef("--df: %q is not one of design, domain, normal", f.df)
	}
	f.dfr = dfr
	lonely, err := sampling.ParseLonelyPSU(f.lonely)
	if err != nil {
		return nil, usagef("--lonely-psu: %q is not one of fail, remove, certainty, adjust, average", f.lonely)
	}
	v, err := sampling.ParseVarianceMethod(f.variance)
	if err != nil || v == sampling.SuppliedReplicates {
		return nil, usagef("--variance: %q is not one of linearization, jk1, jkn, bootstrap, subbootstrap, brr, fay", f.variance)
	}
	if f.replicates < 0 || f.replicates > maxReplicates {
		return nil, usagef("--replicates must be between 1 and %d (each replicate is a column of weights held in memory), got %d", maxReplicates, f.replicates)
	}
	if v == sampling.Fay && !(f.fayRho > 0 && f.fayRho < 1) {
		return nil, usagef("--variance fay needs --fay-rho between 0 and 1, got %v", f.fayRho)
	}
	if f.weighting != "" {
		switch {
		case f.weight != "":
			return nil, usagef("--weight and --weighting exclude each other: the weighting spec's design_weight is the starting weight and its steps make the final weight")
		case f.repweights != "":
			return nil, usagef("--repweights and --weighting exclude each other: with --weighting, choose a replicate --variance and every step is re-run on every replicate")
		}
		ws, err := loadWeightingSpec(f.weighting)
		if err != nil {
			return nil, err
		}
		f.wspec = ws
	}
	psu, fpc, stages, err := f.stages()
	if err != nil {
		return nil, err
	}
	weight := f.weight
	if weight == "none" {
		weight = "" // unweighted on purpose
	}
	s := &sampling.DesignOptions{
		Weight: weight, Strata: f.strata, PSU: psu, FPC: fpc, Stages: stages, Nest: f.nest, Lonely: lonely, AdjustDomainLonely: f.domainLonely,
		Variance: v, Replicates: f.replicates, RepDF: f.repDF, Seed: f.seed, FayRho: f.fayRho,
		RepWeightsPrefix: f.repweights, RepType: f.repType, RepScale: f.repScale,
	}
	if err := f.ppsSpec(s); err != nil {
		return nil, err
	}
	if f.repweights != "" {
		switch strings.ToLower(f.repType) {
		case "jk1", "jkn", "bootstrap", "brr", "fay", "other":
		default:
			return nil, usagef("--rep-type: %q is not one of jk1, jkn, bootstrap, brr, fay, other", f.repType)
		}
		if v != sampling.Linearization {
			return nil, usagef("--repweights and --variance %s exclude each other", f.variance)
		}
	}
	if f.repRScales != "" {
		for _, p := range strings.Split(f.repRScales, ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, usagef("--rep-rscales: %q is not a number", p)
			}
			s.RepRScales = append(s.RepRScales, x)
		}
	}
	mse := f.mse
	s.MSE = &mse
	return s, nil
}

// ciMethod returns the --ci method, def when the flag is empty.
func (f *designFlags) ciMethod(def sampling.CIMethod) (sampling.CIMethod, error) {
	if f.ci == "" {
		return def, nil
	}
	m, err := sampling.ParseCIMethod(f.ci)
	if err != nil {
		return 0, usagef("--ci: %q is not one of wald, logit, beta, xlogit, asin, wilson, likelihood", f.ci)
	}
	return m, nil
}

// confLevel returns --level, checked.
func (f *designFlags) confLevel() (float64, error) {
	if !(f.level > 0 && f.level < 1) {
		return 0, usagef("--level must be between 0 and 1, got %v", f.level)
	}
	return f.level, nil
}

// stages splits --psu psu,ssu,.. and --fpc fpc1,fpc2,.. into the first
// stage and the later ones: one fpc per stage, or none.
func (f *designFlags) stages() (psu, fpc string, later []sampling.Stage, err error) {
	ps, fs := splitList(f.psu), splitList(f.fpc)
	if len(ps) <= 1 {
		if len(fs) > 1 {
			return "", "", nil, usagef("--fpc lists %d columns but --psu names %d stage; give one fpc column per --psu stage", len(fs), len(ps))
		}
		return f.psu, f.fpc, nil, nil
	}
	if len(fs) != 0 && len(fs) != len(ps) {
		return "", "", nil, usagef("--psu names %d stages but --fpc %d columns; give one fpc column per stage (or none, for the ultimate-cluster variance)", len(ps), len(fs))
	}
	for i, u := range ps[1:] {
		st := sampling.Stage{Unit: u}
		if len(fs) > 0 {
			st.FPC = fs[i+1]
		}
		later = append(later, st)
	}
	if len(fs) > 0 {
		fpc = fs[0]
	}
	return ps[0], fpc, later, nil
}

// splitList splits a comma-separated flag value, trimming spaces and
// dropping empty parts.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// columns returns the design columns named by the flags (to read only what
// is needed).
func (f *designFlags) columns() []string {
	var c []string
	for _, s := range []string{f.weight, f.strata} {
		if s != "" && s != "none" {
			c = append(c, s)
		}
	}
	c = append(c, splitList(f.psu)...)
	c = append(c, splitList(f.fpc)...)
	if f.wspec != nil {
		c = append(c, f.wspec.Columns()...)
	}
	return c
}

// design builds the survey design of spec (from spec()) over rec and
// returns it with the record to estimate from (the caller releases it):
// sampling.NewDesign over rec itself, or with --weighting
// weighting.NewDesign, whose linearized or replicate variances account for
// the weighting steps.
func (f *designFlags) design(ctx context.Context, rec arrow.RecordBatch, spec *sampling.DesignOptions) (*sampling.Design, arrow.RecordBatch, error) {
	if f.wspec == nil {
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			return nil, nil, badInput(designHint(err))
		}
		if d.Rows() > 0 && d.WeightsSum() == 0 {
			// every estimate would be undefined (0/0)
			return nil, nil, badInput(fmt.Errorf("weight column %q: every weight is 0, so nothing can be estimated", spec.Weight))
		}
		rec.Retain()
		return d, rec, nil
	}
	d, out, err := weighting.NewDesign(ctx, rec, f.wspec, spec)
	if err != nil {
		return nil, nil, badInput(f.weightingContext(designHint(err)))
	}
	return d, out, nil
}

// recordedWeight chooses the weight when the design flags name none (no
// --weight, --weighting or --repweights): the final weight column that
// sipas weight recorded in the first file's schema metadata (a CSV's
// sidecar), else the
// file's column "weight". The choice is said on stderr and kept in notes;
// --weight none asks for an unweighted run. A file that records a
// weighting but lacks its weight column is refused: the numbers would be
// unweighted without anyone asking.
func (f *designFlags) recordedWeight(e *env, ins []string, spec *sampling.DesignOptions, notes *runNotes) error {
	if f.weight != "" || f.weighting != "" || f.repweights != "" || len(ins) == 0 || ins[0] == "-" {
		return nil
	}
	r, err := arrowio.Open(ins[0])
	if err != nil {
		return nil // the read reports it
	}
	sch := r.Schema()
	r.Close()
	md, err := tableMetadata(ins[0]) // a CSV's sidecar
	if err != nil {
		return err
	}
	wr, err := weighting.RecordFrom(md)
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", ins[0], err))
	}
	name, why := "", ""
	if err := nearMiss(sch, ins[0], "weight", "--weight"); err != nil && (wr == nil || wr.Weight == "" || wr.Weight == "weight") {
		return err // "Weight" would have been an unweighted run without a word
	}
	switch {
	case wr != nil && wr.Weight != "" && schemaHas(sch, wr.Weight):
		name, why = wr.Weight, "the final weight that sipas weight recorded in the file"
	case schemaHas(sch, "weight"):
		name, why = "weight", "the file's weight column"
	case wr != nil:
		return badInput(fmt.Errorf("%s: the file records a weighting (%s) but has no column %q to weight by; give --weight COLUMN, or --weight none for an unweighted run", ins[0], weighting.MetadataKey, wr.Weight))
	default:
		return nil
	}
	f.weight, spec.Weight = name, name
	notes.note(e.stderr, "weighted by column %q, %s (--weight none for an unweighted run)", name, why)
	return nil
}

// designHint adds the flag that fixes a design error of the library.
func designHint(err error) error {
	switch {
	case errors.Is(err, sampling.ErrNotNested):
		return fmt.Errorf("%w (--nest)", err)
	case errors.Is(err, sampling.ErrLonelyPSU):
		return fmt.Errorf("%w (--lonely-psu)", err)
	}
	return err
}

// designJSON is the "design" block of the JSON outputs.
type designJSON struct {
	Rows       int     `json:"rows"`
	Strata     int     `json:"strata"`
	PSUs       int     `json:"psus"`
	DF         int     `json:"df"`
	Variance   string  `json:"variance"`
	Replicates int     `json:"replicates,omitempty"`
	WeightsSum jsonNum `json:"weights_sum"`
}

func describeDesign(d *sampling.Design) designJSON {
	return designJSON{Rows: d.Rows(), Strata: d.NStrata(), PSUs: d.NPSU(), DF: d.DF(),
		Variance: d.Variance().String(), Replicates: d.Replicates(), WeightsSum: jsonNum(d.WeightsSum())}
}

// jsonNum is a float written in Go's shortest round-trip form, null for
// NaN and ±Inf (CLI.md).
type jsonNum float64

func (v jsonNum) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads null back as NaN (the schema metadata of quality.go
// are read back by sipas report).
func (v *jsonNum) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = jsonNum(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*v = jsonNum(f)
	return nil
}

// domainJSON is a domain as a JSON object whose keys keep the order of the
// --by columns ({} for the whole population).
type domainJSON []sampling.DomainValue

func (d domainJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range d {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(v.Column)
		x, _ := json.Marshal(v.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(x)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// resolve checks the design flags once for a command: the design spec, the
// interval method (def when --ci is not given) and the confidence level.
func (f *designFlags) resolve(def sampling.CIMethod) (*sampling.DesignOptions, sampling.CIMethod, float64, error) {
	spec, err := f.spec()
	if err != nil {
		return nil, 0, 0, err
	}
	ci, err := f.ciMethod(def)
	if err != nil {
		return nil, 0, 0, err
	}
	level, err := f.confLevel()
	if err != nil {
		return nil, 0, 0, err
	}
	return spec, ci, level, nil
}

// read reads the table at path (only the columns cols and those of the
// design flags, unless replicate weight columns PREFIX1.. are wanted) and
// builds its design with design. The caller releases the record, which
// carries the final weight under --weighting.
func (f *designFlags) read(e *env, path string, spec *sampling.DesignOptions, cols []string) (*sampling.Design, arrow.RecordBatch, error) {
	opts := []arrowio.Option{e.in()}
	if spec.RepWeightsPrefix == "" {
		opts = append(opts, arrowio.WithColumns(estUnique(append(f.columns(), cols...))...))
	}
	raw, err := arrowio.ReadAll(path, opts...)
	if err != nil {
		return nil, nil, readError(err)
	}
	defer raw.Release()
	if f.prov != nil {
		canon, err := f.prov.canonical(e, path, raw, append([]string{f.strata}, f.provUsed...), f.notes)
		if err != nil {
			return nil, nil, err
		}
		defer canon.Release()
		raw = canon
	}
	d, rec, err := f.design(e.ctx, raw, spec)
	var ie *inputError
	if errors.As(err, &ie) {
		err = dataError(path, ie.err)
	}
	return d, rec, err
}

// questionnaireHint adds, to a missing-column error that names answer
// columns of q, how to describe a file of another layout.
func questionnaireHint(err error, q *index.Questionnaire) error {
	if err == nil || q == nil || !(errors.Is(err, arrowio.ErrMissingColumn) || errors.Is(err, index.ErrMissingColumn)) {
		return err
	}
	missing := 0
	for _, c := range q.Criteria {
		if strings.Contains(err.Error(), strconv.Quote(c.Column)) {
			missing++
		}
	}
	if missing == 0 {
		return err
	}
	return badInput(fmt.Errorf("%w; %d of the answer columns of questionnaire %s are not in the file: if the file has another layout (other column names, e.g. Vietnamese headers), describe it in a questionnaire file and give it with --questionnaire ('sipas questionnaire template' writes the built-in one to edit; docs/questionnaire.md)", err, missing, q.ID))
}

// questionnaireUsage is the help of --questionnaire.
const questionnaireUsage = "questionnaire JSON file, or the id of a built-in one (default " + index.DefaultQuestionnaireID + ")"

// indexFlags are the flags of the commands that compute the indices (index,
// trend, report): the questionnaire and the criterion score.
type indexFlags struct {
	questionnaire, score *string
}

func addIndexFlags(fs *flag.FlagSet) *indexFlags {
	return &indexFlags{
		questionnaire: fs.String("questionnaire", "", questionnaireUsage),
		score:         fs.String("score", "share", "criterion score: share (satisfied share) or mean (mean score rescaled to 0–100)"),
	}
}

// resolve parses --score (a bad value is bad usage) and loads
// --questionnaire (a bad file is bad input).
func (f *indexFlags) resolve() (index.Score, *index.Questionnaire, error) {
	sc, err := index.ParseScore(*f.score)
	if err != nil {
		return sc, nil, usagef("--score: %v", err)
	}
	q, err := loadQuestionnaireFlag(*f.questionnaire)
	if err != nil {
		return sc, nil, badInput(err)
	}
	return sc, q, nil
}

// Limits on sizes a user gives, so that a typo ends in a message naming
// the flag instead of an allocation the machine cannot hold.
const (
	maxReplicates = 10_000      // replicate weight columns
	maxDraws      = 100_000     // rank simulation draws (a draws × domains matrix)
	maxRegister   = 100_000_000 // demo register rows
)
