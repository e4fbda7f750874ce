#!/usr/bin/env bash
# Compares `pelican lint` with squawk's own CLI on real public migration histories taken from
# crates.io: Lemmy's diesel migrations (lemmy_db_schema 0.19.11: <dir>/up.sql and
# <dir>/down.sql) and Atuin's sqlx migrations (atuin-server-postgres 18.20.1: migrations/*.sql).
# Prints, per history and per rule: squawk's count, pelican's, how many match (same file, same
# line, same rule), and how many only one of them reports; then the same on the small files of
# scripts/squawk-cases, one deliberate difference or suspected bug each. See docs/lint-vs-squawk.md.
#
# Environment:
#   PELICAN      the pelican binary (default: target/release/pelican, built with
#                `cargo build --release --all-features --bin pelican` if missing; honours
#                CARGO_TARGET_DIR)
#   SQUAWK       the squawk binary (default: squawk-cli 2.68.0 installed with pip into
#                $SQUAWK_VENV, default /tmp/squawk-venv)
#   WORK         where the crates are unpacked and the JSON is kept (default /tmp/pelican-vs-squawk)
#   DIFFS        how many differing findings to list per comparison (default 10)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
helper="$here/compare_squawk.py"
WORK="${WORK:-/tmp/pelican-vs-squawk}"
DIFFS="${DIFFS:-10}"
SQUAWK_VERSION=2.68.0
SQUAWK_VENV="${SQUAWK_VENV:-/tmp/squawk-venv}"
mkdir -p "$WORK"

# squawk
if [[ -z "${SQUAWK:-}" ]]; then
    SQUAWK="$SQUAWK_VENV/bin/squawk"
    if [[ ! -x "$SQUAWK" ]] || [[ "$("$SQUAWK" --version)" != "squawk $SQUAWK_VERSION" ]]; then
        python3 -m venv "$SQUAWK_VENV"
        "$SQUAWK_VENV/bin/pip" install -q "squawk-cli==$SQUAWK_VERSION"
    fi
fi

# pelican
if [[ -z "${PELICAN:-}" ]]; then
    PELICAN="${CARGO_TARGET_DIR:-$root/target}/release/pelican"
    if [[ ! -x "$PELICAN" ]]; then
        (cd "$root" && cargo build --release --all-features --bin pelican)
    fi
fi
PELICAN="$(cd "$(dirname "$PELICAN")" && pwd)/$(basename "$PELICAN")"

# fetch CRATE VERSION: unpacks the crate from crates.io into $WORK once.
fetch() {
    local dir="$WORK/$1-$2"
    if [[ ! -d "$dir" ]]; then
        curl -sfL "https://static.crates.io/crates/$1/$1-$2.crate" | tar xz -C "$WORK"
    fi
}

# compare NAME DIR GLOB: both linters on the files of DIR matching GLOB (relative names, so
# the two reports name files alike), then the table.
compare() {
    local name="$1" dir="$2" glob="$3"
    local out
    out="$WORK/$(printf '%s' "$name" | tr -c 'A-Za-z0-9._-' '_')"
    (
        cd "$dir"
        shopt -s nullglob
        # shellcheck disable=SC2206
        local files=($glob)
        # diesel and sqlx run each migration in a transaction.
        local sstatus=0
        "$SQUAWK" --reporter json --assume-in-transaction "${files[@]}" >"$out.squawk.json" || sstatus=$?
        if [[ $sstatus -gt 1 ]]; then
            exit "$sstatus"
        fi
        "$SQUAWK" --debug ast "${files[@]}" >"$out.ast.txt" 2>/dev/null || true
        # A plain .sql file is linted as the SQL of a transactional revision.
        local status=0
        "$PELICAN" lint --quiet --color never --format json "${files[@]}" \
            >"$out.pelican.json" 2>"$out.pelican.stderr" || status=$?
        # 1: an error was found; anything else is pelican failing.
        if [[ $status -gt 1 ]]; then
            cat "$out.pelican.stderr" >&2
            exit "$status"
        fi
    )
    echo
    echo "## $name ($(python3 "$helper" statements "$out.ast.txt"))"
    echo
    python3 "$helper" table "$out.squawk.json" "$out.pelican.json" --diffs "$DIFFS"
}

echo "squawk: $("$SQUAWK" --version); pelican: $("$PELICAN" --version)"

fetch lemmy_db_schema 0.19.11
lemmy="$WORK/lemmy_db_schema-0.19.11/migrations"
compare "lemmy_db_schema-0.19.11 up.sql" "$lemmy" "*/up.sql"
compare "lemmy_db_schema-0.19.11 down.sql" "$lemmy" "*/down.sql"

fetch atuin-server-postgres 18.20.1
compare "atuin-server-postgres-18.20.1" "$WORK/atuin-server-postgres-18.20.1/migrations" "*.sql"

# The differences the two real histories don't exercise, one small file each.
compare "cases (scripts/squawk-cases)" "$here/squawk-cases" "*.sql"
