#!/usr/bin/python3
"""Small, deterministic netCDF files shaped like ERA5, with the cases that break converters:
packed shorts with scale_factor/add_offset and a _FillValue (fill values present), descending
latitude, NaN fills, a CF time axis, a dim of length 1, every numeric dtype, chunks that do
not divide the dims, attributes of every kind.

  nc4      netCDF-4/HDF5, record time dim, chunked and zlib-compressed variables
  nc3      netCDF-3 (64-bit offset), record time dim, the netCDF-3 types, a 1-D char variable
           (xarray: a 0-d |S8)
  edge     netCDF-4 corner cases: scalar variable, noleap double time with bounds, a dim
           without coordinate, a zero-length dim, 64-bit fill values, missing_value,
           NC_STRING / unicode / NaN / empty attributes
  strlist  a variable with a multi-valued NC_STRING attribute (xarray reads a list of str)
  text     CF text: scalar char grid mappings (crs, rotated_pole), a char station_name(station,
           strlen) auxiliary coordinate, a char variable with _Encoding utf-8, an NC_STRING
           variable, an enum variable, a compound and a vlen variable and a compound
           attribute (skipped with a warning), latin-1 bytes in char attributes
  groups   netCDF-4 with its data in group /g1/g2 (using a dim of the root), another group
           /other, and only a coordinate in the root

usage: samples.py DIR [KIND ...]   (writes DIR/<name>.nc, prints the paths; default: all kinds)
"""
import hashlib
import os
import sys

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
    t[:] = 876576 + 6 * np.arange(NT)  # 2000-01-01 00:00, every 6 hours
    lat = ds.createVariable("latitude", "f4", ("latitude",))
    lat.units = "degrees_north"
    lat.long_name = "latitude"
    lat[:] = np.linspace(90, -90, NLAT)  # descending, as in ERA5
    lon = ds.createVariable("longitude", "f4", ("longitude",))
    lon.units = "degrees_east"
    lon[:] = np.arange(NLON) * 5.0
    lev = ds.createVariable("level", "i4", ("level",))
    lev.units = "millibars"
    lev.positive = "down"
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
    ds.institution = "European Centre for Medium-Range Weather Forecasts"
    ds.version = np.int32(3)
    ds.valid_years = np.array([1979, 2024], dtype=np.int32)
    ds.resolution = 5.0
    ds.bounds = np.array([-90.0, 0.0, 90.0, 355.0])


def _pack(values, scale, offset, fill):
    packed = np.round((values - offset) / scale)
    return np.where(np.isnan(packed), fill, packed).astype(np.int16)


