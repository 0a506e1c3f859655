"""optsuite.cli: the `optsuite` command line (Typer). Wiring only: options, output, exit codes.

Modules import only typer, the standard library and optsuite.cli at module level; everything heavy is
imported inside command bodies, so `optsuite --help` does not load numpy, numba, scipy or cvxpy.
"""
