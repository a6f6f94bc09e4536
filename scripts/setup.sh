#!/usr/bin/env bash
# Shared by demo.sh and test.sh: install the Debian packages zpmpi needs (only those
# missing, quietly), then configure and build in Release. Safe to run again.
# Usage: source scripts/setup.sh   (sets ZPMPI_ROOT, ZPMPI_BUILD, ZPMPI_BIN)
set -euo pipefail

ZPMPI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ZPMPI_BUILD=${ZPMPI_BUILD:-$ZPMPI_ROOT/build}

ZPMPI_PACKAGES=(
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev libnetcdf-mpi-dev
  libboost-program-options1.81-dev libboost-json1.81-dev libzstd-dev liblz4-dev
  libdeflate-dev libblosc-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev cmake g++ make pkg-config time openssh-client
  python3-xarray python3-zarr python3-numcodecs python3-netcdf4 python3-dask netcdf-bin
  python3-h5py python3-fsspec
  slurm-wlm  # the SLURM test (tests/slurm): slurmctld, slurmd, sbatch, srun
)

zpmpi_install_packages() {
  local missing=()
  for p in "${ZPMPI_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "setup: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# zarrita, the independent Zarr v3 reader of the interop tests (tests/integration/zarrita/,
# versions pinned by its package-lock.json), with the machine's Node.js and npm. Without
# them, or without the npm registry, the v3 oracle tests are skipped and say why.
zpmpi_install_zarrita() {
  local dir=$ZPMPI_ROOT/tests/integration/zarrita
  [ -f "$dir/node_modules/zarrita/package.json" ] && return 0
  if ! command -v npm >/dev/null; then
    echo "setup: npm not found: the Zarr v3 oracle tests (zarrita) will be skipped" >&2
    return 0
  fi
  (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
    echo "setup: npm could not install zarrita: the Zarr v3 oracle tests will be skipped" >&2
}

# The S3 tests (tests/integration/s3_cases.py) need a local S3 server: moto with boto3, in a
# Python of its own (ZPMPI_MOTO_PYTHON, or python3 on PATH). No install step here: Debian 12
# packages no moto and PyPI is out of reach from these machines, so where moto is missing
# the S3 cases are skipped and say why. (npm's s3rver 3.7.1 could stand in; not wired.)

zpmpi_build() {
  cmake -S "$ZPMPI_ROOT" -B "$ZPMPI_BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$ZPMPI_BUILD" -j "$(nproc)" >/dev/null
}

zpmpi_install_packages
zpmpi_install_zarrita
zpmpi_build
ZPMPI_BIN=$ZPMPI_BUILD/zpmpi
# Open MPI refuses root unless told; tests and the demo run as root on CI machines.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
