#!/usr/bin/python3
"""Writes an ERA5-like netCDF-4 file: hourly time with CF units, latitude 90 -> -90 at
0.25 deg (721), longitude 0 -> 359.75 (1440), float32 t2m and d2m shaped like real 2 m
temperature fields (zonal gradient, land-sea-like pattern, diurnal cycle, noise).

usage: make_sample.py OUT.nc [--hours 48] [--zlib] [--chunk-hours 24] [--grid 0.25]
"""
import argparse

import netCDF4
import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--hours", type=int, default=48)
    p.add_argument("--chunk-hours", type=int, default=24)
    p.add_argument("--grid", type=float, default=0.25, help="grid spacing in degrees")
    p.add_argument("--zlib", action="store_true", help="zlib level 1 + shuffle")
    p.add_argument("--start-hour", type=int, default=876576, help="hours since 1900-01-01 (876576 = 2000-01-01)")
    a = p.parse_args()

    nlat = int(round(180 / a.grid)) + 1
    nlon = int(round(360 / a.grid))
    lat = np.linspace(90, -90, nlat)
    lon = np.arange(nlon) * a.grid
    rng = np.random.default_rng(42)

    ds = netCDF4.Dataset(a.out, "w", format="NETCDF4")
    ds.Conventions = "CF-1.6"
    ds.history = "zpmpi scripts/make_sample.py: synthetic ERA5-like data"
    ds.createDimension("time", None)
    ds.createDimension("latitude", nlat)
    ds.createDimension("longitude", nlon)
    t = ds.createVariable("time", "i4", ("time",))
    t.units = "hours since 1900-01-01 00:00:00.0"
    t.long_name = "time"
    t.calendar = "gregorian"
    la = ds.createVariable("latitude", "f4", ("latitude",))
    la.units = "degrees_north"
    la.long_name = "latitude"
    la[:] = lat
    lo = ds.createVariable("longitude", "f4", ("longitude",))
    lo.units = "degrees_east"
    lo.long_name = "longitude"
    lo[:] = lon

    chunks = (a.chunk_hours, nlat, nlon)
    opts = dict(zlib=True, complevel=1, shuffle=True) if a.zlib else dict(zlib=False)
    t2m = ds.createVariable("t2m", "f4", ("time", "latitude", "longitude"), chunksizes=chunks, **opts)
    t2m.units = "K"
    t2m.long_name = "2 metre temperature"
    d2m = ds.createVariable("d2m", "f4", ("time", "latitude", "longitude"), chunksizes=chunks, **opts)
    d2m.units = "K"
    d2m.long_name = "2 metre dewpoint temperature"

    lat_r = np.deg2rad(lat)[:, None]
    lon_r = np.deg2rad(lon)[None, :]
    base = 300 - 45 * np.sin(lat_r) ** 2 + 4 * np.sin(3 * lon_r) * np.cos(2 * lat_r)
    continents = 6 * np.sin(2 * lon_r + 1) * np.cos(3 * lat_r) ** 2
    for h0 in range(0, a.hours, a.chunk_hours):
        n = min(a.chunk_hours, a.hours - h0)
        hours = a.start_hour + h0 + np.arange(n)
        t[h0:h0 + n] = hours
        block = np.empty((n, nlat, nlon), np.float32)
        dew = np.empty_like(block)
        for i, h in enumerate(hours):
            sun = 2 * np.pi * ((h % 24) / 24.0) + lon_r
            field = base + continents * (1 + 0.3 * np.cos(sun)) + 3 * np.cos(sun) * np.cos(lat_r)
            block[i] = field + rng.normal(0, 0.5, field.shape)
            dew[i] = block[i] - 4 - np.abs(rng.normal(0, 2, field.shape))
        t2m[h0:h0 + n] = block
        d2m[h0:h0 + n] = dew
    ds.close()


if __name__ == "__main__":
    main()
