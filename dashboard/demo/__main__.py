"""``python -m dashboard.demo --out DIR [--patients N] [--seed S]``: see files.py."""

import sys

from dashboard.demo.files import main

sys.exit(main())
