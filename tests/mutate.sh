#!/bin/sh
# Mutation testing: break each op family in turn and show that its test fails.
# Each tests/mutate.d/*.sh lists mutations, one per line:
#   FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY   (TEST_BINARY relative to BUILD/tests)
# (blank lines and lines starting with # are ignored). The run happens in a copy
# of the tree next to this one (so ../shared resolves and the working tree is
# never touched). For each mutation the original text must occur in FILE; it is
# replaced once, the test is rebuilt and run, and the file is restored. The run
# fails if any mutation survives (its test still passes), cannot be applied, or
# does not compile (a mutation must build to count).
# usage: tests/mutate.sh [FAMILY ...]   (e.g. norm softmax; default: all)
SRC=$(cd "$(dirname "$0")/.." && pwd)
COPY=$(dirname "$SRC")/.vct-mutate-$$
PY=/usr/bin/python3
trap 'rm -rf "$COPY"' EXIT INT TERM
mkdir -p "$COPY"
(cd "$SRC" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | (cd "$COPY" && tar -xf -)
cd "$COPY" || exit 2
echo "mutate: building the unmutated tree in $COPY"
make -s BUILD=build tests >/dev/null 2>&1 || { echo "mutate: the unmutated tree does not build"; exit 2; }
lists=""
if [ $# -gt 0 ]; then for f in "$@"; do lists="$lists tests/mutate.d/$f.sh"; done; else lists=$(ls tests/mutate.d/*.sh); fi
killed=0
survived=0
broken=0
for list in $lists; do
    [ -f "$list" ] || { echo "BROKEN  no mutation list $list"; broken=$((broken + 1)); continue; }
    while IFS= read -r line; do
        case "$line" in '' | '#'*) continue ;; esac
        file=$(echo "$line" | cut -d'|' -f1)
        orig=$(echo "$line" | cut -d'|' -f2)
        mut=$(echo "$line" | cut -d'|' -f3)
        test=$(echo "$line" | cut -d'|' -f4)
        cp "$file" "$file.orig" 2>/dev/null || { echo "BROKEN  $file: no such file"; broken=$((broken + 1)); continue; }
        if ! $PY - "$file" "$orig" "$mut" <<'PY'
import sys
path, orig, mut = sys.argv[1:4]
s = open(path).read()
if orig not in s:
    sys.exit(1)
open(path, "w").write(s.replace(orig, mut, 1))
PY
        then
            echo "BROKEN  $file: text not found: $orig"
            broken=$((broken + 1))
        elif ! make -s BUILD=build "build/tests/$test" >/dev/null 2>&1; then
            echo "BROKEN  $file: '$orig' -> '$mut' does not compile"
            broken=$((broken + 1))
        elif timeout 600 "build/tests/$test" >/dev/null 2>&1; then
            echo "SURVIVED $file: '$orig' -> '$mut' ($test still passes)"
            survived=$((survived + 1))
        else
            echo "killed  $file: '$orig' -> '$mut' ($test)"
            killed=$((killed + 1))
        fi
        mv "$file.orig" "$file"
        touch "$file"
    done <"$list"
done
echo "mutations: $killed killed, $survived survived, $broken could not be applied"
[ $((killed + survived + broken)) -gt 0 ] || { echo "no mutations found"; exit 1; }
[ "$survived" = 0 ] && [ "$broken" = 0 ]
