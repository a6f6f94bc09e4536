"""Issue 17: the preprocessors named after xarray methods (transpose, astype, drop_vars,
squeeze, thin, clip, fillna, rename with name_dict, assign_attrs, round, drop_attrs) against
Debian's xarray doing what the Python package does, `getattr(ds, type)(**kwargs)`, on the
same (loaded) source, mixed with isel/sel/reverse_axis/roll/tiled (imported by cases.py:
`case_*` functions only). xform takes --chains (indices) and --zarr-format 3 [--shards]."""
import json
import os
import sys

import numpy as np
import oracle  # noqa: E402  (tests/integration is on sys.path: cases.py imports this file)

# cases.py imports this file; its helpers are imported inside the cases (after both loaded).

VALUE_TYPES = ("astype", "clip", "fillna", "round")


def xarray_step(ds, p):
    """One step as the Python package applies it."""
    from cases import xarray_chain
    from tiled_cases import xarray_tiled
    kind = p["type"]
    args = {k: v for k, v in p.items() if k != "type"}
    if kind in ("isel", "sel", "subset", "reverse_axis", "roll"):
        return xarray_chain(ds, [p])
    if kind == "tiled":
        return xarray_tiled(ds, p)
    if kind == "transpose":  # transpose(*dims), "..." standing for xarray's Ellipsis
        return ds.transpose(*[... if d == "..." else d for d in args.get("dims", [])])
    if kind == "drop_attrs":  # xarray 2024.10's drop_attrs (Debian's 2023.01 has none)
        ds = ds.copy()
        ds.attrs = {}
        for v in ds.variables.values():
            v.attrs = {}
        return ds
    return getattr(ds, kind)(**args)


def expected_of(source, variables, chain):
    import xarray as xr
    names = list(variables) if not isinstance(variables, dict) else list(variables)
    ds = xr.open_dataset(source)[names].load()
    if isinstance(variables, dict):  # per-variable DataArray methods (before the dataset's)
        for name, steps in variables.items():
            for p in steps:
                ds[name] = xarray_step(ds[name], p)
    for p in chain:
        ds = xarray_step(ds, p)
    return ds


def compare(got, expected, what):
    """assert_identical, and what it leaves out: each variable's dtype, and values bit for
    bit (NaN where NaN), and no packing left on a variable whose values were transformed."""
    import xarray as xr
    try:
        xr.testing.assert_identical(got, expected)
    except AssertionError as e:
        sys.exit(f"FAIL {what}:\n{e}")
    for name, v in expected.variables.items():
        g = got[name]
        if g.dtype != v.dtype:
            sys.exit(f"FAIL {what}: {name} is {g.dtype}, xarray gives {v.dtype}")
        if g.dims != v.dims:
            sys.exit(f"FAIL {what}: {name} dims {g.dims}, xarray gives {v.dims}")
        if v.dtype.kind == "f":
            a, b = np.asarray(g.values), np.asarray(v.values)
            if not np.array_equal(np.isnan(a), np.isnan(b)) or a[~np.isnan(a)].tobytes() != b[~np.isnan(b)].tobytes():
                sys.exit(f"FAIL {what}: {name} values differ bit for bit")


def check_encoding(store, got, transformed, what):
    """A transformed variable is stored in its new dtype, without scale_factor/add_offset."""
    import zarr
    group = zarr.open_group(store, mode="r")
    for name in transformed:
        enc = got[name].encoding
        if "scale_factor" in enc or "add_offset" in enc:
            sys.exit(f"FAIL {what}: {name} is still packed: {enc}")
        if group[name].dtype != got[name].dtype:
            sys.exit(f"FAIL {what}: {name} stored as {group[name].dtype}, decoded as {got[name].dtype}")


