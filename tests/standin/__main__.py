"""``python -m tests.standin``: serve a Breeze stand-in until SIGTERM/SIGINT (see ``cli``)."""

from __future__ import annotations

import sys

from tests.standin.cli import main

if __name__ == "__main__":
    sys.exit(main())
