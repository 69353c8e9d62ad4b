package weighting

import (
	"errors"
	"testing"
)

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(cliExample))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"steps": [{"trim": {"max": 3, "min": 0.5, "redistribute": "equal", "strict": true}}]}`))
	f.Add([]byte(`{"replicates": {"type": "fay", "strata": "s", "psu": "p", "rho": 0.5}}`))
	f.Add([]byte(`{"steps": [{"calibrate": {"method": "logit", "bounds": [0.5, 2], "numeric": {"x": -1}, "max_iter": 20, "epsilon": 1e-9}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpecBytes(b)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error is not a *SpecError: %v", err)
			}
			return
		}
		for _, st := range s.Steps {
			if st.Kind() == "" {
				t.Fatal("empty step accepted")
			}
			if c := st.Calibrate; c != nil && c.Method == "logit" && c.Bounds == nil {
				t.Fatal("logit without bounds accepted")
			}
		}
	})
}