XFORM_CHAINS = [
    # 0: transpose of 3-D variables (the packed one too), chunks gathered transposed
    ("nc4", ["t2m", "d2m"], [{"type": "transpose", "dims": ["latitude", "longitude", "time"]}]),
    # 1: float16 cache: NaN fills of t2m, d2m's packed shorts decoded first
    ("nc4", ["t2m", "d2m"], [{"type": "astype", "dtype": "float16"}]),
    # 2: descending latitude reversed and selected, "..." transpose, float32
    ("nc4", ["t2m", "d2m"], [{"type": "reverse_axis", "dim": "latitude"},
                             {"type": "sel", "latitude": [-30, 60], "longitude": [40, 200]},
                             {"type": "transpose", "dims": ["longitude", "..."]},
                             {"type": "astype", "dtype": "float32"}]),
    # 3: level of length 1 squeezed (kept as a scalar coordinate), time thinned, one dropped
    ("nc4", ["q", "t2m", "lsm"], [{"type": "squeeze"}, {"type": "thin", "time": 4},
                                  {"type": "drop_vars", "names": ["lsm", "nothing"], "errors": "ignore"}]),
    # 4: clip and fillna on decoded values: d2m becomes float32
    ("nc4", ["t2m", "d2m"], [{"type": "clip", "min": 270.0, "max": 290.5}, {"type": "fillna", "value": -1.0}]),
    # 5: roll, thin along longitude, round, then int16
    ("nc4", ["t2m", "d2m"], [{"type": "roll", "dim": "longitude", "shifts": 10}, {"type": "thin", "longitude": 5},
                             {"type": "round", "decimals": 1}, {"type": "astype", "dtype": "int16"}]),
    # 6: CF time selection, transpose with no dims (reversed), rename (name_dict), attributes
    ("nc4", ["t2m", "i4v"], [{"type": "sel", "time": ["2000-01-02", "2000-01-05 12:00"]},
                             {"type": "transpose"},
                             {"type": "rename", "name_dict": {"t2m": "temperature"}},
                             {"type": "assign_attrs", "title": "xform test", "version": 4}]),
    # 7: tiled after float16 (the padding is NaN in float16, d2m padded through its decoding)
    ("nc4", ["t2m", "d2m"], [{"type": "astype", "dtype": "float16"},
                             {"type": "tiled", "time": 8, "latitude": 10, "longitude": 16}]),
    # 8: netCDF-3: packed float32 scale/offset to float16, -9999 fills, time moved last
    ("nc3", ["t2m", "d2m"], [{"type": "astype", "dtype": "float16"},
                             {"type": "transpose", "dims": ["latitude", "longitude", "time"]}]),
    # 9: netCDF-3: isel with a step, a float64 with missing_value only, rename in keyword form,
    # round to tens
    ("nc3", ["t2m", "tcw"], [{"type": "isel", "time": [1, 25, 3]}, {"type": "squeeze", "dim": "level"},
                                      {"type": "rename", "tcw": "water"}, {"type": "round", "decimals": -1}]),
    # 10: per-variable DataArray methods, then dataset steps
    ("nc4", {"t2m": [{"type": "astype", "dtype": "float16"}],
             "d2m": [{"type": "clip", "max": 280.0}, {"type": "assign_attrs", "note": "clipped"}],
             "q": [{"type": "transpose", "dims": ["longitude", "latitude", "level", "time"]}]},
     [{"type": "isel", "latitude": [2, 30]}]),
    # 11: attributes dropped (the encoding ones stay), then one assigned
    ("nc3", ["t2m", "d2m"], [{"type": "drop_attrs"}, {"type": "assign_attrs", "source": "zpmpi"},
                             {"type": "reverse_axis", "dim": "latitude"}]),
    # 12: netCDF-3 packed to int16 after fillna (NaN would be the indefinite integer)
    ("nc3", ["d2m"], [{"type": "fillna", "value": 0.0}, {"type": "astype", "dtype": "int16"},
                      {"type": "transpose", "dims": ["longitude", "..."]}]),
    # 13: expand_dims alone: a new dim of length 1 first (d2m packed, compressed chunks)
    ("nc4", ["t2m", "d2m"], [{"type": "expand_dims", "dim": "member"}]),
    # 14: two new dims at axes (one negative) on a 3-D and a 4-D variable, after a reversal
    ("nc4", ["t2m", "q"], [{"type": "reverse_axis", "dim": "latitude"},
                           {"type": "expand_dims", "dim": ["member", "run"], "axis": [1, -1]}]),
    # 15: a coordinate from values, last (rows not cut by the trailing dim), then float16
    ("nc4", ["t2m", "d2m"], [{"type": "expand_dims", "dim": {"member": [3]}, "axis": -1},
                             {"type": "astype", "dtype": "float16"}]),
    # 16: followed by transpose (the new dim moved) and a thin
    ("nc4", ["t2m", "q"], [{"type": "expand_dims", "member": 1},
                           {"type": "transpose", "dims": ["latitude", "member", "..."]},
                           {"type": "thin", "longitude": 3}]),
    # 17: per variable (DataArray.expand_dims), before a dataset selection
    ("nc4", {"t2m": [{"type": "expand_dims", "dim": "member", "axis": 1}], "d2m": []},
     [{"type": "isel", "latitude": [2, 30]}]),
    # 18: netCDF-3: a length-2 dim (values broadcast, float coordinate), then a dim dropped
    # after it (the new dim keeps its place among the rest, as in xarray)
    ("nc3", ["t2m", "tcw"], [{"type": "expand_dims", "dim": {"ens": [0.5, 1.5]}, "axis": 2},
                             {"type": "isel", "time": 3}]),
    # 19: netCDF-3: a squeezed level made a dim again (its scalar coordinate becomes 1-D)
    ("nc3", ["t2m", "tcw"], [{"type": "squeeze", "dim": "level"}, {"type": "expand_dims", "dim": "level"}]),
]


