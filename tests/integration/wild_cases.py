"""Issue 25 (items 2-5): files built the way the wild builds them (netCDF4-python, ncgen) whose
stores must read back in Debian's xarray as the source does (imported by cases.py: `case_*`
functions only).

  wild_pad_values   ERA-Interim's packed short u (_FillValue NaN) with astype float32 and a
                    padding tiled step: the padding is NaN (was add_offset); without astype the
                    refusal names the astype remedy as JSON
  wild_chars        char arrays folded exactly where xarray folds them (a dim named like a
                    variable, a char dim a number uses, one not last), char _FillValue masking
  wild_coordinates  "coordinates" attributes naming a variable the file lacks stay as they are
  wild_nearest      sel ties broken as pandas does (ascending and descending), NaN refused;
                    "method": "nearest" as ds.sel(..., method="nearest", tolerance=...): the
                    edge outside the coordinate, label lists, tolerance, a noleap time axis
"""
import json
import os
import subprocess
import sys

import numpy as np
import oracle  # noqa: E402  (tests/integration is on sys.path: cases.py imports this file)

# cases.py imports this file; its helpers are imported inside the cases (after both loaded).


def _era_interim_u(path):
    """u as ERA-Interim's netCDF-3 files hold it: a packed short with scale_factor,
    add_offset and a NaN _FillValue (of another type: see samples._fill_of_another_type)."""
    import netCDF4
    from samples import _fill_of_another_type
    with netCDF4.Dataset(path, "w", format="NETCDF3_64BIT_OFFSET") as ds:
        for name, n in (("time", 3), ("latitude", 7), ("longitude", 9)):
            ds.createDimension(name, n)
        t = ds.createVariable("time", "i4", ("time",))
        t.units, t.calendar = "hours since 1900-01-01 00:00:00.0", "gregorian"
        t[:] = [876576, 876582, 876588]
        lat = ds.createVariable("latitude", "f4", ("latitude",))
        lat[:] = np.arange(7, dtype=np.float32) * 0.75
        lon = ds.createVariable("longitude", "f4", ("longitude",))
        lon[:] = np.arange(9, dtype=np.float32) * 0.75
        u = ds.createVariable("u", "i2", ("time", "latitude", "longitude"))
        u.scale_factor, u.add_offset = 0.0017, 26.96875
        u.units, u.long_name = "m s**-1", "U component of wind"
        u.setncattr("_FillValu_", np.float64("nan"))
        u[:] = np.random.default_rng(25).integers(-15000, 15000, (3, 7, 9)).astype(np.int16)
    _fill_of_another_type(path, "u")


def case_wild_pad_values(r, a):
    from cases import expect_error, expect_ok
    from xform_cases import compare, expected_of
    import xarray as xr
    source = os.path.join(r.work, "era_interim_u.nc")
    _era_interim_u(source)
    tiled = [{"type": "tiled", "latitude": 4, "longitude": 4}]  # 7 = 4 + 3, 9 = 2 x 4 + 1: padding
    variables = {"u": [{"type": "astype", "dtype": "float32"}]}
    store = r.store("u.zarr")
    job = r.job("u", source=source, store=store, variables=variables, preprocessors=tiled, chunks={})
    expect_ok(r.run(a.ranks, "--config", job), "packed u, astype float32, padding tiles")
    got = oracle.open_zarr(store, consolidated=True).load()
    pad = got["u"].isel(batch_dim=-1).values  # (time, latitude_fine, longitude_fine) of the last tile:
    if not np.isnan(pad[..., 1:]).all() or not np.isnan(pad[..., 3, :]).all():  # 3 rows of 4, 1 column
        sys.exit(f"FAIL: padding of the last tile is not NaN:\n{pad}")
    compare(got, expected_of(source, variables, tiled), "packed u, astype float32, tiled")
    print(f"ok padded cells of packed u after astype are NaN: {dict(got.sizes)}")
    store = r.store("refused.zarr")
    job = r.job("refused", source=source, store=store, variables=["u"], preprocessors=tiled, chunks={})
    expect_error(r.run(a.ranks, "--config", job), "packed u without astype", 2,
                 'floats ({"type": "astype", "dtype": "float32"} under variables.u), or leave u out')


CHARS_CDL = """netcdf chars {
dimensions:
  fl_dmn = 3 ;
  station = 3 ;
  strlen = 4 ;
  nlen = 5 ;
  clen = 2 ;
  obs = 3 ;
variables:
  char fl_dmn(fl_dmn) ;
  char name(station, strlen) ;
  int counts(strlen) ;
  char folded(station, nlen) ;
    folded:long_name = "folded: nothing else uses nlen" ;
  char notlast(clen, station) ;
  char other(station, clen) ;
  char masked(station, nlen) ;
    masked:_FillValue = "x" ;
  char var6_char(obs) ;
    var6_char:_FillValue = "x" ;
  char nul_fill(obs, clen) ;
    nul_fill:_FillValue = "\\000" ;
  float var1(obs) ;
  char crs ;
  float t(station) ;
data:
  fl_dmn = "abc" ;
  name = "ab", "cdef", "g" ;
  counts = 1, 2, 3, 4 ;
  folded = "hello", "w", "" ;
  notlast = "abcdef" ;
  other = "ab", "c", "de" ;
  masked = "x", "ab", "xx" ;
  var6_char = "axc" ;
  nul_fill = "ab", "", "c" ;
  var1 = 1, 2, 3 ;
  crs = "z" ;
  t = 1, 2, 3 ;
}
"""