def make_nc4(path, rng):
    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    _global_attrs(ds, "netCDF-4")
    _coords(ds, record=True)
    dims3 = ("time", "latitude", "longitude")
    t2m = _fields(rng)
    t2m[3, 5:9, 10:20] = np.nan
    t2m[29, 36, 71] = np.nan  # in the last, partial source chunk
    v = ds.createVariable("t2m", "f4", dims3, chunksizes=(7, 10, 16), fill_value=np.float32(np.nan))
    v.units = "K"
    v.long_name = "2 metre temperature"
    v.valid_range = np.array([180.0, 340.0], dtype=np.float32)
    v.code = np.int64(167)
    v.grib_levels = np.array([0, 2], dtype=np.int16)
    v.quality = np.int8(-1)
    v.comment = "smooth field + noise; NaN where missing"
    v[:] = t2m
    # Packed, zlib-compressed, with fill values present: stays <i2 in the store.
    d = ds.createVariable("d2m", "i2", dims3, chunksizes=(5, 37, 72), zlib=True, complevel=1, shuffle=True,
                          fill_value=np.int16(-32767))
    d.set_auto_maskandscale(False)
    d.scale_factor = np.float64(0.0015)
    d.add_offset = np.float64(260.0)
    d.units = "K"
    d.long_name = "2 metre dewpoint temperature"
    packed = _pack(t2m - 4, 0.0015, 260.0, -32767)
    packed[0, 0, :7] = -32767
    packed[17, 20:23, 40] = -32767
    d[:] = packed
    # A dim of length 1 inside the variable.
    q = ds.createVariable("q", "f8", ("time", "level", "latitude", "longitude"), chunksizes=(4, 1, 37, 72))
    q.units = "kg kg**-1"
    q.valid_range = np.array([0.0, 0.05])
    q[:] = rng.uniform(0, 0.02, (NT, 1, NLAT, NLON))
    # A 2-D float32 field (latitude, longitude), contiguous storage.
    lsm = ds.createVariable("lsm", "f4", ("latitude", "longitude"), contiguous=True)
    lsm.units = "(0 - 1)"
    lsm[:] = (rng.uniform(size=(NLAT, NLON)) > 0.7).astype(np.float32)
    for name, dtype in [("i1v", "i1"), ("u1v", "u1"), ("u2v", "u2"), ("i4v", "i4"), ("u4v", "u4"),
                        ("i8v", "i8"), ("u8v", "u8")]:
        var = ds.createVariable(name, dtype, ("time", "longitude"), chunksizes=(6, 25))
        info = np.iinfo(dtype)
        var[:] = rng.integers(max(info.min, -10**6), min(info.max, 10**6), (NT, NLON), endpoint=True).astype(dtype)
        var.comment = f"{dtype} sample"
        var.valid_max = np.array(info.max, dtype=dtype)
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
    v.valid_range = np.array([180.0, 340.0], dtype=np.float32)
    v.code = np.int32(167)
    v.flags = np.array([1, 2, 4], dtype=np.int16)
    v.quality = np.int8(-1)
    v.offset_hint = 0.5
    t2m[2, :3, :3] = -9999.0
    v[:] = t2m
    d = ds.createVariable("d2m", "i2", dims3, fill_value=np.int16(-32767))
    d.set_auto_maskandscale(False)
    d.scale_factor = np.float32(0.002)
    d.add_offset = np.float32(250.0)
    d.units = "K"
    packed = _pack(t2m - 4, np.float32(0.002), 250.0, -32767)
    packed[1, 1, :5] = -32767
    d[:] = packed
    b = ds.createVariable("mask", "i1", ("latitude", "longitude"))
    b.flag_values = np.array([0, 1], dtype=np.int8)
    b.flag_meanings = "sea land"
    b[:] = (rng.uniform(size=(NLAT, NLON)) > 0.5).astype(np.int8)
    c = ds.createVariable("count", "i4", ("time", "longitude"))
    c.long_name = "an int32 count"
    c[:] = rng.integers(-100000, 100000, (NT, NLON)).astype(np.int32)
    # float64 with missing_value only (no _FillValue): xarray masks it on both sides.
    w = ds.createVariable("tcw", "f8", ("time", "level", "latitude", "longitude"))
    w.set_auto_maskandscale(False)
    w.missing_value = -1.0
    w.units = "kg m**-2"
    tcw = rng.uniform(0, 60, (NT, 1, NLAT, NLON))
    tcw[5, 0, 10, 10:15] = -1.0
    w[:] = tcw
    # A 1-D char variable: xarray folds its only dim, giving a 0-d |S8 data variable.
    ds.createDimension("nchar", 8)
    s = ds.createVariable("station", "S1", ("nchar",))
    s[:] = netCDF4.stringtoarr("ERA5", 8)
    ds.close()


def _edge_common(ds):
    ds.title = "zpmpi edge cases"
    ds.createDimension("time", 10)
    ds.createDimension("bnds", 2)
    ds.createDimension("x", 5)  # no coordinate variable
    ds.createDimension("empty", None)  # an unlimited dim with no records
    t = ds.createVariable("time", "f8", ("time",))
    t.units = "days since 2000-01-01"
    t.calendar = "noleap"
    t.bounds = "time_bnds"
    t[:] = 58 + 0.25 * np.arange(10)  # crosses 28 Feb -> 1 Mar in a calendar with no 29 Feb
    tb = ds.createVariable("time_bnds", "f8", ("time", "bnds"))
    tb[:] = np.stack([t[:] - 0.125, t[:] + 0.125], axis=1)


def make_edge(path, rng):
    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    _edge_common(ds)
    ds.setncattr_string("source_str", "an NC_STRING global attribute")
    crs = ds.createVariable("crs", "i4", ())
    crs.grid_mapping_name = "latitude_longitude"
    crs.semi_major_axis = 6371000.0
    crs[...] = 0
    v = ds.createVariable("v", "f4", ("time", "x"), fill_value=np.float32(1e20), chunksizes=(3, 2))
    v[:] = rng.normal(0, 1, (10, 5)).astype(np.float32)
    v[2, 2] = np.ma.masked
    v.grid_mapping = "crs"
    v.setncattr_string("s_attr", "an NC_STRING attribute")
    v.unit_sym = "°C"
    v.i8a = np.int64(-2**40)
    v.u8a = np.uint64(2**63 + 5)
    v.u1a = np.uint8(200)
    v.u2list = np.array([1, 65535], dtype=np.uint16)
    v.i1a = np.int8(-5)
    v.f4a = np.float32(0.1)
    v.nan_attr = np.nan
    v.empty_text = ""
    u = ds.createVariable("u8v", "u8", ("x",), fill_value=np.uint64(2**64 - 2))
    u[:] = np.array([1, 2**64 - 2, 3, 2**63, 5], dtype=np.uint64)
    i = ds.createVariable("i8v", "i8", ("x",), fill_value=np.int64(-2**63 + 2))
    i[:] = np.array([1, -2**63 + 2, 3, 2**62, 5], dtype=np.int64)
    b = ds.createVariable("u1v", "u1", ("x",), fill_value=np.uint8(255))
    b[:] = np.array([0, 255, 7, 128, 254], dtype=np.uint8)
    m = ds.createVariable("mv", "f8", ("x",))
    m.missing_value = -1.0
    m[:] = [1, -1, 3, 4, 5]
    e = ds.createVariable("nothing", "f4", ("empty", "x"))
    e.comment = "zero records"
    ds.close()


