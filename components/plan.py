"""`python -m components.plan`: the offline plan's command line (see `components.testing.plan`).

Kept at this path because it is the documented command; the implementation is test tooling and
lives in the opt-in `testing` package, which no component imports.
"""

from __future__ import annotations

import sys

from .testing.plan import main

if __name__ == "__main__":
    sys.exit(main())
