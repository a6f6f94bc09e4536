#!/usr/bin/env bash
# zpmpi side by side with xarray+dask, dask distributed and nccopy; see benchmarks/README.md.
# usage: benchmarks/run.sh [small|medium]      (REPEATS=3 by default; as root or with sudo)
# Installs what is missing, builds zpmpi and the planner micro-benchmark, generates the
# sources once into benchmarks/data/, runs every case and writes benchmarks/results/<UTC time>/
# (results.md, results.json, chart.png, logs/); benchmarks/results/latest points to it.
set -euo pipefail
size=${1:-small}
case "$size" in small | medium) ;; *) echo "usage: $0 [small|medium]" >&2; exit 2 ;; esac
repeats=${REPEATS:-3}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

packages=(
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev libnetcdf-mpi-dev
  libboost-program-options1.81-dev libboost-json1.81-dev libzstd-dev liblz4-dev
  libdeflate-dev libblosc-dev libcurl4-openssl-dev zlib1g-dev
  libgtest-dev libbenchmark-dev cmake g++ make pkg-config time openssh-client
  python3-xarray python3-zarr python3-numcodecs python3-netcdf4 python3-dask netcdf-bin
  python3-h5py python3-fsspec gnuplot-nox
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "run.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "run.sh: building zpmpi (build/) and plan_benchmark (build-bench/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target zpmpi -j "$(nproc)" >/dev/null
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DZPMPI_BENCHMARKS=ON >/dev/null
cmake --build build-bench --target plan_benchmark stage_probe -j "$(nproc)" >/dev/null

# OUT_FS=loop: write outputs to a fresh journaled ext4 on a loop device (a sparse image in
# benchmarks/data/). This machine's root file system is ext4 without a journal, where each
# file created soon after thousands were deleted scans the deleted inodes (ext4's
# recently_deleted(), seen with perf): 0.3-0.8 ms of kernel time per chunk file, for every
# contender. A journaled ext4 (like most users' local disks) creates one in ~0.05-0.1 ms.
if [ "${OUT_FS:-}" = loop ]; then
  img=benchmarks/data/outputs-ext4.img mnt=benchmarks/data/outputs-ext4
  mkdir -p "$mnt"
  if ! mountpoint -q "$mnt"; then
    truncate -s 60G "$img"
    mkfs.ext4 -q -F "$img"
    mount -o loop "$img" "$mnt"
  fi
  export BENCH_WORK=$root/$mnt/work
  echo "run.sh: outputs on $(findmnt -no SOURCE,FSTYPE "$mnt") at $mnt"
fi

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=benchmarks/results/$stamp
mkdir -p "$out"
/usr/bin/python3 benchmarks/bench.py --size "$size" --repeats "$repeats" --out "$out" \
  --plan-benchmark build-bench/benchmarks/plan_benchmark "${@:2}" | tee "$out/console.txt"
ncol=$(head -1 "$out/chart.dat" | awk -F'\t' '{print NF}')
gnuplot -e "ncol=$ncol; data='$out/chart.dat'; out='$out/chart.png'; title='zpmpi benchmark, $size, $stamp (MB/s, median of $repeats)'" \
  benchmarks/plot.gp
ln -sfn "$stamp" benchmarks/results/latest
echo "run.sh: results in $out (results.md, results.json, chart.png, logs/)"