def case_xform(r, a):
    import xarray as xr
    import zarr
    from cases import expect_ok, format_keys, readable_store, expected_view, skip_without_zarrita
    skip_without_zarrita(a)
    chosen = json.loads(a.chains) if a.chains else range(len(XFORM_CHAINS))
    for i in chosen:
        sample, variables, chain = XFORM_CHAINS[i]
        source = r.sample(sample)
        store = r.store(f"xform{i}.zarr")
        job = r.job(f"xform{i}", source=source, variables=variables, store=store, preprocessors=chain,
                    chunks={} if any(p["type"] == "tiled" for p in chain) else {"time": 4, "latitude": 8},
                    recommendations="warn", memory_limit="600kB", **format_keys(a))
        what = f"xform {i} ({sample}): {json.dumps(variables)} {json.dumps(chain)}"
        expect_ok(r.run(a.ranks, "--config", job), what)
        expected = expected_view(a, expected_of(source, variables, chain))
        store = readable_store(r, a, store)  # v3: checked, and its v2 transcode read below
        got = oracle.open_zarr(store, consolidated=True).load()
        compare(got, expected, what)
        per_var = [n for n, s in variables.items() if any(p["type"] in VALUE_TYPES for p in s)] \
            if isinstance(variables, dict) else []
        transformed = per_var + ([n for n in expected.data_vars] if any(p["type"] in VALUE_TYPES for p in chain) else [])
        check_encoding(store, got, transformed, what)
        # float16 is readable by zarr-python itself, not only through xarray.
        for name in expected.data_vars:
            if expected[name].dtype == np.float16:
                z = zarr.open_group(store, mode="r")[name]
                if z.dtype != np.float16 or not np.array_equal(z[...], expected[name].values, equal_nan=True):
                    sys.exit(f"FAIL {what}: zarr reads {name} as {z.dtype} with other values")
        print(f"ok {what}: {dict(got.sizes)}")


