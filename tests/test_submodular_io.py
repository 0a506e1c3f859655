"""Submodular problem files at the API level: every malformed file raises one InputError naming the
file, the line or entry and what is wrong (the CLI prints it and exits 2); valid files load into the
arrays the solvers read."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from optsuite.problems import submodular as problem_io
from optsuite.solvers.errors import InputError
from files import write as _write


def _raises(message, fn, *args, **kw):
    with pytest.raises(InputError) as e:
        fn(*args, **kw)
    assert message in str(e.value), str(e.value)


MALFORMED_STREAMS = [
    ("ops_bad.txt", "+ 1\n* 2\n", "ops_bad.txt, line 2: expected '+ ID' or '- ID', found '* 2'"),
    ("ops_extra.txt", "+ 1 2\n", "ops_extra.txt, line 1: expected '+ ID' or '- ID', found '+ 1 2'"),
    ("ops_id.txt", "+ one\n", "ops_id.txt, line 1: 'one' is not an integer id"),
    ("ops_unknown.txt", "# a comment\n+ 4\n", "ops_unknown.txt, line 2: unknown id 4: ids are the 0-based rows 0..3"),
    ("ops_live.txt", "+ 1\n+ 2\n+ 1\n", "ops_live.txt, line 3: cannot insert id 1: it is already live"),
    ("ops_dead.txt", "+ 1\n- 1\n- 1\n", "ops_dead.txt, line 3: cannot delete id 1: it is not live"),
    ("ops_never.txt", "- 0\n", "ops_never.txt, line 1: cannot delete id 0: it is not live"),
    ("ops_empty.txt", "# nothing\n\n", "ops_empty.txt: no updates"),
]


@pytest.mark.parametrize("name,text,message", MALFORMED_STREAMS, ids=[m[0] for m in MALFORMED_STREAMS])
def test_malformed_streams(tmp_path, name, text, message):
    problem = problem_io.load(_write(tmp_path, "p.csv", "1,2\n3,4\n5,6\n7,8\n"))
    _raises(message, problem_io.load_stream, _write(tmp_path, name, text), problem)


def test_streams_over_coverage_ids_and_comments(tmp_path):
    problem = problem_io.load(_write(tmp_path, "s.jsonl", '{"id": 10, "items": [1]}\n{"id": 3, "items": [2]}\n'),
                              objective="coverage")
    sign, idx, lines = problem_io.load_stream(_write(tmp_path, "o.txt", "+ 3  # first\n\n+ 10\n- 3\n"), problem)
    assert sign.tolist() == [1, 1, -1] and idx.tolist() == [1, 0, 1] and lines.tolist() == [1, 3, 4]
    _raises('unknown id 4: ids are the "id" fields of', problem_io.load_stream, _write(tmp_path, "b.txt", "+ 4\n"),
            problem)


MALFORMED_INPUTS = [
    ("neg.npy", np.array([[1.0, -0.5], [0.0, 1.0]]), {"precomputed": True},
     "neg.npy, entry (row 0, column 1), 0-based: value -0.5 is negative; similarities must be >= 0"),
    ("neg.csv", "1,0\n0,-2\n", {"precomputed": True}, "neg.csv, line 2, column 2: value -2 is negative"),
    ("nan.csv", "1,0\nnan,1\n", {"precomputed": True}, "nan.csv, line 2, column 1: value is NaN"),
    ("negf.csv", "# features\nx,y\n1,2\n-3,4\n", {"objective": "feature-based"},
     "negf.csv, line 4, column 1: value -3 is negative; feature-based needs non-negative"),
    ("text.csv", "1,2\n3,x\n", {}, "text.csv, line 2, column 2: 'x' is not a number"),
    ("empty.csv", "", {}, "empty.csv: no data"),
    ("three.npy", np.zeros((2, 2, 2)), {}, "expected a 2-D array"),
    ("sets_json.jsonl", '{"id": 1, "items": [1]}\n{"id": 2,\n', {"objective": "coverage"},
     "sets_json.jsonl, line 2, column 10: invalid JSON"),
    ("sets_noid.jsonl", '{"items": [1]}\n', {"objective": "coverage"}, "sets_noid.jsonl, line 1: expected an object"),
    ("sets_list.jsonl", '[1, 2]\n', {"objective": "coverage"}, "sets_list.jsonl, line 1: expected an object"),
    ("sets_dup.jsonl", '{"id": 1, "items": [1]}\n{"id": 1, "items": [2]}\n', {"objective": "coverage"},
     "sets_dup.jsonl, line 2, id: duplicate id 1 (first on line 1); ids must be unique"),
    ("sets_negid.jsonl", '{"id": -1, "items": [1]}\n', {"objective": "coverage"},
     "sets_negid.jsonl, line 1, id: id -1 is not a non-negative integer"),
    ("sets_strid.jsonl", '{"id": "a", "items": [1]}\n', {"objective": "coverage"},
     'sets_strid.jsonl, line 1, id: id "a" is not a non-negative integer'),
    ("sets_items.jsonl", '{"id": 1, "items": 5}\n', {"objective": "coverage"},
     "sets_items.jsonl, line 1, items: items must be a list"),
    ("sets_item.jsonl", '{"id": 1, "items": [[1]]}\n', {"objective": "coverage"},
     "sets_item.jsonl, line 1, items: item [1] is not a number or a string"),
    ("sets_empty.jsonl", "\n", {"objective": "coverage"}, "sets_empty.jsonl: no sets"),
]


@pytest.mark.parametrize("name,content,kw,message", MALFORMED_INPUTS, ids=[m[0] for m in MALFORMED_INPUTS])
def test_malformed_inputs(tmp_path, name, content, kw, message):
    _raises(message, problem_io.load, _write(tmp_path, name, content), **kw)


def test_sparse_inputs_are_located_and_validated(tmp_path):
    M = sp.csr_matrix(np.array([[1.0, 0, 2.0], [0, -1.0, 0]]))
    sp.save_npz(tmp_path / "m.npz", M)
    _raises("m.npz, entry (row 1, column 1), 0-based: value -1 is negative", problem_io.load, tmp_path / "m.npz",
            precomputed=True)
    scipy.io.mmwrite(tmp_path / "m.mtx", sp.csr_matrix(np.array([[1.0, 0], [0, np.inf]])))
    _raises("m.mtx, entry (row 1, column 1), 0-based: value is inf", problem_io.load, tmp_path / "m.mtx",
            precomputed=True)
    scipy.io.mmwrite(tmp_path / "d.mtx", np.array([[1.0, 0.5], [np.nan, 1.0]]))  # dense (array) Matrix Market
    _raises("d.mtx, entry (row 1, column 0), 0-based: value is nan", problem_io.load, tmp_path / "d.mtx",
            precomputed=True)
    ok = sp.csr_matrix(np.array([[1.0, 0, 2.0], [0, 3.0, 0]]))
    sp.save_npz(tmp_path / "ok.npz", ok)
    p = problem_io.load(tmp_path / "ok.npz", precomputed=True)
    assert sp.issparse(p.similarity) and p.n == 2 and np.array_equal(p.similarity.toarray(), ok.toarray())
    p = problem_io.load(tmp_path / "ok.npz", objective="feature-based")
    assert sp.issparse(p.features)
    np.savez(tmp_path / "dense.npz", S=np.eye(3))
    assert problem_io.load(tmp_path / "dense.npz", precomputed=True).similarity.shape == (3, 3)


def test_item_weights(tmp_path):
    sets = _write(tmp_path, "s.jsonl", '{"id": 0, "items": ["a", "b", 7]}\n{"id": 1, "items": [7]}\n')
    good = _write(tmp_path, "w.csv", "item,weight\na,1.5\nb,0\n7,2\nunused,9\n")
    p = problem_io.load(sets, objective="coverage", item_weights=good)
    assert p.item_names == ["a", "b", "7"] and p.item_weights.tolist() == [1.5, 0.0, 2.0]
    assert [s.tolist() for s in p.sets] == [[0, 1, 2], [2]] and p.ids.tolist() == [0, 1]
    for text, message in [("item,weight\na,1\n7,1\n", "w2.csv: item 'b' appears in the sets but has no weight here"),
                          ("a,1\nb,-1\n7,1\n", "w2.csv, line 2, weight: weight -1 must be finite and >= 0"),
                          ("a,1\nb,x\n7,1\n", "w2.csv, line 2, weight: 'x' is not a number"),
                          ("a,1\na,2\nb,1\n", "w2.csv, line 2: item 'a' has a weight already (line 1)"),
                          ("a,1,2\n", "w2.csv, line 1: 3 fields; expected 'item,weight'")]:
        _raises(message, problem_io.load, sets, objective="coverage",
                item_weights=_write(tmp_path, "w2.csv", text))
    _raises("--item-weights is only for --objective coverage", problem_io.load,
            _write(tmp_path, "p.csv", "1,2\n"), item_weights=good)


def test_solution_files(tmp_path):
    _raises("not a submodular solution", problem_io.load_solution, _write(tmp_path, "a.json", '{"foo": 1}'))
    _raises("'selected' must be a list of integer ids", problem_io.load_solution,
            _write(tmp_path, "b.json", '{"selected": [1, "x"]}'))
    _raises("c.json, line 1, column 16: invalid JSON", problem_io.load_solution,
            _write(tmp_path, "c.json", '{"selected": [1'))
    assert problem_io.load_solution(_write(tmp_path, "d.json", json.dumps({"selected": [3, 1]})))["selected"] == [3, 1]


def test_trace_and_csv_writers():
    text = problem_io.trace_lines([1, -1], [7, 7], [0, 3], [2.5, 0.0], [1, 0],
                                  [{"update": 2, "greedy_value": 0.0, "ratio": 1.0, "recompute_calls": 0}])
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0] == {"t": 1, "op": "+", "id": 7, "value": 2.5, "size": 1, "calls": 0}
    assert lines[1]["op"] == "-" and lines[1]["ratio"] == 1.0 and lines[1]["recompute_calls"] == 0
    assert problem_io.selection_csv([4, 2], [3.0, 1.0]).splitlines() == ["rank,id,gain", "1,4,3.0", "2,2,1.0"]
    assert problem_io.stream_text([1, -1], [5, 5], "made by hand") == "# made by hand\n+ 5\n- 5\n"
