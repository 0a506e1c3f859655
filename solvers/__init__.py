"""optsuite.solvers: Numba kernels and the plain-Python drivers that call them.

Importing this package is cheap (standard library only). Heavy imports (numpy, numba, scipy, cvxpy)
happen in the solver families themselves, and numba only ever through `optsuite.solvers._jit`, which
chooses the JIT cache directory before numba reads its configuration.
"""
