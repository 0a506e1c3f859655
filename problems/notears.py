"""Linear DAG learning problem files: data (n rows x d variables), orders, weighted adjacency
matrices, edge lists of prior knowledge; and a generator of linear SEMs with a known DAG.

Conventions: W[i, j] != 0 means the edge i -> j (row = parent, column = child). A weighted adjacency
CSV has the variable names as its header row and first column (an empty corner field); a plain d x d
numeric matrix (CSV or .npy) is accepted wherever names are not needed. Every reader validates
completely and raises `InputError` naming the file, the line and the field.
"""

from __future__ import annotations

import numpy as np

from optsuite.problems import io
from optsuite.solvers.errors import InputError

GRAPHS = ("ER", "SF")
NOISES = ("gauss", "exp", "gumbel", "logistic")


class DagData:
    """Validated observations: `X` (n x d float64, C order) and the variable `names`."""

    def __init__(self, path, X, names):
        self.path = path
        self.X = X
        self.names = names

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]


def default_names(d: int) -> list[str]:
    return [f"X{j}" for j in range(d)]


def load(path, *, header: bool | None = None) -> DagData:
    """Read observations: CSV (a header row names the variables, else X0..X{d-1}; '-' is stdin), .npy,
    or .npz (array X). Rejects NaN/inf, fewer than 2 rows or variables, duplicate names and constant
    columns (a variable that never varies carries no information about the graph)."""
    table = io.read_table(path, header=header, what="observations", npz_keys=("X", "data"))
    io.check_finite(table, "observations")
    X = np.ascontiguousarray(table.values, dtype=np.float64)
    n, d = X.shape
    names = [str(v) for v in table.names] if table.names is not None else default_names(d)
    if d < 2:
        raise InputError(path, f"found {d} variable; learning a graph needs at least 2 columns")
    if n < 2:
        raise InputError(path, f"found {n} observation; need at least 2 rows")
    _check_names(path, names)
    constant = np.flatnonzero(np.ptp(X, axis=0) == 0)
    if constant.size:
        j = int(constant[0])
        raise InputError(path, f"variable '{names[j]}' is constant ({X[0, j]:g} in every row); it carries no "
                         "information about the graph: drop the column", field=f"column {j + 1}")
    return DagData(path, X, names)


def _check_names(path, names) -> None:
    seen = {}
    for j, name in enumerate(names):
        if not name:
            raise InputError(path, "a variable name in the header is empty", line=1, field=f"column {j + 1}")
        if name in seen:
            raise InputError(path, f"variable name '{name}' appears twice (columns {seen[name] + 1} and {j + 1}); "
                             "names must be unique", line=1)
        seen[name] = j


def check_binary(data: DagData) -> None:
    """The logistic score models 0/1 variables: raise at the first other value."""
    bad = ~np.isin(data.X, (0.0, 1.0))
    if bad.any():
        r, c = map(int, np.argwhere(bad)[0])
        raise InputError(data.path, f"value {data.X[r, c]:g} is not 0 or 1; --score logistic needs binary data",
                         field=f"row {r + 1}, column {c + 1} ('{data.names[c]}')")


# ------------------------------------------------------------------------------------- small inputs

def _name_lines(path):
    """(line number, stripped text) of the non-blank, non-comment lines of a text file."""
    text = io.read_text(path)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, stripped


def _node(path, token: str, index: dict, number: int, what: str) -> int:
    token = token.strip().strip('"')
    if token in index:
        return index[token]
    raise InputError(path, f"'{token}' is not a variable of the data (variables: {_preview(index)}); "
                     f"expected {what}", line=number)


def _preview(index: dict) -> str:
    names = list(index)
    return ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")


def load_order(path, names: list[str]) -> np.ndarray:
    """A topological order: one variable name per line, roots first, every variable exactly once."""
    index = {name: j for j, name in enumerate(names)}
    order, seen = [], {}
    for number, token in _name_lines(path):
        j = _node(path, token, index, number, "one variable name per line")
        if j in seen:
            raise InputError(path, f"'{names[j]}' appears twice (lines {seen[j]} and {number}); an order lists "
                             "each variable once", line=number)
        seen[j] = number
        order.append(j)
    if len(order) != len(names):
        missing = [names[j] for j in range(len(names)) if j not in seen]
        raise InputError(path, f"the order lists {len(order)} of {len(names)} variables; missing: "
                         f"{', '.join(missing[:6])}{', ...' if len(missing) > 6 else ''}")
    return np.asarray(order, dtype=np.int64)


