"""Small netCDF files shaped like ERA5, with the cases that break converters: packed
shorts with scale_factor/add_offset and a _FillValue, descending latitude, NaN fills, a CF
time axis, a dim of length 1, every numeric dtype, chunks that do not divide the dims."""
import os

import netCDF4
import numpy as np

NT, NLAT, NLON = 30, 37, 72


def _coords(ds, record):
    ds.createDimension("time", None if record else NT)
    ds.createDimension("latitude", NLAT)
    ds.createDimension("longitude", NLON)
    ds.createDimension("level", 1)
    t = ds.createVariable("time", "i4", ("time",))
    t.units = "hours since 1900-01-01 00:00:00.0"
    t.calendar = "gregorian"
    t.long_name = "time"
    t[:] = 876576 + 6 * np.arange(NT)
    lat = ds.createVariable("latitude", "f4", ("latitude",))
    lat.units = "degrees_north"
    lat[:] = np.linspace(90, -90, NLAT)  # descending, as in ERA5
    lon = ds.createVariable("longitude", "f4", ("longitude",))
    lon.units = "degrees_east"
    lon[:] = np.arange(NLON) * 5.0
    lev = ds.createVariable("level", "i4", ("level",))
    lev.units = "millibars"
    lev[:] = [850]


def _fields(rng):
    lat = np.deg2rad(np.linspace(90, -90, NLAT))[None, :, None]
    lon = np.deg2rad(np.arange(NLON) * 5.0)[None, None, :]
    hours = np.arange(NT)[:, None, None]
    t2m = 290 - 40 * np.sin(lat) ** 2 + 5 * np.cos(lon + hours / 4) + rng.normal(0, 0.5, (NT, NLAT, NLON))
    return t2m.astype(np.float32)


def _global_attrs(ds, fmt):
    ds.Conventions = "CF-1.6"
    ds.history = f"zpmpi integration sample ({fmt})"
    ds.version = np.int32(3)
    ds.valid_years = np.array([1979, 2024], dtype=np.int32)
    ds.resolution = 5.0


def make_nc4(path, rng):
    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    _global_attrs(ds, "netCDF-4")
    _coords(ds, record=True)
    dims3 = ("time", "latitude", "longitude")
    t2m = _fields(rng)
    t2m[3, 5:9, 10:20] = np.nan
    v = ds.createVariable("t2m", "f4", dims3, chunksizes=(7, 10, 16), fill_value=np.float32(np.nan))
    v.units = "K"
    v.long_name = "2 metre temperature"
    v[:] = t2m
    # Packed, zlib-compressed, with fill values present: stays <i2 in the store.
    d = ds.createVariable("d2m", "i2", dims3, chunksizes=(5, 37, 72), zlib=True, complevel=1, shuffle=True,
                          fill_value=np.int16(-32767))
    d.set_auto_maskandscale(False)
    d.scale_factor = np.float64(0.0015)
    d.add_offset = np.float64(260.0)
    d.units = "K"
    packed = np.round((t2m - 4 - 260.0) / 0.0015)
    packed = np.where(np.isnan(packed), -32767, packed).astype(np.int16)
    packed[0, 0, :7] = -32767
    d[:] = packed
    q = ds.createVariable("q", "f8", ("time", "level", "latitude", "longitude"), chunksizes=(4, 1, 37, 72))
    q.units = "kg kg**-1"
    q.valid_range = np.array([0.0, 0.05])
    q[:] = rng.uniform(0, 0.02, (NT, 1, NLAT, NLON))
    for name, dtype in [("i1v", "i1"), ("u1v", "u1"), ("u2v", "u2"), ("i4v", "i4"), ("u4v", "u4"),
                        ("i8v", "i8"), ("u8v", "u8")]:
        var = ds.createVariable(name, dtype, ("time", "longitude"), chunksizes=(6, 25))
        info = np.iinfo(dtype)
        var[:] = rng.integers(max(info.min, -10**6), min(info.max, 10**6), (NT, NLON), endpoint=True).astype(dtype)
        var.comment = f"{dtype} sample"
    ds.close()


def make_nc3(path, rng):
    ds = netCDF4.Dataset(path, "w", format="NETCDF3_64BIT_OFFSET")
    _global_attrs(ds, "netCDF-3")
    _coords(ds, record=True)
    dims3 = ("time", "latitude", "longitude")
    t2m = _fields(rng)
    v = ds.createVariable("t2m", "f4", dims3, fill_value=np.float32(-9999.0))
    v.set_auto_maskandscale(False)
    v.units = "K"
    t2m[2, :3, :3] = -9999.0
    v[:] = t2m
    d = ds.createVariable("d2m", "i2", dims3, fill_value=np.int16(-32767))
    d.set_auto_maskandscale(False)
    d.scale_factor = np.float32(0.002)
    d.add_offset = np.float32(250.0)
    d.units = "K"
    packed = np.round((t2m - 4 - 250.0) / np.float32(0.002)).astype(np.int16)
    packed[1, 1, :5] = -32767
    d[:] = packed
    b = ds.createVariable("mask", "i1", ("latitude", "longitude"))
    b.flag_values = np.array([0, 1], dtype=np.int8)
    b[:] = (rng.uniform(size=(NLAT, NLON)) > 0.5).astype(np.int8)
    ds.close()


SAMPLES = {"nc4": ("era5_nc4.nc", make_nc4), "nc3": ("era5_nc3.nc", make_nc3)}


def sample(kind, directory):
    """Path of sample `kind`, generated once per directory (atomically: ctest runs in parallel)."""
    name, make = SAMPLES[kind]
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        os.makedirs(directory, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        make(tmp, np.random.default_rng(1234))
        os.replace(tmp, path)
    return path
