package plan

import (
	"slices"
	"strings"
)

// suggest returns a "did you mean" hint naming the candidates closest to
// name (case-insensitive edit distance), or "" when none is close.
func suggest(name string, candidates []string) string {
	target := strings.ToLower(name)
	limit := max(1, len([]rune(target))/3)
	best := limit + 1
	var picks []string
	for _, c := range candidates {
		if c == "" {
			continue
		}
		d := editDistance(target, strings.ToLower(c))
		switch {
		case d > limit:
		case d < best:
			best, picks = d, []string{c}
		case d == best && !slices.Contains(picks, c):
			picks = append(picks, c)
		}
	}
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

// editDistance is the Levenshtein distance between a and b, over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
