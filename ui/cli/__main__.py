"""``python -m ui.cli``: the command line, as ``article-qa`` runs it."""

import sys

from .main import main

sys.exit(main())
