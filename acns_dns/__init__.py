"""acns-dns: Cloudflare account custom nameservers and the DNS around them, on one machine."""

__version__ = "0.1.0"
