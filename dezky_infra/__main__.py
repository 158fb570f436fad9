"""``python -m dezky_infra <command>``: the same as the ``dezky-infra`` console script."""

import sys

from dezky_infra.cli import main

sys.exit(main())
