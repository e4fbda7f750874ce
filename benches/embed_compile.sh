#!/usr/bin/env bash
# Compile-time cost of embed_migrations!.
#
# Builds two scratch crates that depend on pelican: one embedding N generated SQL migrations
# (a chain, each with a header and a few lines of SQL), one embedding an empty directory. With
# the dependencies already built, it times `cargo build` of each crate alone (after touching
# its main.rs) RUNS times and reports the medians and their difference: the cost of
# embedding. Each binary then prints how long turning its set into a MigrationSet takes
# (what an application pays at startup before it talks to the database).
#
# Usage: benches/embed_compile.sh [N=1000] [RUNS=5]
#        PROFILE=release benches/embed_compile.sh    (default: dev)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-1000}
runs=${2:-5}
profile=${PROFILE:-dev}
target=${CARGO_TARGET_DIR:-$root/target}/embed-compile-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_crate() { # name count
    local dir=$work/$1
    mkdir -p "$dir/src" "$dir/migrations"
    cp "$root/Cargo.lock" "$dir/Cargo.lock"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$1"
version = "0.1.0"
edition = "2021"

[workspace]

[dependencies]
pelican = { path = "$root" }
EOF
    cat >"$dir/src/main.rs" <<'EOF'
static MIGRATIONS: pelican::EmbeddedMigrations = pelican::embed_migrations!();

fn main() {
    let start = std::time::Instant::now();
    let set = pelican::MigrationSet::from(&MIGRATIONS);
    let elapsed = start.elapsed();
    println!("{} migrations: MigrationSet::from took {elapsed:?}", set.len());
}
EOF
    local i parent=""
    for ((i = 1; i <= $2; i++)); do
        local id
        id=$(printf '%012x' "$i")
        printf -- '-- revision: %s\n-- revises: %s\n-- message: migration number %d\n-- created: 2026-01-01T00:00:00Z\n\n-- up\nCREATE TABLE table_%d (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()\n);\nCREATE INDEX table_%d_name ON table_%d (name);\n\n-- down\nDROP TABLE table_%d;\n' \
            "$id" "$parent" "$i" "$i" "$i" "$i" "$i" >"$dir/migrations/${id}_migration_$i.sql"
        parent=$id
    done
}

build() { # name
    (cd "$work/$1" && CARGO_TARGET_DIR=$target cargo build --offline --quiet --profile "$profile")
}

median_build_seconds() { # name
    local times=() i start end
    for ((i = 0; i < runs; i++)); do
        touch "$work/$1/src/main.rs"
        start=$(date +%s%N)
        build "$1"
        end=$(date +%s%N)
        times+=("$(((end - start) / 1000000))")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1000 }'
}

echo "generating a crate with $count migrations and one with none in $work"
make_crate embed_none 0
make_crate "embed_$count" "$count"
echo "building dependencies (once)"
build embed_none
build "embed_$count"

none=$(median_build_seconds embed_none)
some=$(median_build_seconds "embed_$count")
bin=$target/$([ "$profile" = dev ] && echo debug || echo "$profile")

echo
echo "cargo build ($profile) of the crate alone, median of $runs:"
echo "  embedding none:            ${none} s"
echo "  embedding $count migrations: ${some} s"
awk -v a="$some" -v b="$none" 'BEGIN { printf "  cost of embedding:         %.2f s\n", a - b }'
echo "startup:"
echo "  $("$bin/embed_none")"
echo "  $("$bin/embed_$count")"