def case_xform_guards(r, a):
    """Each refusal with its message, before anything is written (exit 2)."""
    from cases import expect_error
    source = r.sample("nc4")
    store = os.path.join(r.work, "guard.zarr")
    cases = [
        ("rolling", ["t2m"], [{"type": "rolling", "time": 3}],
         "preprocessors[0].type: 'rolling' is not supported (zpmpi applies these preprocessors: isel, sel, "
         "subset, reverse_axis, roll, tiled, rename, transpose, squeeze, thin, drop_vars, astype, clip, fillna, "
         "round, assign_attrs, drop_attrs, expand_dims; xarray methods that need neighbouring values, like rolling or interp, "
         "cannot be cached chunk by chunk)"),
        ("interp_second", ["t2m"], [{"type": "astype", "dtype": "float32"}, {"type": "interp", "time": 1}],
         "preprocessors[1].type: 'interp' is not supported"),
        ("per_variable_squeeze", {"t2m": [{"type": "squeeze"}]}, [],
         "variables.t2m[0].type: 'squeeze' is not supported (zpmpi applies these DataArray methods: rename, "
         "transpose, astype, clip, fillna, round, assign_attrs, expand_dims"),
        ("transpose_missing", ["t2m"], [{"type": "transpose", "dims": ["latitude", "time"]}],
         "preprocessors[0].dims: must name every dimension (time, latitude, longitude) or include \"...\""),
        ("transpose_unknown", ["t2m"], [{"type": "transpose", "dims": ["lat", "..."]}],
         "preprocessors[0].dims: no dimension 'lat' (dims: time, latitude, longitude)"),
        ("transpose_tiled", ["t2m"], [{"type": "transpose", "dims": ["latitude", "..."]},
                                      {"type": "tiled", "time": 5}],
         "preprocessors[0]: transpose before tiled is not supported (tiled orders the dims itself)"),
        ("squeeze_long", ["t2m"], [{"type": "squeeze", "dim": "time"}],
         "preprocessors[0].time: cannot squeeze a dimension of length 30 (only length 1)"),
        ("thin_zero", ["t2m"], [{"type": "thin", "time": 0}], "preprocessors[0].time: step must be positive, got 0"),
        ("drop_missing", ["t2m"], [{"type": "drop_vars", "names": "nothing"}],
         "preprocessors[0].names: no variable 'nothing' to drop (variables: t2m, time, latitude, longitude)"),
        ("drop_all_data", ["t2m"], [{"type": "drop_vars", "names": ["t2m"]}], "no data variable"),
        ("astype_complex", ["t2m"], [{"type": "astype", "dtype": "complex64"}],
         "preprocessors[0].dtype: must be one of float16, float32, float64, int8, int16, int32, int64, uint8, "
         "uint16, uint32, uint64, got \"complex64\""),
        ("clip_after_astype", ["d2m"], [{"type": "astype", "dtype": "float16"}, {"type": "clip", "min": 0}],
         "preprocessors[1]: clip after astype (preprocessors[0]) on d2m is not supported: put astype after it"),
        ("clip_integer", ["i4v"], [{"type": "clip", "min": 0}],
         "preprocessors[0]: clip of i4v (i4, no NaN) is not supported: only float values (decoded or after astype)"),
        ("clip_no_bound", ["t2m"], [{"type": "clip"}], "preprocessors[0]: clip needs \"min\" or \"max\""),
        ("fillna_tiled", ["t2m"], [{"type": "fillna", "value": 0}, {"type": "tiled", "time": 7}],
         "preprocessors[0]: fillna with a padding tiled step (preprocessors[1]) is not supported"),
    ]
    for name, variables, chain, message in cases:
        job = r.job(name, source=source, variables=variables, store=store, preprocessors=chain,
                    recommendations="warn")
        expect_error(r.run(2, "--config", job), name, 2, message)
        assert not os.path.exists(store), f"{name}: store left behind"
    print("ok xform guards")


