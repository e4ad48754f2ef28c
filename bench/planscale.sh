#!/bin/sh
# planscale.sh N [RUNS]: acs-bulk plan against a workspace of N memberships,
# side by side with the minimal hand-written client of ../shared/bench
# (planbaseline), the sandbox in its own process, alternating, RUNS times
# each (default 3). Prints each run's wall time and peak RSS, then the
# medians and their ratios. Needs python3 (the workload generator) and GNU
# time (/usr/bin/time). Workloads are cached in ${SCALE_DIR:-/tmp}/scale-N.
set -eu
n=${1:?usage: planscale.sh N [RUNS]}
runs=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$top/../shared/bench}
dir=${SCALE_DIR:-/tmp}/scale-$n
port=${PORT:-8799}
tmp=$(mktemp -d)
trap 'kill "$sandbox" 2>/dev/null; rm -rf "$tmp"' EXIT

[ -f "$dir/state.json" ] || python3 "$shared/perfgen.py" "$n" "$dir" >/dev/null
(cd "$top" && go build -o "$tmp/acs-bulk" ./cmd/acs-bulk)
(cd "$shared/planbaseline" && go build -o "$tmp/planbaseline" .)

"$tmp/acs-bulk" sandbox --state "$dir/state.json" --listen "127.0.0.1:$port" >"$tmp/env" 2>"$tmp/sandbox.log" &
sandbox=$!
while ! grep -q SEAM_API_KEY "$tmp/env" 2>/dev/null; do
	kill -0 "$sandbox" || { cat "$tmp/sandbox.log" >&2; exit 1; }
	sleep 0.2
done
. "$tmp/env"
export SEAM_ENDPOINT SEAM_API_KEY ACS_BULK_LOCK_DIR="$tmp/locks"

want=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["adds"], e["removes"], e["unchanged"])' "$dir/expected.json")
measure() { # NAME CMD...: one run; appends "wall rss" to $tmp/NAME
	name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	got=$(sed -n 's/^Plan: \([0-9]*\) to add, \([0-9]*\) to remove, \([0-9]*\) unchanged.*/\1 \2 \3/p; s/^adds \([0-9]*\) removes \([0-9]*\) unchanged \([0-9]*\)$/\1 \2 \3/p' "$tmp/out")
	[ "$got" = "$want" ] || { echo "$name printed '$got', want '$want'" >&2; exit 1; }
	cat "$tmp/t" >>"$tmp/r.$name"
	printf '%-12s %6s s %8s KB\n' "$name" $(cat "$tmp/t")
}
i=0
while [ "$i" -lt "$runs" ]; do
	measure acs-bulk "$tmp/acs-bulk" plan --file "$dir/desired.csv" --rate 0 --max-removals 100%
	measure baseline "$tmp/planbaseline" --file "$dir/desired.csv"
	i=$((i + 1))
done
median() { sort -n -k"$2" "$tmp/r.$1" | awk -v k="$2" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }
aw=$(median acs-bulk 1) am=$(median acs-bulk 2) bw=$(median baseline 1) bm=$(median baseline 2)
printf 'median at %d memberships: acs-bulk %.2f s %.0f MB, baseline %.2f s %.0f MB: %.2fx the wall time, %.2fx the peak memory\n' \
	"$n" "$aw" "$((am / 1024))" "$bw" "$((bm / 1024))" "$(echo "$aw / $bw" | bc -l)" "$(echo "$am / $bm" | bc -l)"
