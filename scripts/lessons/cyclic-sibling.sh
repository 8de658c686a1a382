# Lesson cyclic-sibling (sourced by scripts/demo; the words are defined in scripts/lesson.sh)
# two zones served by each other's names: only sibling glue gets in; the cycle is broken for good
title "cyclic-sibling: two zones served by each other's names"
say "alpha.net is served by ns1/ns2.beta.net, and beta.net by ns1/ns2.alpha.net (ACNS sets 1 and 2)."
say "To find alpha.net you need beta.net's servers, which need alpha.net's: a cycle."
page "net -> alpha.net -> ns1/ns2.beta.net, the glue marked 'sibling': it works, but only thanks to that."

inet dig +trace www.alpha.net
run dig @$NET $P www.alpha.net A +norec +noall +authority +additional
say "net's referral for alpha.net carries the addresses of ns1/ns2.beta.net: sibling glue (RFC 9471 §2.3),"
say "which a registry may send and a resolver may use - or not."
run acns-dns trace www.alpha.net
run acns-dns lab cyclic-sibling --recorded
say "The rows above: who uses the sibling glue and who does not, and what all four do with in-domain glue only."

say "The break: the glue goes (a registry that sends in-domain glue only does the same to a referral)."
run acns-dns registrar set-glue ns1.beta.net --delete
run acns-dns registrar set-glue ns2.beta.net --delete
run acns-dns registrar set-glue ns1.alpha.net --delete
run acns-dns registrar set-glue ns2.alpha.net --delete
page "red: ns1.beta.net cannot be resolved - a dependency cycle."
inet unbound-control flush_zone net
inet dig www.alpha.net
inet grep -m1 www.alpha.net "$RESOLVER_LOG"
say "unbound's own words, as the lab recorded them in the in-domain-glue-only case."
inet dig +trace www.alpha.net

say "The fix that needs no sibling glue: alpha.net served by its own names, with in-domain glue."
run acns-dns zone use-acns alpha.net --set 2
run acns-dns registrar set-ns alpha.net ns1.alpha.net ns2.alpha.net
run acns-dns registrar set-glue ns1.alpha.net --assigned
run acns-dns registrar set-glue ns2.alpha.net --assigned
page "green: alpha.net -> ns1/ns2.alpha.net with in-domain glue; beta.net -> the same names, which alpha.net now answers for."
inet unbound-control flush_zone net
inet dig +trace www.alpha.net
inet dig www.beta.net
run acns-dns check alpha.net
run acns-dns check beta.net
