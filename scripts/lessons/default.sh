# Lesson default (sourced by scripts/demo; the words are defined in scripts/lesson.sh)
# everything right: root -> com -> the Cloudflare edge, with in-domain glue (start here)
title "default: how a name is found when everything is right"
say "example.com is on Cloudflare and uses ACNS names ns1/ns2.example.com; its registrar publishes"
say "their addresses at com as glue. example.net (at Cloudflare Registrar) uses the same names."
page "everything green, the badge says HEALTHY; watch the journal as the commands below ask."

inet dig +trace www.example.com
say "root -> com -> ns1.example.com, an address Cloudflare assigned: its edge answers there."
run dig @$ROOT $P www.example.com A +norec +noall +authority +additional
run dig @$COM $P www.example.com A +norec +noall +authority +additional
say "in-domain glue: ns1.example.com lies inside example.com, so com gives its address with the referral."
run dig @$EDGE $P example.com NS
run acns-dns ns list
run dig @$NET $P www.example.net A +norec +noall +authority +additional
say "net may not give addresses for names under com: no glue; a resolver looks them up through com."
inet dig +trace www.example.net
inet host www.example.com
inet getent hosts www.example.com
run acns-dns check example.com
