package main

import (
	"flag"
	"fmt"

	"errors"
	"github.com/sipas-go/sipas/index"
)

// geoFlags are --geography and --crosswalk of trend and report: the
// province geography the domains are reported in (METHODOLOGY §8).
type geoFlags struct {
	geography, crosswalk string
}

func addGeoFlags(fs *flag.FlagSet) *geoFlags {
	g := &geoFlags{}
	fs.StringVar(&g.geography, "geography", "auto", "geography of the province domains: auto (each year its own), 2025 (old years re-aggregated to the 34 provinces with their weights) or 1997 (the 63; years up to 2024 only)")
	fs.StringVar(&g.crosswalk, "crosswalk", "", "province crosswalk CSV for --geography 2025 (columns name and province_2025, as the shared provinces.csv; default: the built-in one)")
	return g
}

// resolve parses --geography (a usage error) and loads --crosswalk (a
// bad-input error naming the file).
func (g *geoFlags) resolve() (index.Geography, index.Crosswalk, error) {
	geo, err := index.ParseGeography(g.geography)
	if err != nil {
		return 0, nil, usagef("--geography: %q is not one of 2025, 1997, auto", g.geography)
	}
	var cw index.Crosswalk
	if g.crosswalk != "" {
		if cw, err = index.LoadCrosswalk(g.crosswalk); err != nil {
			return 0, nil, badInput(fmt.Errorf("--crosswalk: %w", err))
		}
	}
	return geo, cw, nil
}

// geographyHint adds the flag that resolves an incompatible geography.
func geographyHint(err error) error {
	if errors.Is(err, index.ErrGeography) {
		return fmt.Errorf("%w; use --geography 2025 (the years up to 2024 re-aggregated to the 34 provinces)", err)
	}
	return err
}
