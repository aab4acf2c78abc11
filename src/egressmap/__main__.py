"""``python -m egressmap``."""

from .cli import main

raise SystemExit(main())
