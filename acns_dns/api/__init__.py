"""The API layer: Cloudflare's v4 paths, the simulator's own ``/sim`` paths and the HTTP server.

May import ``world`` and ``dns``; the only layer that imports FastAPI.
"""

from __future__ import annotations

from acns_dns.api.app import create_app

__all__ = ["create_app"]
