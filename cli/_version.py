"""The optsuite version, read by packaging and by `optsuite --version`."""

__version__ = "0.1.0"
