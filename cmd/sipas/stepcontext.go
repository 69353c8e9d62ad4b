package main

import (
	"errors"
	"fmt"

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
