"""``python -m glassgrad.demo``: see ``glassgrad.demo``."""
import sys

from .run import main

sys.exit(main())
