# Lesson out-of-bailiwick (sourced by scripts/demo; the words are defined in scripts/lesson.sh)
# name servers under another domain, hosted elsewhere: no glue needed, only a copy of the addresses
title "out-of-bailiwick: name servers under a domain hosted elsewhere - no glue needed"
say "example.org uses ACNS names ns1/ns2.dnsnames.net. dnsnames.net is not on Cloudflare: another"
say "DNS host (Other DNS, ns1/ns2.otherdns.com) serves it, with the addresses copied from Cloudflare."
page "org -> example.org -> ns1/ns2.dnsnames.net, marked 'unrelated': no glue, and none needed."

run dig @$ORG $P www.example.org A +norec +noall +authority +additional
say "NS records only: org cannot vouch for addresses of names under net (RFC 1034 §4.2.1)."
inet dig +trace www.example.org
inet dig +trace ns1.dnsnames.net
say "dig asked its resolver for ns1.dnsnames.net, found the ordinary way: root -> net -> Other DNS."
run acns-dns ns list
run dig @127.53.2.1 $P ns1.dnsnames.net A +short
say "The one duty here: the A/AAAA Cloudflare assigned, copied into dnsnames.net at its DNS host. They match."
run acns-dns trace www.example.org
run acns-dns check example.org
run acns-dns lab out-of-bailiwick --recorded
