#!/usr/bin/env bash
# The one command that runs the main job: installs what is missing, builds, makes a small
# ERA5-like netCDF-4 sample, caches it into Zarr with 2 MPI ranks and shows the result.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ZPMPI_ROOT"
mkdir -p demo-data
[ -f demo-data/era5_sample.nc ] ||
  /usr/bin/python3 scripts/make_sample.py demo-data/era5_sample.nc --hours 48
/usr/bin/time -v -o demo-data/time.txt \
  mpirun -n 2 --oversubscribe "$ZPMPI_BIN" --config examples/demo.json --overwrite
grep -E "Maximum resident|Elapsed" demo-data/time.txt | sed 's/^\s*/time: /'
/usr/bin/python3 - <<'PY'
import os, zarr
store = "demo-data/era5_sample.zarr"
g = zarr.open_consolidated(store)
print(f"{store}: attrs {dict(g.attrs)}")
for name, a in g.arrays():
    files = [f for f in os.listdir(os.path.join(store, name)) if not f.startswith(".")]
    size = sum(os.path.getsize(os.path.join(store, name, f)) for f in files)
    print(f"  {name:10s} {str(a.dtype):8s} shape {a.shape} chunks {a.chunks} "
          f"{len(files)} chunk files, {size/1e6:.1f} MB on disk ({a.nbytes/1e6:.1f} MB raw)")
PY
