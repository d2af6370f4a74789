#!/bin/sh
# Install the Debian 12 packages vct needs to build and test. Idempotent:
# packages already present are skipped, and the script prints what it installs.
#   scripts/install-deps.sh              install what is missing
#   scripts/install-deps.sh --if-missing same, but silent when nothing is missing
#   scripts/install-deps.sh --check      exit 1 if something is missing, install nothing
#   scripts/install-deps.sh --ref        also the packages `make ref` needs (torch etc.)
set -e
BUILD_PKGS="gcc make pkg-config libdnnl-dev libopenblas-dev libavformat-dev libavcodec-dev
 libavutil-dev libswresample-dev libswscale-dev libsndfile1-dev libpng-dev libjpeg62-turbo-dev
 libcjson-dev libzip-dev libopenmpi-dev"
# compare.py (the conformance judge) needs numpy; the tests compare against torch 1.13.1
# (python3-torch) and scipy (linear_sum_assignment), and make test media with ffmpeg
TEST_PKGS="python3 python3-numpy python3-torch python3-scipy ffmpeg"
REF_PKGS="python3-torch python3-scipy python3-yaml python3-resampy python3-soundfile python3-pil sox ffmpeg"
MODE=install
PKGS="$BUILD_PKGS $TEST_PKGS"
for a in "$@"; do
    case "$a" in
    --check) MODE=check ;;
    --if-missing) MODE=quiet ;;
    --ref) PKGS="$PKGS $REF_PKGS" ;;
    *) echo "install-deps.sh: unknown option $a" >&2; exit 2 ;;
    esac
done
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    [ "$MODE" = quiet ] || echo "install-deps: all packages present"
    exit 0
fi
if [ "$MODE" = check ]; then
    echo "install-deps: missing:$missing"
    exit 1
fi
echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "install-deps: done"
