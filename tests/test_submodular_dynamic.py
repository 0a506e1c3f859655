"""Dynamic submodular maximisation under insertions and deletions: after every update the reported
value is f of the reported set, the set is live and has at most k elements; the level structure keeps
all its invariants and its 1/(2(1+eps)) certificate against brute force; prefix repair is exactly
greedy on the live elements; streams, seeds, validation and the summary."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import naive_submodular as naive
from optsuite.problems.submodular import generate_stream
from optsuite.solvers.errors import ParameterError
from optsuite.solvers.submodular import Dynamic, coverage, facility_location, feature_based, greedy_on, run_stream
from optsuite.solvers.submodular import _kernels as K


def _random_ops(n, count, seed, p_delete=0.35):
    """A valid random stream over elements 0..n-1: (sign, ids)."""
    rng = np.random.default_rng(seed)
    live, sign, ids = set(), [], []
    for _ in range(count):
        if live and (rng.random() < p_delete or len(live) == n):
            x = int(rng.choice(sorted(live)))
            live.discard(x)
            sign.append(-1)
        else:
            x = int(rng.choice(sorted(set(range(n)) - live)))
            live.add(x)
            sign.append(1)
        ids.append(x)
    return np.array(sign), np.array(ids)


def _gain_of(f):
    ora = f.oracle()

    def gain(x, picks):
        state = np.zeros(f.m)
        for e in picks:
            K.add(ora, e, state)
        return K.gain(ora, x, state)
    return gain


def _fl(n, m, seed, power=2):
    S = np.random.default_rng(seed).random((n, m)) ** power
    return facility_location(S), (lambda s: naive.facility_location(S, s))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 12), k=st.integers(1, 4), seed=st.integers(0, 10**6), eps=st.sampled_from([0.1, 0.3, 0.6]),
       sparse=st.booleans())
def test_level_structure_invariants_and_certificate_after_every_update(n, k, seed, eps, sparse):
    import scipy.sparse as sp

    S = np.random.default_rng(seed).random((n, 6)) ** 3
    S[S < 0.05] = 0.0
    f = facility_location(sp.csr_matrix(S) if sparse else S)
    k = min(k, n)
    dyn = Dynamic(f, k, algorithm="dynamic", eps=eps, seed=seed)
    gain = _gain_of(f)
    sign, ids = _random_ops(n, 40, seed)
    for s, x in zip(sign, ids):
        calls, values, sizes = dyn.apply([s], [x])
        live = dyn.live
        sel = dyn.selected.tolist()
        assert all(live[e] for e in sel) and len(sel) == len(set(sel)) == sizes[0] <= k
        assert values[0] == pytest.approx(naive.facility_location(S, sel), rel=1e-9, abs=1e-12)
        assert dyn.value == pytest.approx(values[0], rel=1e-12, abs=1e-12)
        naive.check_levels(dyn, gain, live)
        opt, _ = naive.brute_force(lambda s_: naive.facility_location(S, s_), n, k, np.flatnonzero(live).tolist())
        # the right guess g in [OPT/(1+eps), OPT] certifies f >= g/2 (k picks of gain >= g/2k) or
        # f >= OPT - g/2 (nothing left above the threshold): f >= OPT / (2 (1 + eps)) >= (1/2 - eps) OPT
        assert values[0] >= opt / (2 * (1 + eps)) - 1e-9 * max(opt, 1.0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 14), k=st.integers(1, 5), seed=st.integers(0, 10**6),
       objective=st.sampled_from(["fl", "fb", "cov"]))
def test_prefix_repair_is_greedy_on_the_live_elements_after_every_update(n, k, seed, objective):
    rng = np.random.default_rng(seed)
    if objective == "fl":
        f = facility_location(rng.random((n, 5)) ** 2)
    elif objective == "fb":
        f = feature_based(rng.random((n, 4)) * (rng.random((n, 4)) < 0.6), "log1p")
    else:
        f = coverage([rng.choice(8, size=rng.integers(0, 4), replace=False).tolist() for _ in range(n)], 8)
    k = min(k, n)
    dyn = Dynamic(f, k, algorithm="dynamic-greedy")
    sign, ids = _random_ops(n, 40, seed)
    for s, x in zip(sign, ids):
        _, values, sizes = dyn.apply([s], [x])
        picks, gval, _ = greedy_on(f, k, dyn.live, dyn.singletons)
        assert dyn.selected.tolist() == picks.tolist()
        assert values[0] == pytest.approx(gval, rel=1e-9, abs=1e-12) and sizes[0] == len(picks)
        assert np.all(np.diff(dyn.gains) <= 1e-12 * max(1.0, abs(gval)))


def test_dynamic_is_seeded_and_counts_calls_per_update():
    f, _ = _fl(60, 20, 1)
    sign, ids = _random_ops(60, 150, 2)
    a = run_stream(f, 4, sign, ids, algorithm="dynamic", seed=7, baseline_every=25)
    b = run_stream(f, 4, sign, ids, algorithm="dynamic", seed=7, baseline_every=25)
    assert a.selected.tolist() == b.selected.tolist() and np.array_equal(a.trace["calls"], b.trace["calls"])
    assert a.counters["oracle_calls"] == int(a.trace["calls"].sum()) == a.stream["calls_total"]
    assert a.counters["singleton_calls"] == 60
    assert a.stream["updates"] == 150 and a.stream["inserts"] + a.stream["deletes"] == 150
    assert len(a.checkpoints) == 6 and a.checkpoints[-1]["update"] == 150
    for c in a.checkpoints:
        assert c["value"] == a.trace["value"][c["update"] - 1]
        assert c["ratio"] == pytest.approx(c["value"] / c["greedy_value"])
        assert 1 / (2 * 1.2) - 1e-9 <= c["ratio"] <= 1.0 + 1e-9 or c["greedy_value"] == 0
    cpu = a.stream["calls_per_update"]
    assert cpu["max"] == a.trace["calls"].max() and cpu["p50"] <= cpu["p99"] <= cpu["max"]
    assert a.stream["baseline"]["recompute_calls_mean"] == pytest.approx(np.mean([c["recompute_calls"]
                                                                                 for c in a.checkpoints]))
    assert a.objective == pytest.approx(a.trace["value"][-1])


def test_state_pool_grows_and_resumes_mid_update():
    f, ref = _fl(40, 30, 3, power=1)
    dyn = Dynamic(f, 30, algorithm="dynamic", eps=0.05, seed=1)
    rows = dyn._levels.dy[6].shape[0]
    sign, ids = _random_ops(40, 120, 4, p_delete=0.2)
    _, values, _ = dyn.apply(sign, ids)
    assert dyn._levels.dy[6].shape[0] > rows  # the pool was doubled at least once
    naive.check_levels(dyn, _gain_of(f), dyn.live)
    assert values[-1] == pytest.approx(ref(dyn.selected.tolist()))


@pytest.mark.parametrize("kind", ["random", "largest-first", "window"])
def test_both_algorithms_on_generated_streams(kind):
    f, ref = _fl(120, 40, 5)
    from optsuite.solvers.submodular import singleton_values

    sign, ids = generate_stream(kind, 120, 3, 0.3, singleton_values(f))
    for algorithm in ("dynamic", "dynamic-greedy"):
        r = run_stream(f, 5, sign, ids, algorithm=algorithm, baseline_every=40)
        assert r.objective == pytest.approx(ref(r.selected.tolist()))
        ratio = r.stream["baseline"]
        assert ratio["ratio_min"] >= 1 / (2 * 1.2) - 1e-9
        if algorithm == "dynamic-greedy":
            assert ratio["ratio_min"] == pytest.approx(1.0) == pytest.approx(ratio["ratio_mean"])


def test_generated_streams_are_valid_and_have_the_documented_shape():
    single = np.arange(50, dtype=float)
    for kind in ("random", "largest-first", "window"):
        sign, ids = generate_stream(kind, 50, 1, 0.3, single)
        live = set()
        for s, x in zip(sign, ids):
            assert (x not in live) if s > 0 else (x in live)
            live.add(x) if s > 0 else live.discard(x)
        assert (sign > 0).sum() == 50 and (sign < 0).sum() == 15
        assert generate_stream(kind, 50, 1, 0.3, single)[1].tolist() == ids.tolist()
    sign, ids = generate_stream("largest-first", 50, 1, 0.3, single)
    live = set()
    for s, x in zip(sign, ids):
        if s < 0:
            assert x == max(live)  # singleton value = id here
        live.add(x) if s > 0 else live.discard(x)
    sign, ids = generate_stream("window", 50, 1, 0.3, single)
    assert all(s > 0 for s in sign[:35]) and sign[36] < 0 and ids[36] == ids[0]


def test_update_validation():
    f, _ = _fl(5, 3, 0)
    for algorithm in ("dynamic", "dynamic-greedy"):
        dyn = Dynamic(f, 2, algorithm=algorithm)
        dyn.insert(1)
        with pytest.raises(ParameterError, match="cannot insert element 1: it is already live"):
            dyn.insert(1)
        with pytest.raises(ParameterError, match="cannot delete element 2: it is not live"):
            dyn.delete(2)
        with pytest.raises(ParameterError, match="out of range"):
            dyn.insert(5)
        with pytest.raises(ParameterError, match="sign"):
            dyn.apply([0], [3])
        with pytest.raises(ParameterError, match="update 1: cannot insert element 3"):
            dyn.apply([1, 1], [3, 3])
        assert dyn.live.tolist() == [False, True, False, False, False]  # a rejected batch changes nothing
    with pytest.raises(ParameterError, match="--algorithm"):
        Dynamic(f, 2, algorithm="lazy")
    with pytest.raises(ParameterError, match="--baseline-every"):
        run_stream(f, 2, [1], [0], baseline_every=-1)


def test_deleting_everything_leaves_an_empty_solution():
    f, _ = _fl(6, 4, 1)
    for algorithm in ("dynamic", "dynamic-greedy"):
        dyn = Dynamic(f, 3, algorithm=algorithm)
        dyn.apply([1] * 6, range(6))
        _, values, sizes = dyn.apply([-1] * 6, range(6))
        assert values[-1] == 0.0 and sizes[-1] == 0 and dyn.selected.size == 0
        _, values, _ = dyn.apply([1], [4])
        assert dyn.selected.tolist() == [4] and values[0] > 0


def test_all_zero_objective_routes_nothing():
    f = facility_location(np.zeros((4, 2)))
    r = run_stream(f, 2, [1, 1, -1], [0, 1, 0], algorithm="dynamic", baseline_every=1)
    assert r.objective == 0.0 and r.stream["calls_total"] == 0
    assert [c["ratio"] for c in r.checkpoints] == [1.0, 1.0, 1.0]


def test_checkpoints_fall_on_multiples_of_baseline_every_across_progress_chunks():
    f, _ = _fl(10, 4, 2)
    sign, ids = _random_ops(10, 2500, 3)
    seen = []
    r = run_stream(f, 3, sign, ids, baseline_every=1200, progress=lambda done, total, text: seen.append(done))
    assert [c["update"] for c in r.checkpoints] == [1200, 2400, 2500]
    assert seen == [1000, 1200, 2000, 2400, 2500]
    r = run_stream(f, 3, sign, ids, baseline_every=0)
    assert r.checkpoints == [] and "baseline" not in r.stream