def load_edges(path, names: list[str]) -> np.ndarray:
    """Edges as a d x d boolean matrix from a CSV of `source,target` name pairs (optional header
    `source,target`)."""
    index = {name: j for j, name in enumerate(names)}
    d = len(names)
    E = np.zeros((d, d), dtype=bool)
    for k, (number, line) in enumerate(_name_lines(path)):
        fields = [f.strip().strip('"') for f in (line.split(",") if "," in line else line.split())]
        if len(fields) != 2:
            raise InputError(path, f"{len(fields)} fields; expected two: source,target", line=number)
        if k == 0 and [f.lower() for f in fields] == ["source", "target"]:
            continue
        a = _node(path, fields[0], index, number, "source,target variable names")
        b = _node(path, fields[1], index, number, "source,target variable names")
        if a == b:
            raise InputError(path, f"edge {names[a]} -> {names[b]} is a self-loop; a DAG has none", line=number)
        E[a, b] = True
    return E


def load_matrix(path, names: list[str] | None, what: str = "weighted adjacency matrix") -> tuple[np.ndarray, list]:
    """A d x d weighted adjacency matrix: CSV with the names as header row and first column (as written by
    `optsuite solve notears --out W.csv`), a plain numeric d x d CSV, or .npy. With `names`, a named
    matrix is reordered to them and must hold exactly those variables. Returns (W, names)."""
    if io.suffix_of(path) in io.CSV_SUFFIXES:
        W, found = _read_named_matrix(path, what)
    else:
        W, found = io.read_table(path, what=what, npz_keys=("W",)).values, None
    if W.shape[0] != W.shape[1]:
        raise InputError(path, f"a {what} must be square, found {W.shape[0]} x {W.shape[1]}")
    if not np.isfinite(W).all():
        r, c = map(int, np.argwhere(~np.isfinite(W))[0])
        raise InputError(path, f"entry is {W[r, c]}; weights must be finite", field=f"row {r + 1}, column {c + 1}")
    d = W.shape[0]
    if names is None:
        return W, found if found is not None else default_names(d)
    if d != len(names):
        raise InputError(path, f"a {d} x {d} matrix for {len(names)} variables; expected {len(names)} x {len(names)}")
    if found is None:
        return W, list(names)
    if sorted(found) != sorted(names):
        extra = sorted(set(found) - set(names))
        raise InputError(path, f"its variables differ from the data's (e.g. '{extra[0]}' is not in the data)"
                         if extra else "its variables differ from the data's")
    perm = [found.index(name) for name in names]
    return W[np.ix_(perm, perm)], list(names)


def _read_named_matrix(path, what):
    text = io.read_text(path)
    lines = [(k, line) for k, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.strip().startswith("#")]
    if not lines:
        raise InputError(path, f"no data: the file is empty; expected a {what}")
    first = _fields(lines[0][1])
    named = not all(_is_number(f) for f in first)
    if not named:
        table = io.read_csv_table(path, header=False, what=what)
        return table.values, None
    cols = first[1:]
    rows, row_names = [], []
    for number, line in lines[1:]:
        fields = _fields(line)
        if len(fields) != len(cols) + 1:
            raise InputError(path, f"{len(fields)} fields, expected {len(cols) + 1} (a name and {len(cols)} "
                             "weights) as in the header", line=number)
        row_names.append(fields[0])
        try:
            rows.append([float(v) for v in fields[1:]])
        except ValueError:
            bad = next(v for v in fields[1:] if not _is_number(v))
            raise InputError(path, f"'{bad}' is not a number; expected weights", line=number) from None
    if row_names != cols:
        raise InputError(path, "the row names (first column) must equal the column names (header) in the same "
                         "order", line=lines[0][0])
    _check_names(path, cols)
    return np.asarray(rows, dtype=np.float64).reshape(len(cols), len(cols)), cols


def _fields(line: str) -> list[str]:
    delim = "," if "," in line else ("\t" if "\t" in line else None)
    return [f.strip().strip('"') for f in (line.split(delim) if delim else line.split())]


