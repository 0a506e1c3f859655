"""The calibration kernel of `optsuite bench`: a fixed, single-threaded, deterministic Numba loop whose
CPU time measures how fast this machine runs our kind of code (reports divide by it to compare runs
from different machines)."""

from ._jit import exact_kernel


@exact_kernel
def calibration_loop(n):
    """A dependent chain of integer and floating-point work with a data-dependent branch (calib.v1)."""
    x = 0.5
    s = 0
    state = 12345
    for i in range(n):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        if state & 1:
            x = x * 0.999 + 0.001
        else:
            x = x * 1.001 - 0.0005
        s += state >> 16
    return x + s
