// A store written by this module reads back through zarr-python and xarray (Debian's
// python3-zarr / python3-xarray, test dependencies of this project: a missing module
// fails the test). Beyond values, it checks that every metadata file is byte-identical
// to what Python's json.dumps writes for the same document, and that .zmetadata equals
// what zarr.consolidate_metadata builds from our .zarray/.zattrs files.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "../common/run_python.hpp"
#include "layout_util.hpp"

#include "zpmpi/zarr/store.hpp"

namespace zpmpi::zarr {
namespace {

namespace fs = std::filesystem;
using model::AttrValue;
using model::DType;

AttrValue text(std::string s) { return {std::move(s), std::nullopt}; }

template <class T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
  return std::as_bytes(std::span(v));
}

// Checked in Python: zarr and xarray views of the store, and JSON text identity.
// (No single quotes: the script is passed to the shell in single quotes.)
constexpr const char* kScript = R"PY(
import json, os, shutil, sys
import numpy as np, zarr, xarray as xr

store = sys.argv[1]
g = zarr.open_consolidated(store, mode="r")

t = g["t"]
assert t.dtype == np.dtype("<f4") and t.shape == (5, 7) and t.chunks == (2, 3), (t.dtype, t.shape, t.chunks)
assert t.compressor is None and np.isnan(t.fill_value), (t.compressor, t.fill_value)
expected = (np.arange(5)[:, None] * 10 + np.arange(7)[None, :] + 0.25).astype("<f4")
assert np.array_equal(t[:], expected), t[:]
attrs = dict(t.attrs)
assert np.isnan(attrs.pop("flag")), attrs
assert attrs == {"_ARRAY_DIMENSIONS": ["y", "x"], "units": "\u00b0C", "valid_min": float(np.float32(0.1)),
                 "valid_range": [-100, 100], "long_name": "2 metre \"temperature\"\n(line 2)"}, attrs

n = g["n"]
assert n.dtype == np.dtype("<i2") and n.fill_value == -32767 and n[:].tolist() == [1, -32767, 3], (n.dtype, n.fill_value, n[:])
s = g["s"]
assert s.shape == () and s.dtype == np.dtype("<f8") and s[()] == 42.5, (s.shape, s[()])

root = dict(g.attrs)
assert np.isnan(root.pop("nan")), root
assert root == {"title": "ERA5 \u2014 test", "values": [1e16, 0.0001, 1.0, 5e-324], "big": 2**64 - 1}, root

def pydump(o):
    return json.dumps(o, indent=4, sort_keys=True, ensure_ascii=True, separators=(",", ": "))
for rel in [".zgroup", ".zattrs", ".zmetadata", "t/.zarray", "t/.zattrs", "n/.zarray", "n/.zattrs",
            "s/.zarray", "s/.zattrs"]:
    with open(os.path.join(store, rel)) as f:
        text = f.read()
    assert text == pydump(json.loads(text)), rel + " differs from json.dumps:\n" + text

copy = store + ".consolidated"
shutil.rmtree(copy, ignore_errors=True)
shutil.copytree(store, copy)
os.remove(os.path.join(copy, ".zmetadata"))
zarr.consolidate_metadata(zarr.DirectoryStore(copy))
with open(os.path.join(copy, ".zmetadata")) as a, open(os.path.join(store, ".zmetadata")) as b:
    assert a.read() == b.read(), ".zmetadata differs from zarr.consolidate_metadata"

ds = xr.open_zarr(store)
assert ds["t"].dims == ("y", "x") and np.array_equal(ds["t"].values, expected), ds["t"]
nv = ds["n"].values
assert ds["n"].dims == ("n",) and nv[0] == 1 and np.isnan(nv[1]) and nv[2] == 3, nv
assert float(ds["s"]) == 42.5 and ds["s"].dims == ()
assert ds.attrs["title"] == "ERA5 \u2014 test"
print("zarr-python and xarray read the store; metadata text matches json.dumps")
)PY";

TEST(ZarrPython, ReadsTheStoreAndAgreesOnEveryByteOfMetadata) {
  const fs::path base = fs::path(ZPMPI_TEST_TMP) / "zarr_python_interop";
  fs::remove_all(base);
  const fs::path store = base / "s.zarr";

  const auto t = testing::layout("t", DType::f4, {5, 7}, {2, 3}, model::Scalar{std::nan("")}, {"y", "x"});
  const auto n = testing::layout("n", DType::i2, {3}, {3}, model::Scalar{std::int64_t{-32767}}, {"n"});
  const auto s = testing::layout("s", DType::f8, {}, {}, std::nullopt, {});
  const std::vector<model::Attribute> t_attrs = {
       {"units", text("\xc2\xb0" "C")},
        {"valid_min", {std::vector<double>{static_cast<double>(0.1f)}, DType::f4}},
        {"valid_range", {std::vector<std::int64_t>{-100, 100}, DType::i2}},
        {"long_name", text("2 metre \"temperature\"\n(line 2)")},
        {"flag", {std::vector<double>{std::nan("")}, DType::f8}},
        {"_FillValue", {std::vector<double>{std::nan("")}, DType::f4}}};
  const std::vector<model::Attribute> none;
  const std::vector<ArrayMeta> arrays = {{t, t_attrs}, {n, none}, {s, none}};
  ASSERT_TRUE(create_store(store, {"t", "n", "s"}).ok());

  // t: 3 x 3 chunks of 2 x 3, edge chunks padded with the fill value.
  for (model::Index ci = 0; ci < 3; ++ci) {
    for (model::Index cj = 0; cj < 3; ++cj) {
      std::vector<float> chunk(6, std::nanf(""));
      for (model::Index i = 0; i < 2; ++i)
        for (model::Index j = 0; j < 3; ++j) {
          const model::Index y = ci * 2 + i, x = cj * 3 + j;
          if (y < 5 && x < 7) chunk[i * 3 + j] = static_cast<float>(y * 10 + x) + 0.25f;
        }
      ASSERT_TRUE(write_chunk(store, "t", chunk_key({ci, cj}), bytes_of(chunk), static_cast<int>(ci)).ok());
    }
  }
  ASSERT_TRUE(write_chunk(store, "n", chunk_key({0}), bytes_of(std::vector<std::int16_t>{1, -32767, 3}), 0).ok());
  ASSERT_TRUE(write_chunk(store, "s", chunk_key({}), bytes_of(std::vector<double>{42.5}), 0).ok());

  const boost::json::object group{{"title", "ERA5 \xe2\x80\x94 test"},
                                  {"values", boost::json::array{1e16, 0.0001, 1.0, 5e-324}},
                                  {"big", std::numeric_limits<std::uint64_t>::max()},
                                  {"nan", std::nan("")}};
  ASSERT_TRUE(write_metadata(store, group, arrays, nullptr).ok());

  EXPECT_EQ(zpmpi::testing::run_python(kScript, {store.string()}), 0) << store;
}

}  // namespace
}  // namespace zpmpi::zarr