def case_xform_memory(r, a):
    """Memory planning counts the value stage: float16 output halves the chunk buffers of
    a float32 source, a packed short decoded to float32 doubles them (the plan's footprint)."""
    from cases import expect_ok
    source = r.sample("nc4")

    def footprint(variables, chain):
        """The plan's buffer bound of one rank (the data array's batch is the largest)."""
        stats = os.path.join(r.work, "stats.json")
        job = r.job("mem", source=source, variables=variables, store=r.store("mem.zarr"), preprocessors=chain,
                    chunks={"time": 30, "latitude": 37, "longitude": 72}, recommendations="warn")
        expect_ok(r.run(1, "--config", job, "--stats", stats), f"memory {chain}")
        with open(stats) as f:
            return json.load(f)["plan"]["buffers_per_rank"]

    t_plain = footprint(["t2m"], [])
    t_f16 = footprint(["t2m"], [{"type": "astype", "dtype": "float16"}])
    d_plain = footprint(["d2m"], [])
    d_f32 = footprint(["d2m"], [{"type": "astype", "dtype": "float32"}])
    chunk = 30 * 37 * 72
    print(f"batch footprints: t2m {t_plain}, as float16 {t_f16}; d2m {d_plain}, decoded to float32 {d_f32}")
    # The output chunk and its encoding bound are 2 bytes per element fewer as float16 and
    # 2 more for a short decoded to float32 (about 4 * chunk in all; one source row is added).
    assert t_plain - t_f16 >= 3 * chunk, (t_f16, t_plain)
    assert d_f32 - d_plain >= 3 * chunk, (d_f32, d_plain)
    print("ok xform memory")


