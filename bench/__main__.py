"""``python -m bench`` (run ``. scripts/setup.sh`` first, or use ``bash bench/run.sh``)."""

import sys

from bench.cli import main

sys.exit(main())
