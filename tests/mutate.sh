#!/bin/sh
# Mutation testing: break each op family in turn and show that its test fails.
# Each tests/mutate.d/*.sh lists mutations, one per line:
#   FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
# (blank lines and lines starting with # are ignored). For each, the original
# text must occur in FILE; it is replaced once, the test is rebuilt and run in a
# separate build directory, and the source is restored byte for byte. The run
# fails if any mutation survives (its test still passes) or cannot be applied.
cd "$(dirname "$0")/.." || exit 2
BUILD=build-mutate
PY=/usr/bin/python3
killed=0
survived=0
broken=0
trap 'for f in $(find src -name "*.mutate-orig"); do mv "$f" "${f%.mutate-orig}"; done' EXIT INT TERM
for list in tests/mutate.d/*.sh; do
    [ -f "$list" ] || continue
    while IFS= read -r line; do
        case "$line" in '' | '#'*) continue ;; esac
        file=$(echo "$line" | cut -d'|' -f1)
        orig=$(echo "$line" | cut -d'|' -f2)
        mut=$(echo "$line" | cut -d'|' -f3)
        test=$(echo "$line" | cut -d'|' -f4)
        if ! $PY - "$file" "$orig" "$mut" <<'PY'
import sys
path, orig, mut = sys.argv[1:4]
s = open(path).read()
if orig not in s:
    sys.exit(1)
open(path + ".mutate-orig", "w").write(s)
open(path, "w").write(s.replace(orig, mut, 1))
PY
        then
            echo "BROKEN  $file: text not found: $orig"
            broken=$((broken + 1))
            continue
        fi
        if ! make -s BUILD=$BUILD "$BUILD/tests/$test" >/dev/null 2>&1; then
            echo "BROKEN  $file: '$orig' -> '$mut' does not compile (a mutation must build)"
            broken=$((broken + 1))
        elif "$BUILD/tests/$test" >/dev/null 2>&1; then
            echo "SURVIVED $file: '$orig' -> '$mut' ($test still passes)"
            survived=$((survived + 1))
        else
            echo "killed  $file: '$orig' -> '$mut' ($test)"
            killed=$((killed + 1))
        fi
        mv "$file.mutate-orig" "$file"
        touch "$file"
    done <"$list"
done
echo "mutations: $killed killed, $survived survived, $broken could not be applied"
[ $((killed + survived + broken)) -gt 0 ] || { echo "no mutations found"; exit 1; }
[ "$survived" = 0 ] && [ "$broken" = 0 ]
