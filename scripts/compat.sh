#!/usr/bin/env bash
# Runs pelican's PostgreSQL compatibility subset on each given major version, and prints the
# tests run and the time taken per version.
#
#   scripts/compat.sh 14 15 16 17 18     # the full matrix (the default with no argument)
#   scripts/compat.sh 14 18              # what .ci/run runs besides the whole suite on 15
#
# The servers come from scripts/postgres-versions.sh (15 is Debian's when installed); the
# tests start their own throwaway servers from PELICAN_PG_BINDIR. The test binaries are built
# once (they don't depend on the server) and run once per version. Extra arguments after `--`
# go to the test binaries (`scripts/compat.sh 18 -- snapshot` runs the tests matching it).
#
# The subset: the migrator, processes and crashes, offline SQL, snapshots, autogenerate and
# drift, the newest features (pipeline, fleet, lint against a database, guard) and the
# version-specific tests (tests/versions.rs).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TESTS=(
    versions migrator semantics processes hardening offline
    schema checks scratch autogen autogen_kinds autogen_tables
    pipeline fleet guard cli pooler tls privileges
)

majors=()
while (($#)); do
    case $1 in
        --) shift; break ;;
        *) majors+=("$1"); shift ;;
    esac
done
((${#majors[@]})) || majors=(14 15 16 17 18)
filter=("$@")

test_args=()
for name in "${TESTS[@]}"; do
    test_args+=(--test "$name")
done

declare -A bindirs=()
installed=$(scripts/postgres-versions.sh "${majors[@]}") \
    || { echo "compat: error: could not install PostgreSQL ${majors[*]}" >&2; exit 1; }
while read -r major bindir; do
    bindirs[$major]=$bindir
done <<<"$installed"

printf '\n==> building the compat subset (%s)\n' "${TESTS[*]}"
cargo test --all-features "${test_args[@]}" --no-run

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
summary=()
failed=0
for major in "${majors[@]}"; do
    bindir=${bindirs[$major]}
    version=$("$bindir/postgres" --version)
    printf '\n==> PostgreSQL %s: %s (PELICAN_PG_BINDIR=%s)\n' "$major" "$version" "$bindir"
    log=$logs/$major.log
    start=$(date +%s)
    status=0
    PELICAN_PG_BINDIR=$bindir \
        cargo test --all-features --no-fail-fast "${test_args[@]}" -- "${filter[@]}" 2>&1 | tee "$log" \
        || status=$?
    seconds=$(($(date +%s) - start))
    counts=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) {
                      if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i;
                      if ($(i+1) ~ /^ignored/) g += $i } }
                  END { printf "%d passed, %d failed, %d ignored", p, f, g }' "$log")
    ((status == 0)) || failed=1
    summary+=("$(printf 'PostgreSQL %-2s %-28s %s in %ss%s' "$major" "($version)" "$counts" \
        "$seconds" "$( ((status == 0)) || echo ' FAILED')")")
done

printf '\n==> compat summary\n'
printf '%s\n' "${summary[@]}"
exit "$failed"
