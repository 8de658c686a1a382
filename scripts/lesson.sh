# The words lessons are written in, sourced by scripts/demo: title, say, page, run, inet.
# A lesson (scripts/lessons/NAME.sh, NAME a packaged scenario) is a list of them, read top to
# bottom. `run` prints a command, waits for Enter with --step, and runs it; `inet` does the
# same for a command that needs the shell's Internet (dig +trace, the recursive resolver) and
# only shows it under --port. $P is "" inside acns-dns shell (port 53), "-p PORT" otherwise.

# the simulated servers the lessons ask (the same in every packaged scenario)
ROOT=127.53.0.1   # a.root-servers.net
COM=127.53.0.10   # ns1.nic.com
NET=127.53.0.11   # ns1.nic.net
ORG=127.53.0.12   # ns1.nic.org
EDGE=127.0.0.1    # the Cloudflare edge answers here too
RESOLVER_LOG="${ACNS_DNS_RESOLVER_LOG:-unbound.log}"  # the shell's unbound logs here

title() {
    printf '\n######## %s\n' "$*"
    if [ -n "${ACNS_DNS_API:-}" ]; then
        printf 'Page: %s/#token=%s   (open it on the projector: the drawing, the checks and every query below)\n' \
            "$ACNS_DNS_API" "${ACNS_DNS_ADMIN_TOKEN:-}"
    fi
}

say() { printf '== %s\n' "$*"; }

page() { printf 'page> %s\n' "$*"; }

# --step: one line of input per command; at the end of input the lesson stops
wait_for_enter() {
    [ "$step" = 1 ] || return 0
    printf '   [Enter] '
    if ! IFS= read -r _; then
        printf '\n== no more input: the lesson stops here\n'
        exit 0
    fi
    [ -t 0 ] || printf '\n'  # a terminal echoed the Enter; a pipe did not
}

run() {
    printf '\n$ %s\n' "$*"
    wait_for_enter
    "$@" </dev/null || true  # the Enter presses are for the lesson, not for the command
}

inet() {
    if [ -n "$P" ]; then
        printf '\n$ %s\n   (not run here: it needs acns-dns shell; the next lines say what it shows)\n' "$*"
        return 0
    fi
    run "$@"
}

run_lessons() {
    local lesson
    for lesson in "$@"; do
        # shellcheck source=/dev/null
        source "$lessons/$lesson.sh"
    done
}
