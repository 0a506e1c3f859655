"""Phase timing: wall and CPU seconds per named phase (read, compile, solve, write, total).

CPU seconds (process_time, all threads of this process) are what benchmarks compare on shared,
noisy machines; wall seconds are what a user waits. Both are kept.
"""

from __future__ import annotations

import time
from contextlib import contextmanager


class PhaseTimer:
    """Accumulates wall and CPU seconds per phase; `total` runs from construction."""

    def __init__(self):
        self._wall0 = time.perf_counter()
        self._cpu0 = time.process_time()
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str):
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - w0, time.process_time() - c0)

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall[name] = self.wall.get(name, 0.0) + wall
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def report(self) -> tuple[dict, dict]:
        """(wall, cpu) dicts of seconds, each ending with `total` since construction."""
        wall = {k: round(v, 6) for k, v in self.wall.items()}
        cpu = {k: round(v, 6) for k, v in self.cpu.items()}
        wall["total"] = round(time.perf_counter() - self._wall0, 6)
        cpu["total"] = round(time.process_time() - self._cpu0, 6)
        return wall, cpu
