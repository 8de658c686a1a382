# Lesson missing-glue (sourced by scripts/demo; the words are defined in scripts/lesson.sh)
# name servers inside the zone and no glue: the walk stops at com; the registrar adds the glue
title "missing-glue: name servers inside the zone, and no glue"
say "example.com is on Cloudflare and uses account custom nameservers ns1/ns2.example.com (ACNS set 1)."
say "Its registrar delegates to those names but never published their addresses: no glue."
page "the badge says BROKEN; the com -> example.com links are red and dashed, the reason written under them."

inet dig www.example.com
say "SERVFAIL: the recursive resolver this shell uses (unbound, in /etc/resolv.conf) cannot reach example.com."
inet dig +trace www.example.com
say "dig +trace walks from the root itself: the root refers to com, com refers to ns1/ns2.example.com ..."
say "... and then dig needs their addresses. They lie inside example.com, the zone it is trying to reach."
run dig @$COM $P www.example.com A +norec +noall +authority +additional
say "com's referral exactly as a resolver gets it: the NS records, and no additional section (no glue)."
page "the journal shows each of these questions, with the server that answered it."
run acns-dns trace www.example.com
say "acns-dns trace explains every hop; the last lines quote what four real resolvers did here."
inet grep -m1 www.example.com "$RESOLVER_LOG"
say "unbound's own log line for our dig: the one the lab recorded for unbound."
run acns-dns lab missing-glue --recorded
say "(all four live, if installed, about a minute: acns-dns lab missing-glue --fix)"

say "The fix, the seed's step 2: publish the addresses Cloudflare assigned as glue, at the registrar."
run acns-dns ns list
run acns-dns registrar set-glue ns1.example.com --assigned
run acns-dns registrar set-glue ns2.example.com --assigned
page "the links turn green and the badge says HEALTHY; the glue rows list the addresses."
run dig @$COM $P www.example.com A +norec +noall +authority +additional
say "the same referral now carries the glue: in-domain glue is mandatory (RFC 9471 §3.1)."
say "A resolver remembers a failure for a few seconds, a delegation for up to its TTL (172800 s above)."
say "The one in this shell is ours to tell: forget example.com."
inet unbound-control flush_zone example.com
inet dig +trace www.example.com
inet dig www.example.com
run acns-dns check example.com
