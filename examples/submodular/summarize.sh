#!/usr/bin/env bash
# Submodular summaries with optsuite: representative wines (facility location), the lines of the Zen
# of Python that cover the most words (weighted coverage), and a summary kept up to date while wines
# come and go (a stream of insertions and deletions). Run from anywhere:
#   bash examples/submodular/summarize.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Three representative wines; do they cover the three cultivars?
optsuite solve submodular wine.csv --k 3 --out "$tmp/wines.csv" --quiet
python3 - "$tmp/wines.csv" <<'PY'
import sys
ids = [int(line.split(",")[1]) for line in open(sys.argv[1]).read().split()[1:]]
cultivar = [int(v) for v in open("wine_labels.csv").read().split()[1:]]
print("representative wines:", ids, "cultivars:", sorted({cultivar[i] for i in ids}))
PY

# 2. Lazy greedy equals greedy, with far fewer oracle calls; the solution checks out independently.
for algorithm in greedy lazy; do
  optsuite solve submodular wine.csv --k 10 --algorithm "$algorithm" --out "$tmp/$algorithm.json" --quiet
done
optsuite check submodular wine.csv "$tmp/lazy.json" --quiet > /dev/null && echo "lazy solution checked"
python3 - "$tmp/greedy.json" "$tmp/lazy.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))
    print(f"{r['algorithm']:>6}: f(S) = {r['objective']:.6f} with {r['counters']['oracle_calls']} oracle calls")
PY

# 3. Three lines of the Zen of Python covering the most words, then the most non-stopwords.
optsuite solve submodular zen.jsonl --objective coverage --k 3 --out "$tmp/words.json" --quiet
optsuite solve submodular zen.jsonl --objective coverage --k 3 --item-weights zen_weights.csv \
  --out "$tmp/content.json" --quiet
python3 - "$tmp/words.json" "$tmp/content.json" <<'PY'
import json, sys
text = {json.loads(line)["id"]: json.loads(line)["text"] for line in open("zen.jsonl")}
for path in sys.argv[1:]:
    r = json.load(open(path))
    print(f"covered weight {r['objective']:g}:", " | ".join(text[i] for i in r["selected"]))
PY

# 4. Keep 5 representative wines while wines are inserted and deleted (wine_ops.txt), with the
#    level algorithm and with prefix-repair greedy; every 20 updates compare with greedy from scratch.
for algorithm in dynamic dynamic-greedy; do
  optsuite solve submodular wine.csv --k 5 --stream wine_ops.txt --algorithm "$algorithm" --baseline-every 20 \
    --trace "$tmp/$algorithm.jsonl" --out "$tmp/$algorithm.json" --quiet
  optsuite check submodular wine.csv "$tmp/$algorithm.json" --stream wine_ops.txt --quiet > /dev/null
done
python3 - "$tmp/dynamic.json" "$tmp/dynamic-greedy.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))
    s, b = r["stream"], r["stream"]["baseline"]
    print(f"{r['algorithm']:>14}: {s['updates']} updates, {s['calls_per_update']['mean']:.1f} oracle calls per update "
          f"(greedy from scratch: {b['recompute_calls_mean']:.0f}); value / greedy mean {b['ratio_mean']:.3f}, "
          f"min {b['ratio_min']:.3f}")
PY
echo "trace: $(wc -l < "$tmp/dynamic.jsonl") lines, one per update"
