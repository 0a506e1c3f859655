#!/usr/bin/env bash
# l_p row sampling in shell pipelines: regression coresets, their quality against the full data, an
# independent check, and k-medoids on many points through a coreset. Run from anywhere:
#   bash examples/sampling/regression.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
summary='import json, sys; r = json.load(sys.stdin); e = r["evaluation"]
print("%12s: %d of %d rows, residual ratio %.4f, distortion >= %.3f"
      % (r["method"], r["realised_size"], r["n"], e["ratio"], e["distortion"]["max"]))'

# 1. Least absolute deviations on the diabetes data from 100 of its 442 rows.
for method in lewis uniform; do
  optsuite solve sampling diabetes_A.csv --target diabetes_b.csv --p 1 --size 100 --method "$method" \
    --solve --evaluate --quiet | python3 -c "$summary"
done

# 2. A heavy-tailed design with rare columns on a few planted rows: uniform sampling misses them.
optsuite generate sampling --n 10000 --d 10 --heavy-tail --seed 1 --out "$tmp/design" > /dev/null
for method in sensitivity lewis uniform; do
  optsuite solve sampling "$tmp/design/A.csv" --target "$tmp/design/b.csv" --p 1.5 --size 300 \
    --method "$method" --solve --evaluate --quiet | python3 -c "$summary"
done

# 3. The sample as index,weight lines, and an independent check of the JSON result.
optsuite solve sampling diabetes_A.csv --target diabetes_b.csv --p 1 --size 100 --solve --quiet \
  --out "$tmp/sample.json"
optsuite check sampling diabetes_A.csv "$tmp/sample.json" --target diabetes_b.csv --quiet > /dev/null
echo "diabetes sample checked"
optsuite solve sampling diabetes_A.csv --p 1 --size 50 --quiet --out "$tmp/sample.csv"
echo "sample.csv: $(($(wc -l < "$tmp/sample.csv") - 1)) rows, first: $(sed -n 2p "$tmp/sample.csv")"

# 4. k-medoids of 50 000 points through a 2000-point coreset (no 50 000 x 50 000 matrix), and CLARA.
optsuite generate kmedoids --n 50000 --d 5 --centers 8 --seed 3 --out "$tmp/points.npy"
for how in "--coreset 2000" "--method clara"; do
  # shellcheck disable=SC2086
  optsuite solve kmedoids "$tmp/points.npy" --k 8 $how --quiet \
    | python3 -c "import json, sys; print('k-medoids $how: TD %.6g' % json.load(sys.stdin)['objective'])"
done
