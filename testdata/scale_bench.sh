#!/bin/sh
# The scale benchmark of docs/sums.md in one command, from the repository
# root:
#
#   sh testdata/scale_bench.sh [DIR]
#
# writes the generated data to DIR (default /tmp/sipas-scale; ~300 MB):
# 50,000 ballots as CSV for R, 1M and 10M ballots as Parquet (22 criteria,
# 7 expectation items, 63 province strata x 20 PSUs); runs R survey's
# svyby(svyratio) on the 50,000 (testdata/scale_r.R), then sipas index by
# province on 1M (three runs) and 10M (two runs), and prints CPU seconds
# (user + system), wall seconds and peak RSS of each, and the ratios of
# sipas's throughput to R's per CPU second and per wall second.
set -e
dir=${1:-/tmp/sipas-scale}
mkdir -p "$dir"
go build -o "$dir/sipas" ./cmd/sipas
[ -f "$dir/s50k.csv" ] || SIPAS_SCALE_FILE="$dir/s50k.csv" SIPAS_SCALE_BALLOTS=50000 go test ./index -run TestWriteScaleFile -count=1 >/dev/null
[ -f "$dir/s1m.parquet" ] || SIPAS_SCALE_FILE="$dir/s1m.parquet" go test ./index -run TestWriteScaleFile -count=1 >/dev/null
[ -f "$dir/s10m.parquet" ] || SIPAS_SCALE_FILE="$dir/s10m.parquet" SIPAS_SCALE_COPIES=10 go test ./index -run TestWriteScaleFile -count=1 >/dev/null
r=$(Rscript testdata/scale_r.R "$dir/s50k.csv" | awk '/^R_SECONDS/ {print $2, $4}')
echo "R, 50,000 ballots: $r (wall, cpu seconds of svyby)"
for f in s1m s1m s1m s10m s10m; do
	/usr/bin/time -f "$f %U %S %e %M" "$dir/sipas" index --in "$dir/$f.parquet" --weight weight \
		--strata stratum --psu psu --fpc fpc --by province --format csv 2>>"$dir/times" >/dev/null
done
grep -E '^s1?0?m' "$dir/times" | tail -5 | awk -v r="$r" '
	BEGIN { split(r, rr, " "); rwall = 50000 / rr[1]; rcpu = 50000 / rr[2] }
	{ n = ($1 == "s1m") ? 1e6 : 1e7; cpu = $2 + $3
	  printf "%s: %.2f s CPU, %.2f s wall, %d MB peak RSS; %.0fx R per CPU second, %.0fx per wall second\n",
		$1, cpu, $4, $5 / 1024, n / cpu / rcpu, n / $4 / rwall }'
rm -f "$dir/times"
