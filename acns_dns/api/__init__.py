"""The HTTP API: Cloudflare's v4 paths for ACNS and the simulator's own ``/sim`` paths."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
