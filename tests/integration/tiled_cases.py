"""Issue 12: the `tiled` preprocessor against xarray's own coarsen/construct/stack on the same
source and JSON (imported by cases.py: `case_*` functions only). With --zarr-format 3
[--shards]: v3 stores, one tile per inner chunk, shards of many tiles along batch_dim."""
import json
import os
import sys

# cases.py imports this file; its helpers are imported inside the cases (after both loaded).

TILED_KEYS = ("type", "boundary", "validate_axis_order", "discontinuity_periods")
SOURCE_DIMS = ["time", "latitude", "longitude", "level"]  # the samples' netCDF dim order


def xarray_tiled(ds, p):
    """What the store must equal: the issue's xarray expression."""
    sizes = {k: v for k, v in p.items() if k not in TILED_KEYS}
    order = [d for d in SOURCE_DIMS if d in sizes]
    c = ds.coarsen(sizes, boundary=p.get("boundary", "pad")).construct(
        {d: (d + "_coarse", d + "_fine") for d in sizes})
    s = c.stack(batch_dim=[d + "_coarse" for d in order]).reset_index("batch_dim")
    s = s.transpose("batch_dim", ...)
    lengths = {d: ds.sizes[d] for d in order}
    for name, v in s.data_vars.items():
        if "batch_dim" in v.dims:
            v.attrs.update({
                "tiler_boundary": p.get("boundary", "pad"),
                "tiler_dims": order,
                "tiler_tile_sizes": [sizes[d] for d in order],
                "tiler_original_sizes": [lengths[d] for d in order],
                "tiler_coarse_dims": [d + "_coarse" for d in order],
                "tiler_fine_dims": [d + "_fine" for d in order],
                "tiler_batch_dims": [d + "_coarse" for d in order],
            })
    return s


TILED_CHAINS = [
    # divisible sizes (boundary "exact"): no padding
    (["t2m", "d2m"], [{"type": "tiled", "time": 6, "latitude": 37, "longitude": 24, "boundary": "exact"}]),
    # padded sizes: NaN past the ends, packed d2m padded with its _FillValue, a 4-D variable
    # (level untiled) and lsm(latitude, longitude) broadcast along the time tiles
    (["t2m", "d2m", "q", "lsm"], [{"type": "tiled", "time": 8, "latitude": 10, "longitude": 16}]),
    # after reverse_axis + sel on the descending latitude, ascending check on
    ([ "t2m", "d2m"], [{"type": "reverse_axis", "dim": "latitude"},
                       {"type": "sel", "latitude": [-30, 60], "longitude": [40, 200]},
                       {"type": "tiled", "latitude": 8, "longitude": 12, "validate_axis_order": True}]),
    # after a roll (0..355 -> 180..355, 0..175: each tile one side of the seam; a tile reads
    # two pieces, a batch their union)
    (["t2m", "d2m"], [{"type": "roll", "dim": "longitude", "shifts": 36},
                      {"type": "tiled", "latitude": 10, "longitude": 36}]),
    # trim, and a tiled dim of length 1 (level) in the 4-D variable
    (["q"], [{"type": "isel", "time": [2, 29]},
             {"type": "tiled", "time": 5, "level": 1, "latitude": 16, "longitude": 20, "boundary": "trim"}]),
]


def case_tiled(r, a):
    import xarray as xr
    from cases import expect_ok, xarray_chain, format_keys, open_store, expected_view, skip_without_zarrita
    skip_without_zarrita(a)
    source = r.sample("nc4")
    fmt = format_keys(a)
    for i, (variables, chain) in enumerate(TILED_CHAINS):
        store = r.store(f"tiled{i}.zarr")
        job = r.job(f"tiled{i}", source=source, variables=variables, store=store, preprocessors=chain,
                    recommendations="warn", memory_limit="2MB", **fmt)
        expect_ok(r.run(a.ranks, "--config", job), f"tiled {i}: {json.dumps(chain)}")
        loaded = xr.open_dataset(source)[variables].load()
        expected = expected_view(a, xarray_tiled(xarray_chain(loaded, chain[:-1]), chain[-1]))
        # Coordinates of a tiled dataset are one chunk whatever "shards" asks: checked below.
        got = open_store(r, a, store, check_shards=False)
        try:
            xr.testing.assert_identical(got, expected)
        except AssertionError as e:
            sys.exit(f"FAIL tiled {i} {json.dumps(chain)}:\n{e}")
        # One tile per chunk file (v3: per inner chunk) for data variables.
        for name in variables:
            chunks, shards = _stored_chunks(store, name)
            want = [1] + list(got[name].shape[1:])
            if chunks != want:
                sys.exit(f"FAIL tiled {i}: {name} chunks {chunks}, expected {want}")
            want_shards = _tiled_shards(fmt.get("shards"), want, got[name].shape[0])
            if shards != want_shards:
                sys.exit(f"FAIL tiled {i}: {name} shards {shards}, expected {want_shards} ({fmt})")
        print(f"ok tiled {i}: {dict(got.sizes)} {json.dumps(chain)}")


def _stored_chunks(store, name):
    """(chunks, shards) of an array: .zarray's chunks, or a v3 zarr.json's inner chunks and
    its shard shape (None when not sharded)."""
    if os.path.exists(os.path.join(store, name, ".zarray")):
        with open(os.path.join(store, name, ".zarray")) as f:
            return json.load(f)["chunks"], None
    with open(os.path.join(store, name, "zarr.json")) as f:
        meta = json.load(f)
    grid = meta["chunk_grid"]["configuration"]["chunk_shape"]
    if meta["codecs"][0]["name"] != "sharding_indexed":
        return grid, None
    return meta["codecs"][0]["configuration"]["chunk_shape"], grid


