package plan

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/acs-bulk/acs-bulk/internal/similar"
)

// suggest returns a "did you mean" hint naming the candidates closest to
// name (case-insensitive edit distance, at most a third of name's length),
// or "" when none is close.
func suggest(name string, candidates []string) string {
	picks := similar.Closest(name, candidates, max(1, utf8.RuneCountInString(name)/3))
	if len(picks) == 0 {
		return ""
	}
	slices.Sort(picks)
	if len(picks) > 3 {
		picks = picks[:3]
	}
	for i, p := range picks {
		picks[i] = "'" + p + "'"
	}
	list := picks[0]
	if n := len(picks); n > 1 {
		list = strings.Join(picks[:n-1], ", ") + " or " + picks[n-1]
	}
	return "did you mean " + list + "?"
}
