"""``python -m acns_dns`` runs the command line."""

from .cli import main

raise SystemExit(main())
