#!/usr/bin/env bash
# The unit tests from a fresh clone in a place unlike the developer's: a directory other
# users cannot enter (0700, as home and project directories are on many clusters), a path
# with a space, a private TMPDIR, umask 077. Run as root this catches tests that drop to
# user "nobody" and cannot reach their files (issue 16); as any user it catches tests that
# depend on where the checkout lives.
#
#   scripts/clone_test.sh [TARGET...]   (default: the unit tests that touch files, below)
#
# Clones HEAD of ZPMPI_ROOT (default: this checkout) with git clone --no-hardlinks, so only
# committed work is tested. Configures and builds just TARGETs (-j ZPMPI_JOBS, default 2)
# and runs their tests with ctest. Needs the packages of scripts/setup.sh (already there
# when scripts/test.sh ran). Leaves nothing behind unless ZPMPI_KEEP_CLONE=1.
set -euo pipefail
ZPMPI_ROOT=${ZPMPI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
JOBS=${ZPMPI_JOBS:-2}
# The unit tests that create files, run Python on paths or change user: the ones a
# checkout's location can break. The others are pure computations.
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(unit_source unit_zarr unit_codec unit_exec)

base=$(mktemp -d "${TMPDIR:-/tmp}/zpmpi-clone.XXXXXX")
[ "${ZPMPI_KEEP_CLONE:-0}" = 1 ] || trap 'rm -rf "$base"' EXIT
top="$base/private dir"  # 0700 and a space, like "/home/Jane Doe" on some clusters
mkdir -m 0700 "$top" "$top/tmp"
chmod 0700 "$base"
repo="$top/repo"
git clone --quiet --no-hardlinks "$ZPMPI_ROOT" "$repo"
echo "clone_test: $(git -C "$repo" log -1 --format='%h %s') in '$repo' as $(id -un)"

umask 077
export TMPDIR="$top/tmp"
start=$(date +%s)
cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=Release >"$base/configure.log" 2>&1 ||
  { cat "$base/configure.log"; exit 1; }
cmake --build "$repo/build" -j "$JOBS" --target "${TARGETS[@]}" >"$base/build.log" 2>&1 ||
  { tail -n 50 "$base/build.log"; exit 1; }
built=$(date +%s)
echo "clone_test: configured and built ${TARGETS[*]} in $((built - start)) s"
# Only the tests of the targets built: not the integration tests (they need zpmpi) and not
# the placeholders gtest_discover_tests adds for executables that were not built.
cd "$repo/build"
ctest --output-on-failure -j "$JOBS" -LE integration -E '_NOT_BUILT$'
echo "clone_test: ran the tests in $(($(date +%s) - built)) s"
