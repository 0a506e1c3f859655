#!/usr/bin/env bash
# Finite-sum monotone inclusions with the variance-reduced Halpern methods: the paper's policeman-and-
# burglar game (with and without adaptive restart) checked against an LP, a box-constrained regression
# on the diabetes data checked against scipy, and a generate | solve | check pipeline. Run from anywhere:
#   bash examples/halpern/run.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/summary.py" <<'PY'
import json, sys
r = json.load(sys.stdin)
gap = f" gap {r['gap']:.1e}" if "gap" in r else ""
print(f"{r['method']:<11} restart={r['restart']:<8} {r['status']:<10} residual {r['residual']:.1e}{gap} "
      f"after {r['counters']['epochs']:.0f} epochs")
PY
summary="$tmp/summary.py"

# 1. The paper's policeman-and-burglar game (100 x 100, split by rows): Algorithm 2 as published, then
#    with adaptive restart (the default), then extragradient; each for at most 1000 epochs.
for restart in none adaptive; do
  optsuite solve halpern policeman100.npz --variant vr-inexact --restart "$restart" --max-oracle 1000 -q \
    | python3 "$summary" || true   # exit 3 = budget spent before --tol; the result is still printed
done
optsuite solve halpern policeman100.npz --variant eg --max-oracle 1000 -q | python3 "$summary" || true

# 2. The value of a Gaussian finite-sum game (10 components, 20 x 20) against the LP solved by HiGHS.
optsuite solve halpern game20.npz --tol 1e-9 --max-oracle 20000 --out "$tmp/game.json" -q
optsuite check halpern game20.npz "$tmp/game.json" -q > /dev/null
python3 - "$tmp/game.json" <<'PY'
import json, sys
import numpy as np
from scipy.optimize import linprog
r = json.load(open(sys.argv[1]))
with np.load("game20.npz") as f:
    A = f["A"].mean(axis=0)
m, q = A.shape
lp = linprog(np.r_[np.zeros(m), 1], A_ub=np.hstack([A.T, -np.ones((q, 1))]), b_ub=np.zeros(q),
             A_eq=np.r_[np.ones(m), 0][None], b_eq=[1], bounds=[(0, None)] * m + [(None, None)], method="highs")
lo, hi = r["value_bounds"]
print(f"game value in [{lo:.9f}, {hi:.9f}]; HiGHS LP value {lp.x[-1]:.9f}")
PY

# 3. Diabetes progression (442 patients, 10 standardised features) by least squares with every coefficient
#    in [-20, 20]: a cocoercive finite sum, so auto picks vr-halpern (the paper's Algorithm 1).
optsuite solve halpern diabetes.npz --tol 1e-8 --max-oracle 5000 --out "$tmp/diabetes.json" -q
python3 - "$tmp/diabetes.json" <<'PY'
import json, sys
import numpy as np
from scipy.optimize import lsq_linear
r = json.load(open(sys.argv[1]))
with np.load("diabetes.npz") as f:
    A, b = f["A"], f["b"]
ref = lsq_linear(A, b, bounds=(-20, 20), tol=1e-12).x
ours = np.array(r["solution"]["x"])
print(f"diabetes: {r['method']} in {r['counters']['epochs']:.0f} epochs; coefficients", np.round(ours, 3))
print(f"largest difference to scipy's lsq_linear: {np.abs(ours - ref).max():.1e}")
PY

# 4. generate | solve | check: a quadratic saddle on [-1, 1]^40 with a known solution.
optsuite generate halpern --family quadratic --components 50 --dim 20 --seed 3 --out "$tmp/quad.npz" \
  --truth "$tmp/truth.json"
optsuite solve halpern "$tmp/quad.npz" --tol 1e-9 --max-oracle 20000 --out "$tmp/quad.json" -q
optsuite check halpern "$tmp/quad.npz" "$tmp/quad.json" -q > /dev/null
python3 - "$tmp/quad.json" "$tmp/truth.json" <<'PY'
import json, sys
import numpy as np
r, t = (json.load(open(p)) for p in sys.argv[1:])
err = max(np.abs(np.array(r["solution"][k]) - np.array(t["solution"][k])).max() for k in ("x", "y"))
print(f"quadratic saddle: {r['method']}, residual {r['residual']:.1e}, distance to the known solution {err:.1e}")
PY