def case_wild_chars(r, a):
    """netCDF-C's ref_nccopy3_subset.nc (char fl_dmn(fl_dmn): xarray cannot open a store that
    makes it a scalar |S3), and the other rules of xarray's "stackable" char dims, in a
    classic and a netCDF-4 file; scipy's example_3_maskedvals.nc var6_char (a char with a
    _FillValue: object with NaN in xarray)."""
    from cases import expect_ok, oracle_check
    import xarray as xr
    cdl = os.path.join(r.work, "chars.cdl")
    with open(cdl, "w", encoding="utf-8") as f:
        f.write(CHARS_CDL)
    for kind in ("classic", "nc4"):
        source = os.path.join(r.work, f"chars_{kind}.nc")
        subprocess.run(["ncgen", "-k", kind, "-o", source, cdl], check=True)
        store = r.store(f"chars_{kind}.zarr")
        job = r.job(f"chars_{kind}", source=source, store=store, chunks={})
        expect_ok(r.run(a.ranks, "--config", job), f"chars ({kind})")
        oracle_check(source, store, chunks={})
        got = oracle.open_zarr(store, consolidated=True)
        print(f"ok chars ({kind}): " + ", ".join(f"{k} {v.dtype} {v.dims}" for k, v in got.variables.items()))


def _coordinates_file(path):
    """netcdf4-python's issue671.nc / issue672.nc: "coordinates" naming variables the file
    lacks, beside one that names only what it has."""
    import netCDF4
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("y", 3)
        ds.createDimension("x", 4)
        for name in ("lat", "lon", "sigma0"):
            v = ds.createVariable(name, "f4", ("y", "x"))
            v[:] = np.arange(12, dtype=np.float32).reshape(3, 4)
        sm = ds.createVariable("soil_moisture", "f4", ("y", "x"), fill_value=-9999.0)
        sm.coordinates = "lat lon time_utc"  # time_utc: not in the file
        sm[:] = np.ones((3, 4), np.float32)
        bs = ds.createVariable("backscatter", "f4", ("y", "x"))
        bs.coordinates = "sigma0"
        bs[:] = np.zeros((3, 4), np.float32)
        flag = ds.createVariable("flag", "i1", ("y", "x"))
        flag.coordinates = "missing"
        flag[:] = np.zeros((3, 4), np.int8)


def case_wild_coordinates(r, a):
    from cases import convert_choices
    source = os.path.join(r.work, "issue671_like.nc")
    _coordinates_file(source)
    convert_choices(r, a, source, (None, ["soil_moisture"], ["soil_moisture", "backscatter"], ["flag"]))


def _nearest_file(path):
    """level ascending (hPa), longitude ascending from -180, latitude descending, hourly time."""
    import netCDF4
    with netCDF4.Dataset(path, "w") as ds:
        axes = {"time": np.arange(4, dtype=np.float64), "level": np.array([500, 850, 1000], np.int32),
                "latitude": np.array([90, 89.25, 88.5, 87.75], np.float32),
                "longitude": np.array([-180, -179.25, -178.5, -177.75, -177], np.float32)}
        for name, values in axes.items():
            ds.createDimension(name, len(values))
            v = ds.createVariable(name, values.dtype, (name,))
            v[:] = values
        ds["time"].units, ds["time"].calendar = "hours since 2000-01-01 00:00:00", "gregorian"
        u = ds.createVariable("u", "f4", tuple(axes))
        u[:] = np.arange(4 * 3 * 4 * 5, dtype=np.float32).reshape(4, 3, 4, 5)


NEAREST_CHAINS = [
    # the three ties on ascending coordinates: 850, -179.25, 01:00
    [{"type": "sel", "level": 675, "longitude": -179.625, "time": "2000-01-01 00:30"}],
    # a descending coordinate (88.875 between 89.25 and 88.5), and ascending after a reversal
    [{"type": "sel", "latitude": 88.875}],
    [{"type": "reverse_axis", "dim": "latitude"}, {"type": "sel", "latitude": 89.625, "level": 925}],
    # "method": "nearest": outside the coordinate the edge (descending, ascending, time), and
    # lists of labels keep the dim, repeats and ties included
    [{"type": "sel", "latitude": 100, "level": [2000, 675, 10, 675], "time": "1999-06-01", "method": "nearest"}],
    [{"type": "reverse_axis", "dim": "latitude"},
     {"type": "sel", "latitude": [-100, 88.875], "time": ["2000-01-01 02:20", "2001-01-01"], "method": "nearest"}],
    [{"type": "sel", "longitude": [-179.5, -177.2], "method": "nearest", "tolerance": 0.25}],
    [{"type": "sel", "time": ["2000-01-01 02:20", "2000-01-01 00:50"], "method": "nearest", "tolerance": "30min"}],
]


