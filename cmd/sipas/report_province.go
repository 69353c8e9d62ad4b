package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/report"
)

// provinceReportFlags are the flags of `sipas report` that write the
// province reports instead of the national one.
type provinceReportFlags struct {
	province *string
	all      *bool
}

func addProvinceReportFlags(fs *flag.FlagSet) *provinceReportFlags {
	return &provinceReportFlags{
		province: fs.String("province", "", "write the report of one province (its indices against the nation and its region, its rank over the years, its criteria, strengths and weaknesses, its data quality) instead of the national one; any spelling of the province's name or its code"),
		all:      fs.Bool("all-provinces", false, "write the report of every province into its own folder of --out (code and name, e.g. 01-ha-noi), from one computation"),
	}
}

func (f *provinceReportFlags) set() bool { return *f.province != "" || *f.all }

// columns returns the domain column of the computation and the column the
// province reports break each province down by: by itself for the national
// report; the province column, and by unless it is that column, for the
// province reports.
func (f *provinceReportFlags) columns(by string) (domain, within string) {
	if !f.set() || by == provinceColumn {
		return by, ""
	}
	return provinceColumn, by
}

// provinceColumn is the column of the ballots' provinces.
const provinceColumn = "province"

func (f *provinceReportFlags) check() error {
	if *f.province != "" && *f.all {
		return usagef("give --province NAME or --all-provinces, not both")
	}
	if f.set() && strings.TrimSpace(*f.province) == "" && !*f.all {
		return usagef("--province: give a province name")
	}
	return nil
}

// write writes the province report(s) of data into the staged output
// directory, and commits it.
func (f *provinceReportFlags) write(e *env, data *report.Data, stage *arrowio.OutputDir, outName string, opt *report.Options, years string) error {
	out := stage.Path()
	if *f.all {
		folders, err := report.WriteProvincesDir(out, data, opt)
		if err != nil {
			return stage.Unstaged(err)
		}
		if err := stage.Commit(e.ctx); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "reports of %d provinces for %s written to %s/<code-name>/ (index.html, report.pdf, tables/*.csv, charts/*.png and *.svg)\n", len(folders), years, outName)
		return nil
	}
	p, err := data.Province(*f.province)
	if err != nil {
		var ue *report.UnknownProvinceError
		if errors.As(err, &ue) {
			msg := fmt.Sprintf("--province: %q is not a province of the report", ue.Name)
			if ue.Reason != "" {
				msg += " (" + ue.Reason + ")"
			}
			if len(ue.Near) > 0 {
				msg += "; did you mean " + strings.Join(ue.Near, ", ") + "?"
			}
			return badInput(errors.New(msg))
		}
		return err
	}
	if err := report.WriteProvinceDir(out, p, opt); err != nil {
		return stage.Unstaged(err)
	}
	if err := stage.Commit(e.ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "report of %s for %s written to %s (index.html, report.pdf, tables/*.csv, charts/*.png and *.svg)\n", p.Name, years, outName)
	return nil
}
