"""``python -m acns_dns`` runs the command line."""

from acns_dns.cli import main

raise SystemExit(main())
