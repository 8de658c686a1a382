# Lesson pending-ticket (sourced by scripts/demo; the words are defined in scripts/lesson.sh)
# the Cloudflare Registrar path: support tickets resolved in the wrong order, then the right one
title "pending-ticket: the Cloudflare Registrar path, half done"
say "example.com is registered at Cloudflare Registrar and the zone already uses ACNS set 1. There, NS"
say "and glue change through support tickets; three are open, so the registry has not changed yet."
page "'Open support tickets', each with a 'Support resolves it' button; com still refers to the branded pair."

run acns-dns ticket list
inet dig +trace www.example.com
say "com still refers to Cloudflare's branded pair, which serves the zone: it works, not through ACNS yet."
inet dig www.example.com
say "The resolver now holds that delegation in its cache, for up to two days."
run acns-dns lab pending-ticket --recorded

say "The wrong order: Support carries out the NS change (T0003) before the glue (T0001, T0002)."
run acns-dns ticket resolve T0003
run dig @$COM $P www.example.com A +norec +noall +authority +additional
say "com refers to ns1/ns2.example.com, inside example.com - and carries no glue for them."
page "red: the referral has no glue."
inet dig www.example.com
say "Still an answer: from the resolver's cache. Every resolver without it fails. Make ours forget:"
inet unbound-control flush_zone example.com
inet dig www.example.com
run acns-dns trace www.example.com

say "The fix: resolve the glue tickets. The right order does these first, then the NS change."
run acns-dns ticket resolve T0001
run acns-dns ticket resolve T0002
page "green; ns1/ns2.example.com with their glue; no open tickets."
run dig @$COM $P www.example.com A +norec +noall +authority +additional
inet unbound-control flush_zone example.com
inet dig +trace www.example.com
run acns-dns check example.com