def _noleap_file(path):
    """Twelve-hourly time on the noleap calendar across the end of February."""
    import netCDF4
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("time", 4)
        t = ds.createVariable("time", "f8", ("time",))
        t[:] = np.arange(4) * 12.0
        t.units, t.calendar = "hours since 2000-02-28 00:00:00", "noleap"
        ds.createVariable("u", "f4", ("time",))[:] = np.arange(4, dtype=np.float32)


def _cftime_labels(chain):
    """The chain with date strings as cftime noleap dates: this xarray's CFTimeIndex takes no
    strings with a method."""
    import cftime
    import pandas as pd

    def date(label):
        t = pd.Timestamp(label)
        return cftime.DatetimeNoLeap(t.year, t.month, t.day, t.hour, t.minute)
    out = []
    for p in chain:
        p = dict(p)
        if isinstance(p.get("time"), list):
            p["time"] = [date(v) for v in p["time"]]
        elif isinstance(p.get("time"), str):
            p["time"] = date(p["time"])
        if isinstance(p.get("tolerance"), str):
            p["tolerance"] = pd.Timedelta(p["tolerance"]).to_pytimedelta()
        out.append(p)
    return out


NOLEAP_CHAINS = [
    # 2000-03-01 05:00 is 24 + 5 h after 02-28 00:00 on noleap (53 h on the standard calendar)
    [{"type": "sel", "time": ["2000-03-01 05:00", "2001-01-01", "1999-01-01"], "method": "nearest"}],
    [{"type": "sel", "time": "2000-02-28 19:00", "method": "nearest", "tolerance": "7h"}],
]


def _same_as_xarray(r, a, name, source, chain, oracle_chain=None):
    from cases import expect_ok, xarray_chain
    import xarray as xr
    store = r.store(f"{name}.zarr")
    job = r.job(name, source=source, store=store, preprocessors=chain, chunks={})
    expect_ok(r.run(a.ranks, "--config", job), f"nearest {json.dumps(chain)}")
    expected = xarray_chain(xr.open_dataset(source).load(), oracle_chain or chain)
    got = oracle.open_zarr(store, consolidated=True).load()
    try:
        xr.testing.assert_identical(got, expected)
    except AssertionError as e:
        sys.exit(f"FAIL nearest {json.dumps(chain)}:\n{e}")
    picked = {k: str(got[k].values) for k in got.coords if got[k].ndim <= 1 and k not in got.dims or got[k].ndim == 0}
    print(f"ok nearest {json.dumps(chain)}: {picked or {k: str(got[k].values) for k in got.dims}}")


def case_wild_nearest(r, a):
    from cases import expect_error, xarray_chain
    import xarray as xr
    source = os.path.join(r.work, "nearest.nc")
    _nearest_file(source)
    for i, chain in enumerate(NEAREST_CHAINS):
        _same_as_xarray(r, a, f"nearest{i}", source, chain)
    noleap = os.path.join(r.work, "noleap.nc")
    _noleap_file(noleap)
    for i, chain in enumerate(NOLEAP_CHAINS):
        _same_as_xarray(r, a, f"noleap{i}", noleap, chain, _cftime_labels(chain))
    for label in ("NaN", "nan"):
        job = r.job("nan", source=source, store=r.store("nan.zarr"), preprocessors=[{"type": "sel", "latitude": label}])
        expect_error(r.run(1, "--config", job), f"sel latitude {label}", 2,
                     f'preprocessors[0].latitude: the label "{label}" is not a number')
    # Farther than the tolerance: xarray's KeyError, here one line naming the label.
    for chain, message in (
            ([{"type": "sel", "latitude": 80, "method": "nearest", "tolerance": 1}],
             "preprocessors[0].latitude: no latitude within tolerance 1 of 80 (the nearest is 87.75"),
            ([{"type": "sel", "time": ["2000-01-01 01:00", "2000-01-01 02:30"], "method": "nearest", "tolerance": "20min"}],
             'preprocessors[0].time: no time within tolerance "20min" of "2000-01-01 02:30"')):
        try:
            xarray_chain(xr.open_dataset(source), chain)
            sys.exit(f"FAIL: xarray takes {json.dumps(chain)}")
        except KeyError:
            pass
        job = r.job("far", source=source, store=r.store("far.zarr"), preprocessors=chain)
        expect_error(r.run(1, "--config", job), f"sel {json.dumps(chain)}", 2, message)
        print(f"ok refused as xarray: {json.dumps(chain)}")
