"""The world layer: the one in-memory model of the simulated Internet and every operation on it.

Names, errors, models, address allocation, the root/TLD/host infrastructure, the Cloudflare and
registrar operations, the registry (indexes and transactions), durable state, scenarios and zone
files. Knows nothing of sockets, DNS messages or HTTP; imports only itself.
"""
