#!/usr/bin/env bash
# Alternating A/B runs of what "statistics": true costs (issue 28), finer than bench.py's
# medians of 3 on a noisy VM: per round, for each binary, the same job without and with
# statistics, each after `sync; sleep 3` (untimed: this VM's page-cache writes into pages
# just handed back to the host are 2-4x slower), 2 ranks, uncompressed output.
# usage: benchmarks/stats_ab.sh CASE ROUNDS ZPMPI [ZPMPI_BEFORE]
#   CASE: rechunk (chunks time 48, latitude 145, longitude 288) or copy (the source chunks)
# Prints one line per run: round, binary, statistics (0/1), wall seconds, CPU seconds (user +
# system, summed over the ranks: less sensitive than the wall time to other work on the
# machine, such as a build on the shared cores).
set -euo pipefail
case_name=$1 rounds=$2
shift 2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${BENCH_WORK:-$root/benchmarks/data/work}/stats-ab
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
case $case_name in
  rechunk) chunks='{"time": 48, "latitude": 145, "longitude": 288}' ;;
  copy) chunks='"auto"' ;;
  *) echo "usage: $0 rechunk|copy ROUNDS ZPMPI [ZPMPI_BEFORE]" >&2; exit 2 ;;
esac
for stats in false true; do
  cat >"$work/job-$stats.json" <<EOF
{"source": "$root/benchmarks/data/era5_small.nc", "chunks": $chunks, "store": "$work/out.zarr",
 "compressor": null, "overwrite": true, "log_level": 2, "workers": 1, "statistics": $stats}
EOF
done
for round in $(seq 1 "$rounds"); do
  for binary in "$@"; do
    for stats in false true; do
      rm -rf "$work/out.zarr"
      sync
      sleep 3
      start=$(date +%s.%N)
      mpirun -n 2 --oversubscribe sh -c 'exec /usr/bin/time -f "%U %S" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' \
        "$work/cpu" "$binary" --config "$work/job-$stats.json" >/dev/null 2>&1
      end=$(date +%s.%N)
      cpu=$(cat "$work/cpu.0" "$work/cpu.1" | awk '{s += $1 + $2} END {print s}')
      echo "$round $binary $([ $stats = true ] && echo 1 || echo 0) $(echo "$end - $start" | bc) $cpu"
    done
  done
done
rm -rf "$work/out.zarr"
