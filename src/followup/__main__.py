"""`python -m followup` runs the same entry point as the `followup` command."""

import sys

from followup.cli import main

sys.exit(main())
