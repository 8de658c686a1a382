# Lesson wrong-removal-order (sourced by scripts/demo; the words are defined in scripts/lesson.sh)
# ACNS switched off before the registrar moved: a lame delegation; the registrar moves late
title "wrong-removal-order: ACNS switched off before the registrar moved"
say "example.com used ns1/ns2.example.com (ACNS set 1). Then, in this order: the zone went back to"
say "Cloudflare's own names, and the ACNS names were deleted (their addresses released). The registrar"
say "still delegates to ns1/ns2.example.com, with glue pointing at the released addresses."
page "red links: nothing answers at the glue addresses; the Cloudflare panel: example.com uses its branded pair, set 1 is empty."

inet dig www.example.com
inet dig +trace www.example.com
run dig @$COM $P www.example.com A +norec +noall +authority +additional
run acns-dns ns list
run dig @$EDGE $P example.com NS +short
say "Cloudflare answers for example.com with its branded pair: that is where the registrar must point."
run acns-dns trace www.example.com
run acns-dns lab wrong-removal-order --recorded

say "The right order (the seed): 1. the registrar points to Cloudflare's names; 2. wait out the old"
say "NS records' TTL (two days at com); 3. the zone goes back to Cloudflare's names; 4. delete the ACNS"
say "names and their glue. Repair: do step 1 now, then remove the glue of the deleted names."
branded=$(dig @$EDGE $P example.com NS +short | sed 's/\.$//' | sort | tr '\n' ' ')
# shellcheck disable=SC2086 # one argument per name
run acns-dns registrar set-ns example.com $branded
run acns-dns registrar set-glue ns1.example.com --delete
run acns-dns registrar set-glue ns2.example.com --delete
page "green: com -> example.com -> the branded pair; no glue rows left for the deleted names."
run dig @$COM $P www.example.com A +norec +noall +authority +additional
say "A resolver keeps the old delegation until its TTL runs out; tell ours to forget it:"
inet unbound-control flush_zone example.com
inet dig www.example.com
inet dig +trace www.example.com
run acns-dns check example.com
