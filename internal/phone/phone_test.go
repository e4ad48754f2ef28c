package phone

import "testing"

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"+15550100100":      "+15550100100",
		"+1 (555) 010-0100": "+15550100100",
		" 555.010.0100 ":    "5550100100",
		"1+555":             "1555",
		"+":                 "",
		"":                  "",
		"n/a":               "",
		"+44 20 7946 0958 ": "+442079460958",
		"ext. 12":           "12",
	}
	for in, want := range cases {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
