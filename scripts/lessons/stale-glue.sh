# Lesson stale-glue (sourced by scripts/demo; the words are defined in scripts/lesson.sh)
# glue that points where nobody answers: a lame delegation; the registrar corrects the glue
title "stale-glue: glue that points at nobody"
say "example.com uses ns1/ns2.example.com (ACNS set 1). Its registrar publishes glue for them, but not"
say "the addresses Cloudflare assigned: 127.53.3.1 and 127.53.3.2, where nothing listens."
page "red links: nothing answers at the glue addresses - a lame delegation, the reason written under each name."

inet dig www.example.com
say "SERVFAIL, after the resolver tried both addresses and gave up."
run dig @$COM $P www.example.com A +norec +noall +authority +additional
say "this referral does carry glue: the wrong one."
run acns-dns ns list
say "what Cloudflare assigned - and what its edge itself answers for ns1.example.com:"
run dig @$EDGE $P ns1.example.com A +short
run dig @127.53.3.1 $P www.example.com A +tries=1
say "connection refused: nothing listens at the glue address (on the Internet, often a timeout)."
inet dig +trace www.example.com
run acns-dns check example.com
run acns-dns lab stale-glue --recorded

say "The fix: replace the glue with the assigned addresses."
run acns-dns registrar set-glue ns1.example.com --assigned
run acns-dns registrar set-glue ns2.example.com --assigned
page "the links turn green and the badge says HEALTHY."
run dig @$COM $P www.example.com A +norec +noall +authority +additional
say "A resolver remembers what it learned (the old glue, for up to its TTL: 172800 s above)."
say "The one in this shell is ours to tell: forget example.com."
inet unbound-control flush_zone example.com
inet dig www.example.com
inet dig +trace www.example.com
run acns-dns check example.com
