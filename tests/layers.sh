#!/bin/sh
# The layering of docs/architecture.md, checked on the include graph: every
# `#include "<layer>/..."` in src/ and cli/ must name a layer at or above the
# including file's own, in this order (each layer may use only those before it):
#   core ops autograd io audio data backbone model prior loss train api cli
# include/vct.h (the public header) may be included anywhere. Prints every edge
# that points the wrong way, and fails if there is one (or if nothing was checked).
# usage: sh tests/layers.sh [ROOT]
cd "${1:-$(dirname "$0")/..}" || exit 2
ORDER="core ops autograd io audio data backbone model prior loss train api cli"
rank() { # layer -> position in ORDER, or nothing
    i=0
    for l in $ORDER; do
        [ "$l" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
}
bad=0
edges=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
find src cli -name '*.[ch]' | sort >"$tmp"
while read -r f; do
    case "$f" in
    cli/*) own=cli ;;
    src/*) own=$(echo "$f" | cut -d/ -f2) ;;
    esac
    r_own=$(rank "$own")
    if [ -z "$r_own" ]; then
        echo "layers: $f: folder '$own' is not a documented layer (add it to docs/architecture.md and here)"
        bad=1
        continue
    fi
    # "#include "x/y.h"" lines, with their line numbers
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' "$f" | while IFS= read -r line; do
        n=${line%%:*}
        inc=$(echo "$line" | sed 's/.*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/')
        to=${inc%%/*}
        r_to=$(rank "$to")
        if [ -z "$r_to" ]; then
            echo "layers: $f:$n includes \"$inc\": '$to' is not a layer"
            echo x >>"$tmp.bad"
        elif [ "$r_to" -gt "$r_own" ]; then
            echo "layers: $f:$n includes \"$inc\": $own may not use $to (it comes later in: $ORDER)"
            echo x >>"$tmp.bad"
        fi
        echo x >>"$tmp.n"
    done
done <"$tmp"
[ -s "$tmp.bad" ] && bad=1
edges=$(cat "$tmp.n" 2>/dev/null | wc -l)
rm -f "$tmp.bad" "$tmp.n"
if [ "$edges" -eq 0 ]; then
    echo "layers: no include edge found: nothing was checked"
    exit 1
fi
if [ $bad = 0 ]; then
    echo "layers: $edges include edges, all in the documented order"
else
    echo "layers: FAILED (edges above point the wrong way)"
fi
exit $bad
