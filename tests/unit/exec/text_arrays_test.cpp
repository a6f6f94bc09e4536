// Text arrays written by rank 0: the store's files against those xarray's to_zarr writes for
// the same values (Debian's python3-xarray / python3-zarr: byte-equal chunks with no
// compressor, equal .zarray documents), and the size cap.
#include "zpmpi/exec/text_arrays.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "../common/run_python.hpp"

#include "zpmpi/zarr/store.hpp"

namespace zpmpi::exec {
namespace {

namespace fs = std::filesystem;
using model::TextType;

/// "names" (station=3, fixed width 4), "label" (station=3, utf8) and "crs" (0-d, width 1).
class TextSource : public source::Source {
 public:
  TextSource() {
    dataset_.uri = "text.nc";
    auto add = [&](std::string name, TextType t, model::Shape shape) {
      model::Variable v;
      v.name = std::move(name);
      v.text = t;
      v.shape = shape;
      if (!shape.empty()) v.dims = {"station"};
      dataset_.variables.push_back(v);
    };
    add("names", {TextType::Kind::fixed_bytes, 4}, {3});
    add("label", {TextType::Kind::utf8, 0}, {3});
    add("crs", {TextType::Kind::fixed_bytes, 1}, {});
  }
  const model::Dataset& dataset() const override { return dataset_; }
  std::vector<std::string> input_files() const override { return {dataset_.uri}; }
  Status read(const std::string&, const model::Box&, std::span<std::byte>, const model::Shape&,
              source::TaskRunner*) override {
    return runtime_error("not numeric");
  }
  Result<std::vector<std::string>> read_text(const std::string& variable) override {
    if (variable == "names")
      return std::vector<std::string>{std::string("ab\0\0", 4), std::string("Z\xFC\0\0", 4), "wxyz"};
    if (variable == "label") return std::vector<std::string>{"alpha", "", "\xCE\xB3\xCE\xAC"};
    return std::vector<std::string>{std::string(1, '\0')};
  }

 private:
  model::Dataset dataset_;
};

transform::OutputArray array(const std::string& name, TextType type, model::Shape shape) {
  transform::OutputArray a;
  a.name = a.source.name = name;
  a.text = type;
  a.shape = a.source.shape = shape;
  for (model::Index n : shape) a.chunks.push_back(std::max<model::Index>(n, 1));  // one chunk, as the job sets
  a.map = model::IndexMap::identity(shape);
  if (!shape.empty()) a.dims = {"station"};
  return a;
}

fs::path fresh(const std::string& name) {
  const fs::path dir = fs::path(ZPMPI_TEST_TMP) / "exec" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

constexpr const char* kScript = R"PY(
import json, sys, numpy as np, xarray as xr, zarr
ours, theirs = sys.argv[1], sys.argv[2]
ds = xr.Dataset({
    "names": ("station", np.array([b"ab", b"Z\xfc", b"wxyz"], dtype="S4")),
    "label": ("station", np.array(["alpha", "", "\u03b3\u03ac"], dtype=object)),
    "crs": ((), np.array(b"", dtype="S1")),
})
ds.to_zarr(theirs, encoding={k: {"compressor": None} for k in ds.variables})
for name, key in (("names", "0"), ("label", "0"), ("crs", "0")):
    a = json.load(open(f"{ours}/{name}/.zarray")); b = json.load(open(f"{theirs}/{name}/.zarray"))
    assert a.pop("dimension_separator") == "."  # zarr's default, which zpmpi spells out
    assert a == b, (name, a, b)
    x = open(f"{ours}/{name}/{key}", "rb").read(); y = open(f"{theirs}/{name}/{key}", "rb").read()
    assert x == y, (name, x, y)
got = xr.open_zarr(ours).load()
xr.testing.assert_identical(got, ds)
)PY";

TEST(TextArrays, FilesEqualWhatXarrayWrites) {
  const fs::path dir = fresh("text_arrays");
  const fs::path ours = dir / "ours.zarr", theirs = dir / "theirs.zarr";
  TextSource source;
  const std::vector<transform::OutputArray> arrays{array("names", {TextType::Kind::fixed_bytes, 4}, {3}),
                                                 array("label", {TextType::Kind::utf8, 0}, {3}),
                                                 array("crs", {TextType::Kind::fixed_bytes, 1}, {})};
  const codec::CodecSpec none{codec::CodecId::kNone};
  ASSERT_TRUE(zarr::create_store(ours, {}).ok());
  auto written = write_text_arrays(arrays, source, ours, none, zarr::ZarrFormat::kV2, 0);
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(*written, 12u + (4 + 9 + 4 + 8) + 1u);
  std::vector<zarr::ArrayMeta> meta;
  for (const auto& a : arrays) meta.push_back({a, a.attributes});
  ASSERT_TRUE(zarr::write_metadata(ours, {}, meta, nullptr).ok());
  EXPECT_EQ(zpmpi::testing::run_python(kScript, {ours.string(), theirs.string()}), 0) << ours << " vs " << theirs;
}

TEST(TextArrays, ChunkBytesPadFixedWidth) {
  const std::vector<std::string> values{"a", "abcd", ""};
  auto raw = text_chunk_bytes({TextType::Kind::fixed_bytes, 3}, values);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(raw->data()), raw->size()), std::string("a\0\0abc\0\0\0", 9));
}

TEST(TextArrays, TooLargeIsAUsageErrorNamingTheArray) {
  auto big = array("names", {TextType::Kind::fixed_bytes, 64}, {5'000'000});  // 320 MB
  const Status s = check_text_sizes({big});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ExitCode::kUsage);
  EXPECT_NE(s.error().message.find("text array 'names' needs"), std::string::npos) << s.error().message;
  EXPECT_TRUE(check_text_sizes({array("names", {TextType::Kind::fixed_bytes, 64}, {1000})}).ok());
}

}  // namespace
}  // namespace zpmpi::exec
