// Package similar finds the names closest to a misspelt one, for "did you
// mean" hints: the edit distance between two strings and the pick of the
// nearest candidates. It is the one place the project measures how alike
// two names are.
package similar

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Distance is the optimal string alignment distance between a and b over
// runes: inserting, deleting or substituting a rune, or swapping two
// adjacent runes, each count one ("emial" is one from "email"). Runes are
// compared exactly.
func Distance(a, b string) int {
	ra, rb := runes(a), runes(b)
	// Three rows of the classic table are enough.
	prev2 := make([]int, len(rb)+1)
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
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// runes returns the runes of s (an invalid byte is one utf8.RuneError).
func runes(s string) []rune {
	out := make([]rune, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		out = append(out, r)
	}
	return out
}

// Closest returns the candidates nearest to name, compared
// case-insensitively (strings.ToLower of both), when they are at most
// maxDist away: every candidate at the smallest distance found, once each,
// in the order of candidates. Empty candidates are skipped. It returns nil
// when none is close enough.
func Closest(name string, candidates []string, maxDist int) []string {
	target := strings.ToLower(name)
	best := maxDist + 1
	var picks []string
	for _, c := range candidates {
		if c == "" {
			continue
		}
		d := Distance(target, strings.ToLower(c))
		switch {
		case d > maxDist:
		case d < best:
			best, picks = d, append(picks[:0], c)
		case d == best && !slices.Contains(picks, c):
			picks = append(picks, c)
		}
	}
	return picks
}
