#!/usr/bin/env bash
# Matrix completion in shell pipelines: recover a synthetic low-rank matrix and check it against the
# truth, then fill in hidden pixels of real handwritten digits. Run from anywhere:
#   bash examples/completion/digits.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. A noiseless rank-5 matrix, 1000 x 800, with 2 n k ln n of its entries observed: recover it and
#    measure the error on the full matrix (from the truth factors, without forming the matrix).
optsuite generate completion --m 1000 --n 800 --rank 5 --c 2 --seed 7 --out "$tmp/toy" > /dev/null
optsuite solve completion "$tmp/toy.csv" --rank 5 --out "$tmp/toy_factors.npz" --quiet \
  | python3 -c 'import json, sys; r = json.load(sys.stdin); print("synthetic: %s after %d iterations, train RMSE %.2e" % (r["status"], r["iterations"], r["train_rmse"]))'
optsuite check completion "$tmp/toy.test.csv" "$tmp/toy_factors.npz" --truth "$tmp/toy.truth.npz" --quiet \
  | python3 -c 'import json, sys; r = json.load(sys.stdin); print("synthetic: held-out RMSE %.2e, full-matrix relative error %.2e" % (r["rmse"], r["relative_error_full"]))'

# 2. 500 handwritten digits (8 x 8 pixels, values 0-16, one row each), 70 % of the pixels observed:
#    a rank-10 fit predicts the hidden 30 %; compare with each pixel's mean over the observed digits.
optsuite solve completion digits_observed.csv --rank 10 --reg 0.01 --out "$tmp/digits.npz" \
  --predict digits_hidden.csv --predictions "$tmp/predicted.csv" --quiet > /dev/null
optsuite check completion digits_hidden.csv "$tmp/digits.npz" --quiet \
  | python3 -c 'import json, sys; print("digits: RMSE on the hidden pixels %.3f (rank 10)" % json.load(sys.stdin)["rmse"])'
python3 - "$tmp/predicted.csv" <<'PY'
import csv, sys
from collections import defaultdict
observed = list(csv.DictReader(line for line in open("digits_observed.csv") if not line.startswith("#")))
hidden = list(csv.DictReader(line for line in open("digits_hidden.csv") if not line.startswith("#")))
sums, counts = defaultdict(float), defaultdict(int)
for e in observed:
    sums[e["col"]] += float(e["value"])
    counts[e["col"]] += 1
baseline = (sum((float(e["value"]) - sums[e["col"]] / counts[e["col"]]) ** 2 for e in hidden) / len(hidden)) ** 0.5
predicted = list(csv.DictReader(open(sys.argv[1])))
print(f"digits: RMSE of the per-pixel mean {baseline:.3f}; {len(predicted)} predictions written")
PY
