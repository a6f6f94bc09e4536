#!/usr/bin/env bash
# The one command that runs every test: installs what is missing, builds (Release) and
# runs ctest (unit, MPI integration and xarray/zarr interop tests).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ZPMPI_BUILD"
ctest --output-on-failure -j "$(nproc)" "$@"