def _tiled_shards(shards, tile, batches):
    """The shard shape "shards" gives a tiled data array (chunks: one tile): shards of many
    tiles along batch_dim ("auto" on these small arrays: all of them), one tile on the rest."""
    if shards is None:
        return None
    along = batches if shards == "auto" else min(shards.get("batch_dim", 1), batches)
    return [along] + tile[1:]


def case_tiled_guards(r, a):
    from cases import expect_error, expect_ok
    source = r.sample("nc4")
    store = os.path.join(r.work, "guard.zarr")
    cases = [
        ("descending", ["t2m"], [{"type": "tiled", "latitude": 10, "validate_axis_order": True}],
         "preprocessors[0].latitude: coordinate latitude is not strictly ascending (90 .. -90); reverse it first "
         "({\"type\": \"reverse_axis\", \"dim\": \"latitude\"}) or set validate_axis_order to false"),
        ("discontinuity", ["t2m"], [{"type": "roll", "dim": "longitude", "shifts": 30},
                                    {"type": "tiled", "longitude": 16}],
         "preprocessors[1].longitude: tile 1 (of 5 along longitude) crosses a discontinuity of longitude (a jump "
         "of more than 180 inside a tile, period 360)"),
        ("not_last", ["t2m"], [{"type": "tiled", "time": 5}, {"type": "isel", "time": [0, 10]}],
         "preprocessors[1]: isel after tiled (preprocessors[0]): tiled must come last"),
        ("exact", ["t2m"], [{"type": "tiled", "latitude": 10, "boundary": "exact"}],
         "preprocessors[0].latitude: length 37 is not a multiple of the tile 10 (boundary \"exact\")"),
        ("trim_empty", ["t2m"], [{"type": "tiled", "time": 31, "boundary": "trim"}],
         "preprocessors[0].time: boundary \"trim\" leaves no tile: length 30 is less than the tile 31"),
        ("integer_pad", ["i4v"], [{"type": "tiled", "time": 7}],
         "preprocessors[0]: tiling pads time (30 = 4 x 7 + 2), and i4v is an integer variable without "
         "_FillValue"),
        ("unknown_dim", ["t2m"], [{"type": "tiled", "height": 4}], "preprocessors[0]: no dimension 'height'"),
        ("chunks", ["t2m"], [{"type": "tiled", "time": 5}],
         "chunks.time: a tiled array is written one tile per chunk; leave time out of \"chunks\""),
        ("memory", ["d2m"], [{"type": "tiled", "time": 5, "latitude": 37, "longitude": 8}],
         "memory_limit 20kB is too low: one tile of array d2m needs 118.5kB (the tile of 3kB twice, 106.6kB for "
         "the source chunks being decoded, and the output chunk buffers)"),
    ]
    extras = {"chunks": {"chunks": {"time": 3}}, "memory": {"memory_limit": "20kB", "recommendations": "warn"}}
    for name, variables, chain, message in cases:
        extra = extras.get(name, {})
        job = r.job(name, source=source, variables=variables, store=store, preprocessors=chain, **extra)
        expect_error(r.run(2, "--config", job), name, 2, message)
        assert not os.path.exists(store), f"{name}: store left behind"
    # Recommendations: a tile size cutting the source chunks halts (exit 3) with the nearest
    # aligned size and the read amplification, writes with "warn".
    rec = r.store("rec.zarr")
    chain = [{"type": "tiled", "time": 5, "latitude": 10, "longitude": 16}]  # t2m chunks (7, 10, 16)
    job = r.job("rec_halt", source=source, variables=["t2m"], store=rec, preprocessors=chain)
    p = r.run(2, "--config", job)
    expect_error(p, "misaligned tiles halt", 3, "not aligned to the source chunks")
    want = ("recommendation: time: tiles of 5 cut source chunks of 7 (read amplification 2.17); "
            "nearest aligned tile size: 7")
    assert want in p.stderr, p.stderr
    assert "latitude: tiles" not in p.stderr and "longitude: tiles" not in p.stderr, p.stderr
    assert not os.path.exists(rec), "a halted run wrote a store"
    job = r.job("rec_warn", source=source, variables=["t2m"], store=rec, preprocessors=chain,
                recommendations="warn")
    p = r.run(2, "--config", job)
    expect_ok(p, "misaligned tiles with warn")
    assert want in p.stderr, p.stderr
    # A batch decodes each source chunk once: d2m's zlib chunks (5, 37, 72) under tiles
    # (6, 37, 24) are shared by the 3 tiles of a time step (a read per tile decoded 5.0
    # times the bytes needed; once per batch 1.67 at most).
    stats = os.path.join(r.work, "stats.json")
    job = r.job("decode_once", source=source, variables=["d2m"], store=r.store("once.zarr"), recommendations="warn",
                preprocessors=[{"type": "tiled", "time": 6, "latitude": 37, "longitude": 24}])
    expect_ok(r.run(1, "--config", job, "--stats", stats), "decode once per batch")
    with open(stats) as f:
        amplification = json.load(f)["read_amplification"]
    assert amplification < 1.7, f"read amplification {amplification}: shared source chunks decoded per tile"
    # An integer variable pads fine when the tiles divide its dims.
    ok = r.store("int.zarr")
    job = r.job("int_ok", source=source, variables=["i4v"], store=ok,
                preprocessors=[{"type": "tiled", "time": 6, "longitude": 24}], recommendations="warn")
    expect_ok(r.run(2, "--config", job), "integer variable, tiles dividing its dims")
    print("ok tiled guards")
