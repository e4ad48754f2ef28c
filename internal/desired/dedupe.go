package desired

import (
	"cmp"
	"fmt"
	"slices"
)

// hashIdx pairs a hash with the index of the row it was computed from (and,
// for the identifier checks, the hash of the value that goes with the key).
// Sorting a slice of them groups equal keys together in file order, which
// costs far less time and memory than a map on a million rows, and comparing
// the value hashes in the sorted slice avoids reading the rows at random.
type hashIdx struct {
	h uint64
	v uint32 // 32 bits keep the pair at 16 bytes; see crossCheck
	i int32
}

// sortHashIdx orders p by the low 32 bits of the hashes, keeping file order
// among equal ones, with a least-significant-digit radix sort using tmp
// (grown as needed) as the second buffer. Equal hashes end up in one run of
// equal low bits (which other hashes may share: groups sorts that out). It
// returns the sorted slice and the other buffer, for reuse.
func sortHashIdx(p, tmp []hashIdx) (sorted, spare []hashIdx) {
	const bits = 8
	const size = 1 << bits
	if len(p) < 256 {
		slices.SortStableFunc(p, func(a, b hashIdx) int { return cmp.Compare(uint32(a.h), uint32(b.h)) })
		return p, tmp
	}
	tmp = slices.Grow(tmp[:0], len(p))[:len(p)]
	var count [size]int
	for shift := uint(0); shift < 32; shift += bits {
		clear(count[:])
		for _, e := range p {
			count[(e.h>>shift)&(size-1)]++
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for _, e := range p {
			d := (e.h >> shift) & (size - 1)
			tmp[count[d]] = e
			count[d]++
		}
		p, tmp = tmp, p
	}
	return p, tmp
}

// groups calls fn for each run of p (sorted by sortHashIdx) that holds
// more than one row, with, for every row after the first, the position in
// the run of the first row with the same full hash (-1 when there is none).
func groups(p []hashIdx, fn func(g []hashIdx, first []int)) {
	var first []int
	for start := 0; start < len(p); {
		end := start + 1
		for end < len(p) && uint32(p[end].h) == uint32(p[start].h) {
			end++
		}
		if end-start > 1 {
			g := p[start:end]
			first = slices.Grow(first[:0], len(g))[:len(g)]
			for a := range g {
				first[a] = -1
				for b := range a {
					if g[b].h == g[a].h {
						first[a] = b
						break
					}
				}
			}
			fn(g, first)
		}
		start = end
	}
}

// dedupe removes the rows that repeat an earlier row's values (the emails
// compared by email.Equal), warning about each one.
func (rd *reader) dedupe() {
	rows := rd.file.Rows
	if len(rows) < 2 {
		return
	}
	p := make([]hashIdx, len(rows))
	for i := range rows {
		p[i] = hashIdx{h: rd.rowHash(i), i: int32(i)}
	}
	// Keep both buffers for the identifier checks.
	p, rd.pairs2 = sortHashIdx(p, nil)
	rd.pairs = p
	var drop []bool
	groups(p, func(g []hashIdx, first []int) {
		for a := 1; a < len(g); a++ {
			if first[a] < 0 {
				continue
			}
			ra := &rows[g[a].i]
			// Almost always the rows of one hash are one row repeated: try
			// the first, which is never dropped, before the others.
			for b := first[a]; b < a; b++ {
				if g[b].h != g[a].h || drop != nil && drop[g[b].i] {
					continue
				}
				if rb := &rows[g[b].i]; rd.sameRow(int(g[b].i), int(g[a].i)) {
					if drop == nil {
						drop = make([]bool, len(rows))
					}
					drop[g[a].i] = true
					rd.warn(ra.Line, "", fmt.Sprintf("duplicate of line %d: kept once", rb.Line))
					break
				}
			}
		}
	})
	if drop == nil {
		return
	}
	extra := rd.extra
	w := 0
	for i := range rows {
		if !drop[i] {
			rows[w] = rows[i]
			for _, col := range extra {
				col[w] = col[i]
			}
			w++
		}
	}
	clear(rows[w:])
	rd.file.Rows = rows[:w]
	if rd.file.Lists != nil {
		rd.file.Lists = rd.file.Lists[:w]
	}
	for a := range rd.file.Attrs {
		if rd.file.Attrs[a] != nil {
			rd.file.Attrs[a] = rd.file.Attrs[a][:w]
		}
	}
}
