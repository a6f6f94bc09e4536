"""The interop oracle: a store written by zpmpi, opened by Debian's xarray and zarr, must
equal the source opened by xarray (values NaN-aware, dims, coords, decoded time, attrs)."""
import os

import numpy as np
import xarray as xr
import zarr


def check(source, store, variables=None, renames=None, extra_attrs=None, chunks=None, compressor="zstd"):
    """Raises AssertionError naming the first difference.

    variables: source data variables chosen (None = all); renames: source name -> store name;
    extra_attrs: root attributes added by the job; chunks: dim -> expected chunk size."""
    renames = renames or {}
    assert os.path.exists(os.path.join(store, ".zmetadata")), f"{store}: no .zmetadata"
    expected = xr.open_dataset(source)
    if variables is not None:
        expected = expected[variables]
    expected = expected.rename({k: v for k, v in renames.items() if k in expected})
    expected.attrs.update(extra_attrs or {})

    got = xr.open_zarr(store, consolidated=True)
    assert sorted(got.data_vars) == sorted(expected.data_vars), (sorted(got.data_vars), sorted(expected.data_vars))
    assert sorted(got.coords) == sorted(expected.coords), (sorted(got.coords), sorted(expected.coords))
    xr.testing.assert_identical(got.load(), expected.load())

    # The raw arrays, as zarr-python sees them: packed integers stay packed, chunks as asked.
    group = zarr.open_consolidated(store)
    raw = xr.open_dataset(source, mask_and_scale=False, decode_times=False)
    for name in list(expected.data_vars) + list(expected.coords):
        source_name = next((k for k, v in renames.items() if v == name), name)
        array = group[name]
        assert array.dtype == raw[source_name].dtype, f"{name}: dtype {array.dtype} != {raw[source_name].dtype}"
        np.testing.assert_array_equal(array[...], raw[source_name].values, err_msg=name)
        if chunks and name in expected.data_vars:
            dims = expected[name].dims
            want = tuple(min(chunks.get(d, array.chunks[i]), max(array.shape[i], 1)) for i, d in enumerate(dims))
            assert array.chunks == want, f"{name}: chunks {array.chunks} != {want}"
        codec = array.compressor.codec_id if array.compressor is not None else "none"
        assert codec == compressor, f"{name}: compressor {codec} != {compressor}"
    return True
