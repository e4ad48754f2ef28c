package report

// Statuses returns every status, in the order reports list them.
func Statuses() []Status {
	return []Status{Succeeded, Failed, Skipped, NotAttempted}
}

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case Succeeded, Failed, Skipped, NotAttempted:
		return true
	}
	return false
}

// Count returns the number of records of each status. Every status is
// present in the map, with zero when no record has it.
func Count(records []Record) map[Status]int {
	counts := make(map[Status]int, 4)
	for _, s := range Statuses() {
		counts[s] = 0
	}
	for _, r := range records {
		counts[r.Status]++
	}
	return counts
}
