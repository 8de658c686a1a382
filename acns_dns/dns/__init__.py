"""The DNS layer: the compiled view of the world and everything that answers queries from it.

Query parsing, the view, the pure answer function, the wire encoder, the UDP/TCP server, the
query journal and export. May import ``acns_dns.world``; never the API, lab or command line.
"""
