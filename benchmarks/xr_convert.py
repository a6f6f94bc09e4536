#!/usr/bin/python3
"""The xarray + dask contender: netCDF -> Zarr v2 the way ZarrParallelCacher does it.

open_dataset(chunks=source chunks; a .json source is a kerchunk reference set, opened as
"reference://" with the zarr engine) -> .chunk(output chunks) -> to_zarr(consolidated=True)
with numcodecs Zstd(1) / LZ4() / no compressor on the data variables, computed by dask's
threaded scheduler (N threads) or by a local dask.distributed cluster (N single-thread
worker processes). Prints one JSON line on stdout: {"rss_sum_kb": ...} (the sum of the
peak RSS of this process and, under distributed, of every worker).

usage: xr_convert.py SRC OUT --source-chunks JSON --chunks JSON --codec zstd1|lz4|none
                     [--scheduler threads|distributed] [--workers N] [--sel JSON] [--tiled JSON]
"""
import argparse
import json
import resource

import dask
import numcodecs
import xarray as xr

DATA_VARS = ("t2m", "d2m")


def compressor(name):
    return {"zstd1": numcodecs.Zstd(level=1), "lz4": numcodecs.LZ4(), "none": None}[name]


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def convert(a):
    if a.src.endswith(".json"):  # a kerchunk reference set, as the Python package opens it
        ds = xr.open_dataset("reference://", engine="zarr", chunks=json.loads(a.source_chunks),
                             backend_kwargs={"consolidated": False, "storage_options": {"fo": a.src}})
    else:
        ds = xr.open_dataset(a.src, chunks=json.loads(a.source_chunks))
    if a.sel:  # label-inclusive slices, as the job's "sel" preprocessor
        ds = ds.sel({d: slice(*bounds) for d, bounds in json.loads(a.sel).items()})
    if a.tiled:  # the `tiled` preprocessor's expression, one tile per chunk
        sizes = json.loads(a.tiled)
        order = [d for d in ds[DATA_VARS[0]].dims if d in sizes]
        ds = ds.coarsen(sizes, boundary="pad").construct({d: (d + "_coarse", d + "_fine") for d in sizes})
        ds = ds.stack(batch_dim=[d + "_coarse" for d in order]).reset_index("batch_dim")
        ds = ds.transpose("batch_dim", ...).chunk({"batch_dim": 1})
    else:
        ds = ds.chunk(json.loads(a.chunks))
    encoding = {v: {"compressor": compressor(a.codec)} for v in DATA_VARS if v in ds}
    ds.to_zarr(a.out, mode="w", consolidated=True, encoding=encoding)
    ds.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--source-chunks", required=True, help="JSON dim -> chunk of the source")
    p.add_argument("--chunks", required=True, help="JSON dim -> output chunk")
    p.add_argument("--codec", choices=("zstd1", "lz4", "none"), required=True)
    p.add_argument("--scheduler", choices=("threads", "distributed"), default="threads")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--sel", help="JSON dim -> [start, stop] labels to select first")
    p.add_argument("--tiled", help="JSON dim -> tile size: the tiled preprocessor's expression instead of --chunks")
    a = p.parse_args()

    if a.scheduler == "threads":
        with dask.config.set(scheduler="threads", num_workers=a.workers):
            convert(a)
        rss_sum = peak_rss_kb()
    else:
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            convert(a)
            workers = client.run(peak_rss_kb)
        rss_sum = peak_rss_kb() + sum(workers.values())
    print(json.dumps({"rss_sum_kb": rss_sum}))


if __name__ == "__main__":
    main()