def make_strlist(path, rng):
    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    ds.createDimension("x", 4)
    v = ds.createVariable("v", "f4", ("x",))
    v[:] = rng.normal(0, 1, 4).astype(np.float32)
    v.setncattr_string("flag_names", ["clear", "cloudy"])
    ds.close()


NST, STRLEN = 5, 8
STATIONS = [b"Reading", b"Oxford", b"Ab", b"Lerwick1", b"Z\xfcrich"]  # a latin-1 byte, kept as bytes


def _chars(names, width):
    return np.array(names, dtype=f"S{width}").view("S1").reshape(len(names), width)


def make_text(path, rng):
    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    ds.Conventions = "CF-1.8"
    ds.setncattr("institution", b"M\xe9t\xe9o-France")  # latin-1: U+FFFD for xarray
    ds.createDimension("time", 4)
    ds.createDimension("station", NST)
    ds.createDimension("strlen", STRLEN)
    ds.createDimension("rlat", 3)
    ds.createDimension("rlon", 4)
    t = ds.createVariable("time", "f8", ("time",))
    t.units = "hours since 2000-01-01"
    t[:] = 6.0 * np.arange(4)
    crs = ds.createVariable("crs", "S1", ())
    crs.grid_mapping_name = "latitude_longitude"
    crs.semi_major_axis = 6371000.0
    crs.inverse_flattening = 0.0
    pole = ds.createVariable("rotated_pole", "S1", ())
    pole.grid_mapping_name = "rotated_latitude_longitude"
    pole.grid_north_pole_latitude = 39.25
    pole.grid_north_pole_longitude = -162.0
    name = ds.createVariable("station_name", "S1", ("station", "strlen"))
    name.long_name = "station name"
    name.cf_role = "timeseries_id"
    name[:] = _chars(STATIONS, STRLEN)
    utf8 = ds.createVariable("station_label", "S1", ("station", "strlen"))
    utf8._Encoding = "utf-8"
    utf8.set_auto_chartostring(False)
    utf8[:] = _chars(["Zürich".encode(), b"", b"abcdefgh", "γάμ".encode(), b"x"], STRLEN)
    obs = ds.createVariable("obs", "f4", ("time", "station"), fill_value=np.float32(-999))
    obs.coordinates = "station_name"
    obs.grid_mapping = "crs"
    obs.units = "K"
    obs.setncattr("comment", b"r\xe9sum\xe9 \xe2\x82 ok")  # latin-1 and a truncated UTF-8 sequence
    values = rng.normal(280, 5, (4, NST)).astype(np.float32)
    values[1, 2] = -999
    obs[:] = values
    field = ds.createVariable("field", "f4", ("time", "rlat", "rlon"))
    field.grid_mapping = "rotated_pole"
    field[:] = rng.normal(0, 1, (4, 3, 4)).astype(np.float32)
    label = ds.createVariable("label", str, ("station",))
    label.long_name = "an NC_STRING variable"
    label[:] = np.array(["alpha", "", "γάμμα", "d", "e" * 20], dtype=object)
    cloud_t = ds.createEnumType(np.uint8, "cloud_t", {"clear": 0, "partly cloudy": 1, "overcast": 2,
                                                      "missing": 255})
    cloud = ds.createVariable("cloud", cloud_t, ("time", "station"), fill_value=255)
    cloud[:] = np.array([[0, 1, 2, 255, 1]] * 4, dtype=np.uint8)
    pair_t = ds.createCompoundType(np.dtype([("a", "i4"), ("b", "f8")]), "pair_t")
    pairs = ds.createVariable("pairs", pair_t, ("station",))
    pairs[:] = np.zeros(NST, dtype=[("a", "i4"), ("b", "f8")])
    obs.setncattr("calibration", np.array([(1, 2.5)], dtype=pair_t.dtype))
    ragged_t = ds.createVLType(np.int32, "ragged_t")
    ragged = ds.createVariable("ragged", ragged_t, ("station",))
    ragged[0] = np.arange(3, dtype=np.int32)
    ds.close()