def case_xform_expand(r, a):
    """expand_dims beyond the oracle chains: a new dim is chunked 1 unless "chunks" names it,
    _ARRAY_DIMENSIONS names it, --resume finds every chunk written, and each refusal of the
    binary (exit 2) names the step."""
    import xarray as xr
    import zarr
    from cases import expect_ok, expect_error
    source = r.sample("nc4")
    for name, chunks, want in [("default", {"time": 10}, 1), ("named", {"time": 10, "member": 2}, 2)]:
        store = r.store(f"expand_{name}.zarr")
        chain = [{"type": "expand_dims", "dim": {"member": 3}}]
        job = r.job(f"expand_{name}", source=source, variables=["t2m"], store=store, preprocessors=chain,
                    chunks=chunks, recommendations="warn")
        expect_ok(r.run(a.ranks, "--config", job), f"expand_dims chunks {chunks}")
        z = zarr.open_group(store, mode="r")["t2m"]
        assert z.attrs["_ARRAY_DIMENSIONS"] == ["member", "time", "latitude", "longitude"], dict(z.attrs)
        assert z.chunks[:2] == (want, 10), f"{chunks}: chunks {z.chunks}"
        expected = getattr(xr.open_dataset(source)[["t2m"]].load(), "expand_dims")(dim={"member": 3})
        compare(oracle.open_zarr(store, consolidated=True).load(), expected, f"expand_dims {chunks}")
        # The source is read once for the 3 members: a batch spans the new dim (the
        # hyperslab holds no new dim, each chunk is gathered from it).
        stats = os.path.join(r.work, f"expand_{name}.stats.json")
        expect_ok(r.run(a.ranks, "--config", job, "--overwrite", "--stats", stats), f"expand_dims stats {chunks}")
        with open(stats) as f:
            needed = json.load(f)["bytes_needed"]
        once = 30 * 37 * 72 * 4 + (30 + 37 + 72) * 4  # t2m float32 and the coordinates
        print(f"{chunks}: {needed} bytes read for 3 members of t2m (the source once: {once})")
        assert needed == once, (needed, once)
        # verify gathers every chunk again through the same index maps and compares.
        p = r.run(a.ranks, "verify", "--config", job)
        expect_ok(p, f"verify of expand_dims {chunks}")
        assert "is exactly this job's output" in p.stdout + p.stderr, p.stdout + p.stderr
    print("ok expand_dims chunks, _ARRAY_DIMENSIONS, one read for a broadcast dim, verify")

    # Killed mid-run, then --resume: another expand_dims is refused naming the preprocessors
    # (the resume record holds the job's keys), the same one keeps the chunks written.
    from resume_cases import start, wait_chunks, copies, expect_kept, chunk_count
    from cases import _kill_session
    store = r.store("expand_resume.zarr")
    keys = dict(source=source, variables=["t2m", "d2m"], store=store, chunks={"time": 2, "member": 1},
                recommendations="warn")
    chain = [{"type": "expand_dims", "dim": {"member": [7, 8]}, "axis": -1}]
    job = r.job("expand_resume", preprocessors=chain, **keys)
    p = start(r, 2, ["--config", job], env={"ZPMPI_TEST_WRITE_DELAY_MS": "20"}, name="expand_resume")
    wait_chunks(r, p, "expand_resume.zarr", 5)
    _kill_session(p)
    found = sum(chunk_count(c) for c in copies(r.work, "expand_resume.zarr"))
    other = r.job("expand_resume_other", preprocessors=[dict(chain[0], axis=0)], **keys)
    expect_error(r.run(2, "--config", other, "--resume"), "resume with another axis", 1,
                 "config.preprocessors")
    p = r.run(a.ranks, "--config", job, "--resume")
    expect_ok(p, "expand_dims --resume")
    expect_kept(p, found, "expand_dims --resume")
    kwargs = {k: v for k, v in chain[0].items() if k != "type"}
    expected = getattr(xr.open_dataset(source)[["t2m", "d2m"]].load(), "expand_dims")(**kwargs)
    compare(oracle.open_zarr(store, consolidated=True).load(), expected, "expand_dims resumed")
    print(f"ok expand_dims resumed: {found} chunks kept, another axis refused by name")

    store = os.path.join(r.work, "expand_guard.zarr")
    cases = [
        ("exists", [{"type": "expand_dims", "dim": "time"}], "preprocessors[0]: Dimension time already exists"),
        ("axis", [{"type": "expand_dims", "dim": "member", "axis": 4}],
         "preprocessors[0].axis: Axis 4 of variable t2m is out of bounds of the expanded dimension size 4"),
        ("axis_twice", [{"type": "expand_dims", "dim": ["a", "b"], "axis": [0, -5]}],
         "preprocessors[0].axis: axis should not contain duplicate values (t2m)"),
        ("axis_count", [{"type": "expand_dims", "dim": ["a", "b"], "axis": 0}],
         "preprocessors[0].axis: lengths of dim and axis should be identical (2 dims, 1 axes)"),
        ("both", [{"type": "expand_dims", "dim": "a", "b": 1}],
         "preprocessors[0]: cannot give both \"dim\" and new dimensions as keys"),
        ("text_values", [{"type": "expand_dims", "dim": {"source": ["era5"]}}],
         "preprocessors[0].dim.source[0]: coordinate values must be numbers (text coordinates are not supported)"),
        ("select_new", [{"type": "expand_dims", "dim": "member"}, {"type": "isel", "member": 0}],
         "preprocessors[1].member: 'member' is a dimension added by expand_dims (preprocessors[0]); selecting "
         "along it is not supported"),
        ("tiled_after", [{"type": "expand_dims", "dim": "member"}, {"type": "tiled", "time": 5}],
         "preprocessors[1]: tiled after expand_dims (preprocessors[0]) is not supported"),
        ("chunks_unknown", [{"type": "expand_dims", "dim": "member"}], None),
    ]
    for name, chain, message in cases:
        keys = dict(source=source, variables=["t2m"], store=store, preprocessors=chain, recommendations="warn")
        if message is None:  # "chunks" may name an added dim, not one nobody adds
            keys["chunks"] = {"members": 1}
            message = "chunks.members: 'members' is not a dimension of"
        job = r.job(f"expand_{name}", **keys)
        expect_error(r.run(2, "--config", job), name, 2, message)
        assert not os.path.exists(store), f"{name}: store left behind"
    print("ok expand_dims guards")

