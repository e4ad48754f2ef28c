#!/bin/sh
# acs-bulk-nightly.sh: apply a nightly desired-state CSV with acs-bulk, keep
# the last $KEEP report directories, and alert when the run did not succeed.
#
# Each run gets its own report directory, $RUNS/<UTC time>-<pid>, holding
# acs-bulk's plan.json, journal.jsonl, report.json, report.csv and
# failures.csv, plus acs-bulk's stderr in acs-bulk.log (JSON lines, errors
# with their exit_code) and its stdout in summary.txt. The script exits with
# acs-bulk's exit status:
#
#   0  every operation succeeded (or was already satisfied): no alert
#   1  runtime failure (network, authentication, server, file system, lock)
#   2  the CSV is invalid: nothing was changed
#   3  partial failure: rows of the CSV that did not resolve (the alert says
#      which, where: fix the CSV), or operations that failed (see
#      failures.csv, then acs-bulk rerun --from DIR --yes)
#   4  a safety guard refused the plan (--max-removals, --max-adds, an
#      emptied group, an empty input): nothing was changed; the refused plan
#      is in DIR/refused-plan.json
#   130 interrupted (SIGINT/SIGTERM): the reports were written
#
# On every exit acs-bulk also writes $METRICS in the Prometheus text format
# (point node_exporter's textfile collector at its directory): the last
# run's time and exit status, the last success, what it did.
#
# Configuration, by environment variable (defaults below):
#   ACS_BULK       the acs-bulk binary
#   CSV            the desired-state CSV or HR export; several, one a line
#                  (an export per site), each given to acs-bulk as --file
#   RULES          the access rules file (--rules), if any
#   COLUMN_MAP     column mappings, one OURS=THEIRS a line (each a --column),
#                  e.g. 'email=Work Email'; values may hold spaces
#   RUNS           where the report directories go
#   KEEP           how many report directories to keep (0: never prune)
#   ALERT          alert command; the one-line message is its last argument
#   MAX_ADDS       --max-adds: the most memberships one night may add (a
#                  count, or a percentage of the memberships in scope)
#   METRICS        --metrics-file (empty: none)
#   ACS_BULK_ARGS  extra apply flags, split on blanks (e.g. "--max-removals 25")
# and, for acs-bulk itself, SEAM_API_KEY (or SEAM_PERSONAL_ACCESS_TOKEN with
# SEAM_WORKSPACE_ID) and optionally SEAM_ENDPOINT.
#
# To mail the alert instead of logging it, give ALERT a command that reads
# its last argument, for example:
#   ALERT='sh -c "printf \"%s\\n\" \"\$1\" | mail -s acs-bulk ops@example.com" alert'

set -u

ACS_BULK="${ACS_BULK:-acs-bulk}"
CSV="${CSV:-/var/lib/acs-bulk/nightly.csv}"
RUNS="${RUNS:-/var/lib/acs-bulk/runs}"
KEEP="${KEEP:-30}"
ALERT="${ALERT:-logger -t acs-bulk -p user.err}"
MAX_ADDS="${MAX_ADDS:-10%}"
METRICS="${METRICS-/var/lib/node_exporter/textfile/acs_bulk.prom}"
ACS_BULK_ARGS="${ACS_BULK_ARGS:-}"
RULES="${RULES:-}"
COLUMN_MAP="${COLUMN_MAP:-}"

LC_ALL=C # report directory names sort by time
export LC_ALL
umask 077 # the reports name people

prog=acs-bulk-nightly

# alert MESSAGE: print the message on stderr (cron mails it) and run $ALERT.
alert() {
	printf '%s: %s\n' "$prog" "$1" >&2
	# $ALERT is a command line: split it like a shell would, then add the message.
	if ! sh -c "$ALERT"' "$1"' "$prog" "$1"; then
		printf '%s: the alert command failed: %s\n' "$prog" "$ALERT" >&2
	fi
}

case "$KEEP" in
'' | *[!0-9]*)
	alert "KEEP must be a number of report directories, not '$KEEP'; nothing was run"
	exit 2
	;;
esac

dir="$RUNS/$(date -u +%Y%m%dT%H%M%SZ)-$$"
if ! mkdir -p "$dir"; then
	alert "exit 1: cannot create the report directory $dir; nothing was run"
	exit 1
fi

# The input arguments: a --file per line of $CSV, --rules, a --column per
# line of $COLUMN_MAP (split at line breaks only, never globbed).
set -f
set --
old_ifs=$IFS
IFS='
'
for f in $CSV; do set -- "$@" --file "$f"; done
if [ -n "$RULES" ]; then set -- "$@" --rules "$RULES"; fi
for m in $COLUMN_MAP; do set -- "$@" --column "$m"; done
IFS=$old_ifs
inputs=$(printf '%s' "$CSV" | tr '\n' ' ')
set -- "$@" --yes --log-format json --report-dir "$dir" --max-adds "$MAX_ADDS"
if [ -n "$METRICS" ]; then set -- "$@" --metrics-file "$METRICS"; fi

# ACS_BULK_ARGS is split on blanks on purpose (but not globbed).
# shellcheck disable=SC2086
"$ACS_BULK" apply "$@" $ACS_BULK_ARGS \
	>"$dir/summary.txt" 2>"$dir/acs-bulk.log"
code=$?
set +f

# unresolved: the FILE:LINE of the rows that did not resolve, from the log
# (acs-bulk warns once per row), the first five and a count.
unresolved() {
	sed -n 's/.*"msg":"\([^"]*:[0-9][0-9]*\): .*(skipped: the row did not resolve)".*/\1/p' "$dir/acs-bulk.log" |
		awk '{ n++; if (n <= 5) s = s (n > 1 ? ", " : "") $0 } END { if (n > 5) s = s ", and " n - 5 " more"; if (n) print n " rows of the CSV did not resolve (" s ")" }'
}

case "$code" in
0) ;;
1) alert "exit 1: runtime failure (network, authentication, server, file system or lock): see $dir/acs-bulk.log" ;;
2) alert "exit 2: invalid input $inputs: nothing was changed; see $dir/acs-bulk.log" ;;
3)
	rows=$(unresolved)
	if [ -n "$rows" ]; then
		alert "exit 3: $rows: fix them in the CSV (a rerun cannot); see $dir/failures.csv"
	fi
	if grep -qE ' [1-9][0-9]* (failed|not attempted)' "$dir/summary.txt" || [ -z "$rows" ]; then
		alert "exit 3: partial failure: see $dir/failures.csv; retry with: $ACS_BULK rerun --from $dir --yes"
	fi
	;;
4) alert "exit 4: a safety guard refused the plan: nothing was changed; see $dir/acs-bulk.log and $dir/refused-plan.json" ;;
130) alert "exit 130: interrupted: the reports are in $dir; finish with: $ACS_BULK rerun --from $dir --yes" ;;
*) alert "exit $code: unexpected failure: see $dir/acs-bulk.log" ;;
esac

# Keep the newest $KEEP report directories (names sort by time).
if [ "$KEEP" -gt 0 ]; then
	n=0
	for d in "$RUNS"/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z*; do
		[ -d "$d" ] && n=$((n + 1))
	done
	for d in "$RUNS"/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z*; do
		[ "$n" -gt "$KEEP" ] || break
		[ -d "$d" ] || continue
		if rm -rf -- "$d"; then
			n=$((n - 1))
		else
			printf '%s: cannot remove old report directory %s\n' "$prog" "$d" >&2
			break
		fi
	done
fi

exit "$code"
