package report

// Statuses returns every status, in the order reports list them.
func Statuses() []Status {
	return []Status{Succeeded, Failed, Skipped, NotAttempted, Unresolved}
}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case Succeeded, Failed, Skipped, NotAttempted, Unresolved:
		return true
	}
	return false
}

// Count returns the number of records of each status. Every status is
// present in the map, with zero when no record has it.
func Count(records []Record) map[Status]int {
	counts := make(map[Status]int, 5)
	for _, s := range Statuses() {
		counts[s] = 0
	}
	for _, r := range records {
		counts[r.Status]++
	}
	return counts
}

// Retried reports whether a rerun retries every record of this status:
// failed or not attempted ([Record.Retried] adds what verify found).
func (s Status) Retried() bool { return s == Failed || s == NotAttempted }
