#!/bin/sh
# The bad-input case of docs/sums.md's benchmarks in one command, from the
# repository root:
#
#   sh testdata/scale_badcsv.sh [DIR]
#
# writes to DIR (default /tmp/sipas-scale; ~2.5 GB) a CSV file of 9,000,900
# generated ballots (the scale data's shape: 22 criteria, 7 expectation
# items, 63 province strata x 20 PSUs) and a copy whose row 9,000,000
# (line 9,000,001) answers 7 to access_1, whose codes are 1 to 5 and 9;
# runs sipas index by province on the copy with an output file, and checks
# that it exits with status 2, names line 9,000,001 and the column, and
# writes no output file. It prints the exit status, the message, the CPU
# seconds (user + system), the wall seconds and the peak RSS; then the same
# for the good file, which streams to the end.
set -e
dir=${1:-/tmp/sipas-scale}
mkdir -p "$dir"
go build -o "$dir/sipas" ./cmd/sipas
[ -f "$dir/s9m.csv" ] || SIPAS_SCALE_FILE="$dir/s9m.csv" SIPAS_SCALE_BALLOTS=1000100 SIPAS_SCALE_COPIES=9 \
	go test ./index -run TestWriteScaleFile -count=1 -timeout 30m >/dev/null
if [ ! -f "$dir/bad9m.csv" ]; then
	awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "access_1") k = i }
		NR == 9000001 { $k = 7 } { print }' "$dir/s9m.csv" >"$dir/bad9m.csv.tmp"
	mv "$dir/bad9m.csv.tmp" "$dir/bad9m.csv"
fi
fail=0
for f in bad9m s9m; do
	out="$dir/$f.out.csv"
	rm -f "$out"
	set +e
	/usr/bin/time -f "%U %S %e %M" -o "$dir/time" "$dir/sipas" index --in "$dir/$f.csv" --weight weight \
		--strata stratum --psu psu --fpc fpc --by province --format csv --out "$out" 2>"$dir/stderr" >/dev/null
	code=$?
	set -e
	tail -1 "$dir/time" | awk -v f="$f" -v c="$code" '{ printf "%s: exit %d, %.2f s CPU, %.2f s wall, %d MB peak RSS\n", f, c, $1 + $2, $3, $4 / 1024 }'
	grep -v '^sipas index: stream' "$dir/stderr" | head -3
	if [ "$f" = bad9m ]; then
		if [ "$code" -ne 2 ] || [ -e "$out" ] || ! grep -q '9,\?000,\?001' "$dir/stderr" || ! grep -q 'access_1' "$dir/stderr"; then
			echo "FAIL: want exit 2, line 9000001 and access_1 named, no $out"
			fail=1
		fi
	elif [ "$code" -ne 0 ] || [ ! -s "$out" ]; then
		echo "FAIL: the good file did not run to the end"
		fail=1
	fi
	rm -f "$out" "$dir/time" "$dir/stderr"
done
exit $fail
