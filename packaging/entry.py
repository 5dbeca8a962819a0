"""The frozen program's entry point: the same `followup` command as the pip install."""

import sys

from followup.cli import main

if __name__ == "__main__":
    sys.exit(main())
