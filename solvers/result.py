"""The one Result type every solver returns, its status table, and conversion to JSON.

`Result` is a dict with attribute access, like scipy's OptimizeResult, so `res.objective` and
`res["objective"]` both work and `json.dumps(res.to_json())` gives the machine-readable report.
"""

from __future__ import annotations

import math

#: status -> (succeeded, message). Every solver reports one of these.
STATUS = {
    "converged": (True, "converged: the stopping criterion was met"),
    "max_iter": (False, "stopped at --max-iter before converging"),
    "max_oracle": (False, "stopped at the --max-oracle budget of operator evaluations before converging"),
    "diverged": (False, "diverged: the iterates grew without bound or became NaN"),
    "infeasible": (False, "the problem has no feasible point"),
    "stopped": (False, "stopped early by a callback or an interrupt"),
}


class Result(dict):
    """A solver's answer: objective, status, iterations, counters, arrays, timings and seed."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value

    @property
    def success(self) -> bool:
        return STATUS[self["status"]][0]

    def set_status(self, status: str, detail: str | None = None) -> None:
        """Set `status` and its standard `message` (plus an optional detail)."""
        if status not in STATUS:
            raise ValueError(f"unknown status {status!r}")
        self["status"] = status
        message = STATUS[status][1]
        self["message"] = f"{message} ({detail})" if detail else message

    def to_json(self) -> dict:
        """A copy made only of JSON types: arrays become lists, non-finite floats become null."""
        return jsonable(dict(self))

    def __repr__(self) -> str:
        keys = ", ".join(self.keys())
        return f"Result(status={self.get('status')!r}, objective={self.get('objective')!r}; keys: {keys})"


def jsonable(obj):
    """Recursively convert numpy arrays and scalars to lists and Python numbers; NaN and inf to None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):  # numpy arrays and numpy scalars
        return jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