def _is_number(field: str) -> bool:
    try:
        float(field)
        return True
    except ValueError:
        return False


def load_solution(path) -> dict:
    """A solution JSON written by `optsuite solve notears` (needs `W` or `edges`)."""
    sol = io.read_json(path)
    if not isinstance(sol, dict) or not ("W" in sol or "edges" in sol):
        raise InputError(path, "not a notears solution: expected a JSON object with 'W' or 'edges' "
                         "(as written by `optsuite solve notears --out FILE.json`)")
    return sol


# ------------------------------------------------------------------------------------------ writing

def matrix_csv(W, names) -> str:
    """The weighted adjacency matrix with the names as header row and first column."""
    lines = ["," + ",".join(names)]
    for name, row in zip(names, np.asarray(W, dtype=np.float64)):
        lines.append(name + "," + ",".join("0" if v == 0 else repr(float(v)) for v in row))
    return "\n".join(lines) + "\n"


def data_csv(X, names) -> str:
    lines = [",".join(names)]
    lines += [",".join(repr(float(v)) for v in row) for row in X]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------- generator

def random_dag(graph: str, degree: float, d: int, rng) -> np.ndarray:
    """A random DAG as a d x d 0/1 matrix (B[i, j] = 1: i -> j), relabelled by a random permutation.
    ER: round(degree * d) edges (at most d(d-1)/2) drawn uniformly among node pairs, oriented along a
    random order. SF: directed Barabasi-Albert; each new node links to min(round(degree), v) earlier
    nodes chosen with probability proportional to in-degree + 1, edges new -> old (hubs have many parents)."""
    B = np.zeros((d, d))
    if graph == "ER":
        pairs = d * (d - 1) // 2
        m = min(int(round(degree * d)), pairs)
        lower = np.flatnonzero(np.tril(np.ones((d, d)), -1).ravel())
        chosen = rng.choice(lower, size=m, replace=False)
        B.ravel()[chosen] = 1.0  # i > j: edge i -> j, i.e. along the order d-1, ..., 0
    elif graph == "SF":
        k = max(int(round(degree)), 1)
        indegree = np.zeros(d)
        for v in range(1, d):
            targets = rng.choice(v, size=min(k, v), replace=False, p=(indegree[:v] + 1) / (indegree[:v] + 1).sum())
            B[v, targets] = 1.0
            indegree[targets] += 1
    else:
        raise ValueError(graph)
    perm = rng.permutation(d)
    return B[np.ix_(perm, perm)]


def random_weights(B, rng, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    """Weights uniform in [-high, -low] U [low, high] on the edges of B."""
    magnitude = rng.uniform(low, high, size=B.shape)
    sign = rng.choice([-1.0, 1.0], size=B.shape)
    return B * magnitude * sign


def simulate(W, n: int, noise: str, rng) -> np.ndarray:
    """n samples of the linear SEM X_j = sum_i W_ij X_i + z_j (equal noise scale 1): gauss N(0, 1), exp
    Exp(1), gumbel Gumbel(0, 1); logistic gives binary X_j ~ Bernoulli(sigmoid(sum_i W_ij X_i))."""
    from optsuite.solvers.notears.graphs import topological_order

    d = W.shape[0]
    X = np.zeros((n, d))
    for j in topological_order(W != 0):
        m = X @ W[:, j]
        if noise == "gauss":
            X[:, j] = m + rng.standard_normal(n)
        elif noise == "exp":
            X[:, j] = m + rng.exponential(1.0, n)
        elif noise == "gumbel":
            X[:, j] = m + rng.gumbel(0.0, 1.0, n)
        elif noise == "logistic":
            X[:, j] = (rng.random(n) < 1.0 / (1.0 + np.exp(-m))).astype(np.float64)
        else:
            raise ValueError(noise)
    return X


def generate(graph: str = "ER", degree: float = 2.0, d: int = 10, n: int = 1000, noise: str = "gauss",
             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random DAG with weights and n samples of its linear SEM: (X, W_true). Deterministic in the seed."""
    rng = np.random.default_rng([seed, d, n, GRAPHS.index(graph), int(round(degree * 1000)), NOISES.index(noise)])
    W = random_weights(random_dag(graph, degree, d, rng), rng)
    return simulate(W, n, noise, rng), W
