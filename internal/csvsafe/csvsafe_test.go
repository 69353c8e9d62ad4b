package csvsafe

import "testing"

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"Hà Nội":                  "Hà Nội",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+cmd|' /C calc'!A0":      "'+cmd|' /C calc'!A0",
		"-2+3":                    "'-2+3",
		"@SUM(A1)":                "'@SUM(A1)",
		"\t=1":                    "'\t=1",
		"\r=1":                    "'\r=1",
		"＝1+1":                    "'＝1+1",
		"-3.5":                    "-3.5",
		"+4":                      "+4",
		"-1e-3":                   "-1e-3",
		"-.5":                     "-.5",
		"-":                       "'-",
		"-e5":                     "'-e5",
		"-1e":                     "'-1e",
		"1=1":                     "1=1",
		"'=x":                     "'=x",
		"-1,5":                    "-1,5",       // a Vietnamese decimal
		"-31.581,25":              "-31.581,25", // with dot thousands
		"-1,5+2":                  "'-1,5+2",
		"-1,":                     "'-1,",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCell(f *testing.F) {
	for _, s := range []string{"=1", "-3.5", "abc", "-", "+1e5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Cell(s)
		if NeedsGuard(c) {
			t.Errorf("Cell(%q) = %q still needs a guard", s, c)
		}
		if c != s && c != "'"+s {
			t.Errorf("Cell(%q) = %q", s, c)
		}
	})
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{"": "", "Hà Nội": "Hà Nội", "+1": "'+1", "-3.5": "'-3.5",
		"=1+1": "'=1+1", "@x": "'@x", "\tx": "'\tx", "＝1": "'＝1", "a=b": "a=b", "12": "12"} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
