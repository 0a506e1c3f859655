#!/usr/bin/env bash
# SOR with a learned relaxation parameter: one Poisson system, a learned sequence of the paper's
# shifted Laplacians against the oracle, and a warm-started heat-equation folder. Run from anywhere:
#   bash examples/sor/learning.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. One 20 x 20 Poisson system: Gauss-Seidel (omega = 1) against omega* from a Lanczos estimate of rho(J).
for policy in fixed asymptotic; do
  optsuite solve sor poisson_20x20.mtx --rhs poisson_20x20_b.npy --policy "$policy" --out "$tmp/$policy.json" -q
  python3 -c "$(cat <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['policy']:>10}: omega {r['omega']:.4f}, {r['iterations']} iterations, residual {r['residual']:.2e}")
PY
)" "$tmp/$policy.json"
done
optsuite check sor poisson_20x20.mtx "$tmp/asymptotic.json" --rhs poisson_20x20_b.npy -q > /dev/null
echo "solution checked"

# 2. 500 of the paper's high-variance shifted Laplacians (the paper runs 5000): ChebCB learns omega from
#    the shift c_t and iteration counts alone; --oracle solves everything at every grid omega to compare.
optsuite generate sor --family shifted-laplacian --instances 500 --out "$tmp/shift.npz" -q
optsuite solve sor "$tmp/shift.npz" --policy chebcb --oracle -q | python3 -c "$(cat <<'PY'
import json, sys
o = json.load(sys.stdin)["oracle"]
r = o["ratios"]
print(f"ChebCB total {o['policy']['total']}: {r['to_best_fixed']:.2f} x the best fixed omega "
      f"({o['best_fixed']['omega']}), {r['to_instance_optimal']:.2f} x instance-optimal, "
      f"{r['to_gauss_seidel']:.2f} x Gauss-Seidel")
for p in o["regret_curve"]:
    print(f"  after {p['t']:>3} instances: {p['ratio_to_best_fixed']:.2f} x the best fixed omega so far")
PY
)"

# 3. Crank-Nicolson heat steps stored as a folder of A_*.mtx / b_*.npy files (plus context.csv), each
#    solve warm-started from the previous step's solution; then every residual is recomputed.
optsuite solve sor heat_folder --omega 1.2 --x0 previous --tol-ref b --out "$tmp/heat.npz" -q
optsuite check sor heat_folder "$tmp/heat.npz" -q | python3 -c "$(cat <<'PY'
import json, sys
r = json.load(sys.stdin)
print(f"heat: {r['T']} steps, largest relative residual {r['max_residual']:.2e}, valid: {r['valid']}")
PY
)"
