#!/usr/bin/env python3
"""Compares `squawk --reporter json` with `pelican lint --format json` on the same files.

Usage:
  compare_squawk.py table SQUAWK.json PELICAN.json [--diffs N]
  compare_squawk.py statements AST_OUTPUT   (the output of `squawk --debug ast FILES...`)

A finding is keyed by (file, line, rule); matched = min(squawk's count, pelican's count) per
key, so two findings of one rule on one line match two. squawk's JSON reporter gives 0-based
lines and columns (its tty reporter 1-based); pelican's are 1-based, so squawk's line is
shifted by one before keys are compared. Standard library only.
"""

import collections
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    return json.loads(text) if text else []


def table(squawk_path, pelican_path, diffs):
    squawk = collections.Counter(
        (f["file"], f["line"] + 1, f["rule_name"]) for f in load(squawk_path)
    )
    pelican = collections.Counter(
        (f["file"], f["line"], f["rule"]) for f in load(pelican_path)
    )
    rules = sorted({k[2] for k in squawk} | {k[2] for k in pelican})
    rows = []
    total = [0, 0, 0, 0, 0]
    for rule in rules:
        s = sum(n for k, n in squawk.items() if k[2] == rule)
        p = sum(n for k, n in pelican.items() if k[2] == rule)
        keys = {k for k in squawk if k[2] == rule} | {k for k in pelican if k[2] == rule}
        matched = sum(min(squawk[k], pelican[k]) for k in keys)
        row = [s, p, matched, s - matched, p - matched]
        total = [a + b for a, b in zip(total, row)]
        rows.append([rule] + row)
    rows.append(["total"] + total)
    head = ["rule", "squawk", "pelican", "matched", "only-squawk", "only-pelican"]
    width = max(len(r[0]) for r in rows + [head])
    print("| " + head[0].ljust(width) + " | " + " | ".join(head[1:]) + " |")
    print("|" + "-" * (width + 2) + "|" + "|".join("-" * (len(h) + 1) + ":" for h in head[1:]) + "|")
    for r in rows:
        cells = [str(c).rjust(len(h)) for c, h in zip(r[1:], head[1:])]
        print("| " + r[0].ljust(width) + " | " + " | ".join(cells) + " |")
    if diffs:
        only_s = sorted((squawk - pelican).elements())
        only_p = sorted((pelican - squawk).elements())
        for label, items in (("only squawk", only_s), ("only pelican", only_p)):
            if items:
                print(f"\n{label} (first {min(diffs, len(items))} of {len(items)}):")
                for file, line, rule in items[:diffs]:
                    print(f"  {file}:{line} {rule}")


def statements(path):
    """Files and top-level statements in the concatenated JSON objects of `--debug ast`."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    decoder = json.JSONDecoder()
    at, files, count = 0, 0, 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            break
        obj, at = decoder.raw_decode(text, at)
        files += 1
        count += len(obj.get("stmts", []))
    print(f"{files} files, {count} statements")


def main(argv):
    if len(argv) >= 3 and argv[0] == "table":
        diffs = int(argv[argv.index("--diffs") + 1]) if "--diffs" in argv else 0
        table(argv[1], argv[2], diffs)
    elif len(argv) == 2 and argv[0] == "statements":
        statements(argv[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
