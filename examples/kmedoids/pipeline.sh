#!/usr/bin/env bash
# k-medoids in shell pipelines: stdin/stdout chaining, independent checking, and comparing the
# clusters of the handwritten digits with their true labels. Run from anywhere:
#   bash examples/kmedoids/pipeline.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Generate Gaussian blobs, cluster them from stdin, print status, loss and medoids.
optsuite generate kmedoids --n 600 --d 2 --centers 4 --seed 7 \
  | optsuite solve kmedoids - --k 4 --quiet \
  | python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["status"], round(r["objective"], 3), *r["medoids"])'

# 2. Cluster the digits (LAB start), write the solution, and check it without the solver.
optsuite solve kmedoids digits.csv --k 10 --init lab --out "$tmp/digits.json" --quiet
optsuite check kmedoids digits.csv "$tmp/digits.json" --quiet > /dev/null
echo "digits solution checked"

# 3. One label per line, pasted next to the true digit: how pure are the clusters?
optsuite solve kmedoids digits.csv --k 10 --out "$tmp/labels.csv" --quiet
paste -d, "$tmp/labels.csv" digits_labels.csv | python3 -c '
import collections, sys
pairs = [tuple(map(int, line.split(","))) for line in sys.stdin]
by_cluster = collections.defaultdict(collections.Counter)
for cluster, digit in pairs:
    by_cluster[cluster][digit] += 1
purity = sum(c.most_common(1)[0][1] for c in by_cluster.values()) / len(pairs)
print(f"cluster purity against the true digits: {purity:.3f}")'
