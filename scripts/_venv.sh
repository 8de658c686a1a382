# Sourced by scripts/serve and scripts/test: create or reuse .venv and install the project.
# $1: the extras to install ("" or "[test]"). Re-installs only when pyproject.toml changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
extras="${1:-}"
stamp="$venv/.installed${extras//[^a-z]/-}"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
    echo "installing acns-dns$extras into $venv ..." >&2
    log="$venv/install.log"
    if ! { "$venv/bin/python" -m pip install --upgrade pip &&
           "$venv/bin/python" -m pip install -e "$root$extras"; } >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        echo "installation failed; the whole log is in $log" >&2
        exit 1
    fi
    touch "$stamp"
fi
