"""python -m netbench <bench|report|verify> ..."""

import sys

from .cli import main

sys.exit(main())
