"""Print README's quality table: SHD to the true graph (seeds 0/1/2) and median CPU seconds of TOPO with
the authors' budget (--n-large 1), the default (no cap), --full-neighbourhood and --init notears, on ER2
and SF4 graphs with n = 1000 Gaussian samples. Takes a few minutes (NOTEARS dominates at d = 50):
    NUMBA_NUM_THREADS=1 python examples/notears/quality_table.py 10 20 50
"""

import sys
import time

import numpy as np

from optsuite.problems.notears import generate
from optsuite.solvers.notears import candidate_sizes, count_accuracy, learn

MODES = {"--n-large 1": lambda d: {"n_large": candidate_sizes(d)[2]}, "default": lambda d: {},
         "--full-neighbourhood": lambda d: {"full_neighbourhood": True}, "--init notears": lambda d: {"init": "notears"}}

print("| graph | d | " + " | ".join(MODES) + " |")
print("|---|---|" + "---|" * len(MODES))
for graph, degree in (("ER", 2), ("SF", 4)):
    for d in map(int, sys.argv[1:] or ["10", "20", "50"]):
        cells = []
        for options in MODES.values():
            shd, cpu = [], []
            for seed in range(3):
                X, W_true = generate(graph, degree, d, 1000, "gauss", seed)
                c0 = time.process_time()
                res = learn(X, seed=seed, **options(d))
                cpu.append(time.process_time() - c0)
                shd.append(count_accuracy(W_true, res.W_thresholded)["shd"])
            cells.append(f"{'/'.join(map(str, shd))} ({np.median(cpu):.2f} s)")
        print(f"| {graph}{degree} | {d} | " + " | ".join(cells) + " |", flush=True)
