"""`python -m optsuite.cli` runs the optsuite command line."""

from optsuite.cli.main import main

raise SystemExit(main())
