"""``python -m loket`` is the ``loket`` console script."""

import sys

from loket.cli import main

sys.exit(main())
