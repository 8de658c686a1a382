"""The lab layer: what looks at a running world from outside, as any DNS tool would.

Probe, trace, check, real resolvers, the testing helpers and the pytest plugin. Speaks DNS
over sockets with dnspython. May import ``world``, ``dns`` and ``api``; never the command line.
"""
