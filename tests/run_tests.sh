#!/bin/sh
# Run the suite: every C test program, the CLI tests, and the conformance check.
# usage: tests/run_tests.sh BUILD_DIR [--long] [--asan]
# Exit status: non-zero if anything failed. Prints a summary line at the end.
BUILD=${1:-build}
shift
LONG=0
for a in "$@"; do
    case "$a" in
    --long) LONG=1 ;;
    --asan) ;;
    *) echo "run_tests.sh: unknown option $a" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.." || exit 2
export VCT_BIN="$BUILD/vct" VCT_BUILD="$BUILD"
pass=0
fail=0
skipped=0
failed=""
run() { # name command...
    name=$1
    shift
    start=$(date +%s)
    log="$BUILD/test-logs/$(echo "$name" | tr '/ ' '__').log"
    mkdir -p "$BUILD/test-logs"
    "$@" >"$log" 2>&1
    rc=$?
    if [ $rc = 0 ]; then
        pass=$((pass + 1))
        echo "ok   $name ($(($(date +%s) - start)) s)"
    elif [ $rc = 77 ]; then # the test could not run here: counted apart, never as a pass
        skipped=$((skipped + 1))
        echo "SKIP $name: $(tail -1 "$log")"
    else
        fail=$((fail + 1))
        failed="$failed $name"
        echo "FAIL $name ($(($(date +%s) - start)) s); its output:"
        sed 's/^/    /' "$log" | tail -60
    fi
}
for t in $(find "$BUILD/tests" -type f -name 'test_*' ! -name '*.d' -perm -u+x | sort); do
    run "${t#$BUILD/tests/}" "$t"
done
for t in $(find tests/cli -name 'test_*.sh' | sort); do
    run "$t" sh "$t"
done
run "layers (tests/layers.sh)" sh tests/layers.sh
run "conformance (tests/conform_check.sh)" sh tests/conform_check.sh "$BUILD"
if [ "$LONG" = 1 ]; then
    for t in $(find tests/long -name '*.sh' 2>/dev/null | sort); do
        run "$t" sh "$t"
    done
    run "mutation testing (tests/mutate.sh)" sh tests/mutate.sh
fi
echo "suite: $pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ] || { echo "failed:$failed"; exit 1; }