def make_groups(path, rng):
    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    ds.title = "data in groups"
    ds.createDimension("time", 3)
    t = ds.createVariable("time", "i4", ("time",))
    t.units = "days since 2000-01-01"
    t[:] = [0, 1, 2]
    g2 = ds.createGroup("g1").createGroup("g2")
    g2.summary = "the data"
    g2.createDimension("x", 6)
    g2.createDimension("nchar", 4)
    x = g2.createVariable("x", "f8", ("x",))
    x[:] = np.arange(6) * 0.5
    v = g2.createVariable("v", "f4", ("time", "x"), chunksizes=(2, 4))
    v.units = "m"
    v.coordinates = "site"
    v[:] = rng.normal(0, 1, (3, 6)).astype(np.float32)
    site = g2.createVariable("site", "S1", ("x", "nchar"))
    site[:] = _chars([b"a", b"bb", b"ccc", b"dddd", b"e", b"f"], 4)
    other = ds.createGroup("other")
    other.createDimension("y", 2)
    w = other.createVariable("w", "i2", ("y",))
    w[:] = [1, 2]
    ds.close()


def _fill_of_another_type(path, var):
    """Gives `var` a _FillValue of another type than its own, as files written by other tools
    have (NaN on a packed short). netCDF-C refuses that on put and at define time, so the
    attribute is written under a name of the same length and renamed in data mode."""
    with netCDF4.Dataset(path, "a") as ds:
        ds.variables[var].renameAttribute("_FillValu_", "_FillValue")


def make_fillnan(path, rng):
    ds = netCDF4.Dataset(path, "w", format="NETCDF3_CLASSIC")
    ds.createDimension("time", 6)
    ds.createDimension("x", 5)
    ds.createDimension("y", 2)
    lat = ds.createVariable("lat_x", "f4", ("x",))  # an auxiliary coordinate
    lat[:] = np.linspace(-10, 10, 5, dtype=np.float32)
    zone = ds.createVariable("zone", "i4", ("y",))  # one on a dim ds[["packed"]] drops
    zone[:] = [3, 4]
    packed = ds.createVariable("packed", "i2", ("time", "x"))
    packed.coordinates = "lat_x zone"
    packed.scale_factor = 0.5
    packed.add_offset = 0.0
    packed.setncattr("_FillValu_", np.float64("nan"))
    values = rng.integers(-100, 100, (6, 5)).astype(np.int16)
    values[0, :] = 0  # genuine zeros: a fill of 0 would read them back as missing
    packed[:] = values
    counts = ds.createVariable("counts", "i4", ("time", "x"))
    counts.setncattr("_FillValu_", np.float64(1e20))  # beyond int32: nothing is missing either
    counts[:] = np.arange(30, dtype=np.int32).reshape(6, 5)
    ds.close()
    _fill_of_another_type(path, "packed")
    _fill_of_another_type(path, "counts")


SAMPLES = {"nc4": ("era5_nc4.nc", make_nc4), "nc3": ("era5_nc3.nc", make_nc3), "edge": ("edge_nc4.nc", make_edge),
           "strlist": ("strlist_nc4.nc", make_strlist), "text": ("text_nc4.nc", make_text),
           "groups": ("groups_nc4.nc", make_groups), "fillnan": ("fillnan_nc3.nc", make_fillnan)}


def _version():
    """A stamp of this file's content: a changed generator never reuses a cached sample."""
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:10]


def generate(kind, path):
    """Writes sample `kind` to `path` atomically (a temporary name, then os.replace), with a
    fixed seed: the same data every time."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    SAMPLES[kind][1](tmp, np.random.default_rng(1234))
    os.replace(tmp, path)
    return path


def sample(kind, directory):
    """Path of sample `kind` cached in directory/v<version>/: generated once per generator
    version; parallel ctest runs never see a partial file (at worst two write the same one)."""
    path = os.path.join(directory, "v" + _version(), SAMPLES[kind][0])
    return path if os.path.exists(path) else generate(kind, path)


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    kinds = sys.argv[2:] or list(SAMPLES)
    for kind in kinds:
        if kind not in SAMPLES:
            sys.exit(f"unknown sample {kind!r} (known: {', '.join(SAMPLES)})")
        print(generate(kind, os.path.join(sys.argv[1], SAMPLES[kind][0])))


if __name__ == "__main__":
    main()
