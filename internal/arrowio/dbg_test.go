package arrowio

import (
	"path/filepath"
	"testing"
)

func TestDbgEmpty(t *testing.T) {
	p := filepath.Join(t.TempDir(), "e.xlsx")
	rawXLSX(t, p, nil, [2]string{"Sheet1", ""})
	_, err := ReadAll(p)
	t.Log(err)
}
