"""optsuite.problems: reading, validating and writing problem and solution files; instance generators.

No algorithm code lives here. `io` holds the shared readers and writers that every problem kind reuses.
"""
