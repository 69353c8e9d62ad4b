package main

import (
	"errors"
	"fmt"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// stepContext names the --weighting file in the error of one of its
// steps, as the in-memory run's message does (the steps run on the cells
// of a streamed run); any other error is returned as it is.
func (f *designFlags) stepContext(err error) error {
	var se *weighting.StepError
	if f.weighting == "" || !errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("--weighting %s: %w", f.weighting, err)
}

// weightingContext names the --weighting file in an error of weighting a
// design, unless it is the design's own (a PSU in two strata, an fpc
// that varies within a stratum: the design flags or the data are at
// fault, not the weighting), as a streamed run's message does.
func (f *designFlags) weightingContext(err error) error {
	var se *weighting.StepError
	if !errors.As(err, &se) {
		for _, d := range []error{sampling.ErrNotNested, sampling.ErrLonelyPSU, sampling.ErrBadFPC, sampling.ErrBadDesign} {
			if errors.Is(err, d) {
				return err
			}
		}
	}
	return fmt.Errorf("--weighting %s: %w", f.weighting, err)
}
