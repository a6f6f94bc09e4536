// The kerchunk Source: the description a reference set gives (as xarray's zarr backend reads
// it) and reads of boxes (strided, across chunks, missing and inline chunks, on workers)
// against data generated here: chunks zstd-encoded (or raw) into one data file.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/source/kerchunk.hpp"
#include "zpmpi/source/kerchunk_refs.hpp"
#include "../../common/thread_runner.hpp"

namespace zpmpi::source {
namespace {

namespace json = boost::json;
using model::Box;
using model::Shape;

using zpmpi::testing::ThreadRunner;

class KerchunkSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(ZPMPI_TEST_TMP) / "source" / (std::string("kerchunk.") + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }

  /// Value of element (t, y, x) of the test array.
  static float value(Shape i) { return static_cast<float>(i[0] * 10000 + i[1] * 100 + i[2]) + 0.5f; }

  /// Writes the data file and the references of float32 array "t" of shape `shape`,
  /// `chunks`, zstd-compressed (or raw), chunk `missing` left out, chunk `inlined` inline.
  std::string write_set(const Shape& shape, const Shape& chunks, bool compressed, std::uint64_t missing = ~0ull,
                        std::uint64_t inlined = ~0ull, const std::string& extra_refs = "") {
    Shape grid(3);
    for (int d = 0; d < 3; ++d) grid[d] = (shape[d] + chunks[d] - 1) / chunks[d];
    std::ofstream data(dir_ / "data.bin", std::ios::binary);
    data << "HEADER--";  // chunks do not start at 0
    std::uint64_t at = 8;
    auto codec = codec::make_codec({codec::CodecId::kZstd, 3});
    json::object refs;
    json::object zarray{{"zarr_format", 2},
                        {"shape", json::array(shape.begin(), shape.end())},
                        {"chunks", json::array(chunks.begin(), chunks.end())},
                        {"dtype", "<f4"},
                        {"fill_value", "NaN"},
                        {"order", "C"},
                        {"filters", nullptr}};
    zarray["compressor"] = compressed ? json::value(json::object{{"id", "zstd"}, {"level", 3}}) : json::value(nullptr);
    refs[".zgroup"] = R"({"zarr_format": 2})";
    refs[".zattrs"] = R"({"title": "test", "n": 3, "xs": [1.5, 2], "nested": {"a": 1}})";
    refs["t/.zarray"] = json::serialize(zarray);
    refs["t/.zattrs"] = R"({"_ARRAY_DIMENSIONS": ["time", "y", "x"], "units": "K", "scale": 0.5})";
    std::uint64_t index = 0;
    for (Shape c(3, 0); c[0] < grid[0]; ++index) {
      std::vector<float> chunk(model::num_elements(chunks), 0.0f);  // edge chunks padded with 0
      for (Index a = 0; a < chunks[0]; ++a)
        for (Index b = 0; b < chunks[1]; ++b)
          for (Index e = 0; e < chunks[2]; ++e) {
            Shape g{c[0] * chunks[0] + a, c[1] * chunks[1] + b, c[2] * chunks[2] + e};
            if (g[0] < shape[0] && g[1] < shape[1] && g[2] < shape[2])
              chunk[(a * chunks[1] + b) * chunks[2] + e] = value(g);
          }
      auto raw = std::as_bytes(std::span(chunk));
      std::vector<std::byte> stored(codec->max_encoded_size(raw.size()));
      std::size_t n = raw.size();
      if (compressed) n = codec->encode(raw, stored).value();
      else std::copy(raw.begin(), raw.end(), stored.begin());
      const std::string key = "t/" + std::to_string(c[0]) + "." + std::to_string(c[1]) + "." + std::to_string(c[2]);
      if (index == inlined) {
        refs[key] = "base64:" + base64(std::string(reinterpret_cast<const char*>(stored.data()), n));
      } else if (index != missing) {
        data.write(reinterpret_cast<const char*>(stored.data()), static_cast<std::streamsize>(n));
        refs[key] = json::array{"data.bin", at, n};
        at += n;
      }
      for (int d = 2; d >= 0; --d) {
        if (++c[d] < grid[d] || d == 0) break;
        c[d] = 0;
      }
    }
    std::string text = json::serialize(json::object{{"version", 1}, {"refs", refs}});
    if (!extra_refs.empty()) text.insert(text.rfind('}') - 1, "," + extra_refs);
    const auto path = (dir_ / "refs.json").string();
    std::ofstream(path) << text;
    return path;
  }

  static std::string base64(const std::string& in) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                         static_cast<unsigned char>(in[i + 2]);
      out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]};
    }
    if (i + 1 == in.size()) {
      const unsigned v = static_cast<unsigned char>(in[i]) << 16;
      out += {a[v >> 18], a[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
      const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
      out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], '='};
    }
    return out;
  }

  using Index = model::Index;

  std::unique_ptr<Source> open(const std::string& path) {
    auto s = open_kerchunk(path);
    if (!s.ok()) throw std::runtime_error(s.error().message);
    return std::move(s).value();
  }

  /// Reads `box` with `stride` and checks every element against value() (NaN where the
  /// element lies in chunk `missing` of grid `grid`).
  void expect_read(Source& s, const Box& box, const Shape& stride, TaskRunner* runner, const Shape& chunks = {},
                   const Shape& missing_chunk = {}) {
    std::vector<float> out(box.num_elements(), -1.0f);
    auto st = s.read("t", box, std::as_writable_bytes(std::span(out)), stride, runner);
    ASSERT_TRUE(st.ok()) << st.error().message;
    std::size_t i = 0;
    for (Index a = 0; a < box.count[0]; ++a)
      for (Index b = 0; b < box.count[1]; ++b)
        for (Index c = 0; c < box.count[2]; ++c, ++i) {
          const Shape g{box.start[0] + a * (stride.empty() ? 1 : stride[0]),
                        box.start[1] + b * (stride.empty() ? 1 : stride[1]),
                        box.start[2] + c * (stride.empty() ? 1 : stride[2])};
          const bool in_missing = !missing_chunk.empty() && g[0] / chunks[0] == missing_chunk[0] &&
                                  g[1] / chunks[1] == missing_chunk[1] && g[2] / chunks[2] == missing_chunk[2];
          if (in_missing) ASSERT_TRUE(std::isnan(out[i])) << "element " << model::to_string(g);
          else ASSERT_EQ(out[i], value(g)) << "element " << model::to_string(g);
        }
  }

  std::filesystem::path dir_;
};

TEST_F(KerchunkSourceTest, DescribesTheDatasetAsXarraySeesIt) {
  auto s = open(write_set({5, 7, 9}, {2, 3, 4}, true));
  const auto& ds = s->dataset();
  ASSERT_EQ(ds.variables.size(), 1u);
  const auto& v = ds.variables[0];
  EXPECT_EQ(v.name, "t");
  EXPECT_EQ(v.dtype, model::DType::f4);
  EXPECT_EQ(v.dims, (std::vector<std::string>{"time", "y", "x"}));
  EXPECT_EQ(v.shape, (Shape{5, 7, 9}));
  EXPECT_EQ(v.source_chunks, (Shape{2, 3, 4}));
  EXPECT_TRUE(v.chunked);
  EXPECT_TRUE(v.compressed);
  EXPECT_TRUE(v.decoded_on_workers);
  ASSERT_TRUE(v.fill_value.has_value());
  EXPECT_TRUE(std::isnan(std::get<double>(*v.fill_value)));
  const auto* fill = v.find_attribute("_FillValue");
  ASSERT_NE(fill, nullptr);
  EXPECT_EQ(fill->value.dtype, model::DType::f4);
  const auto* scale = v.find_attribute("scale");
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(scale->value.dtype, model::DType::f8);
  EXPECT_EQ(v.find_attribute("_ARRAY_DIMENSIONS"), nullptr);
  ASSERT_EQ(ds.dims.size(), 3u);
  EXPECT_EQ(ds.dims[1].name, "y");
  EXPECT_EQ(ds.dims[1].length, 7u);
  // Global attributes: "n" an int64, "xs" floats; the nested object is skipped, by name.
  ASSERT_EQ(ds.attributes.size(), 3u);
  const auto n = std::find_if(ds.attributes.begin(), ds.attributes.end(), [](auto& a) { return a.name == "n"; });
  ASSERT_NE(n, ds.attributes.end());
  EXPECT_EQ(n->value.dtype, model::DType::i8);
  ASSERT_EQ(ds.skipped.size(), 1u);
  EXPECT_NE(ds.skipped[0].find("nested"), std::string::npos);
}

TEST_F(KerchunkSourceTest, NamesTheReferenceFileAndEveryFileItPointsInto) {
  const std::string refs = write_set({4, 6, 5}, {2, 3, 5}, true);
  const auto source = open(refs);
  EXPECT_EQ(source->input_files(), (std::vector<std::string>{refs, (dir_ / "data.bin").string()}));
}

TEST_F(KerchunkSourceTest, RawChunksAreNotCompressed) {
  auto s = open(write_set({4, 4, 4}, {2, 2, 2}, false));
  EXPECT_FALSE(s->dataset().variables[0].compressed);
  ThreadRunner runner(2);
  expect_read(*s, Box{{0, 0, 0}, {4, 4, 4}}, {}, &runner);
  expect_read(*s, Box{{1, 1, 1}, {2, 3, 2}}, {}, nullptr);
  expect_read(*s, Box{{0, 0, 0}, {4, 2, 2}}, {1, 2, 3}, &runner);  // rows taken with a step
  EXPECT_EQ(runner.runs, 0);  // nothing to decode: read straight into the output
}

TEST_F(KerchunkSourceTest, RawChunksWithMissingAndInlineChunks) {
  auto s = open(write_set({5, 7, 9}, {2, 3, 4}, false, 4, 13));
  expect_read(*s, Box{{0, 0, 0}, {5, 7, 9}}, {}, nullptr, {2, 3, 4}, {0, 1, 1});
  expect_read(*s, Box{{0, 0, 1}, {5, 7, 4}}, {1, 1, 2}, nullptr, {2, 3, 4}, {0, 1, 1});
}

TEST_F(KerchunkSourceTest, ReadsBoxesAcrossChunksWithStridesOnWorkers) {
  auto s = open(write_set({5, 7, 9}, {2, 3, 4}, true));
  ThreadRunner runner(3);
  expect_read(*s, Box{{0, 0, 0}, {5, 7, 9}}, {}, &runner);
  EXPECT_GE(runner.runs, 1);
  expect_read(*s, Box{{1, 2, 3}, {3, 4, 5}}, {}, &runner);
  expect_read(*s, Box{{0, 1, 0}, {3, 2, 3}}, {2, 5, 4}, &runner);  // steps larger than a chunk
  expect_read(*s, Box{{0, 0, 1}, {5, 4, 4}}, {1, 2, 2}, &runner);  // several strided elements per chunk
  expect_read(*s, Box{{4, 6, 8}, {1, 1, 1}}, {}, nullptr);          // the last corner, on this thread
  expect_read(*s, Box{{0, 0, 0}, {0, 7, 9}}, {}, &runner);          // empty
}

TEST_F(KerchunkSourceTest, WholeChunksThatAreOneRunOfTheOutputAreDecodedInPlace) {
  // Chunks of whole rows (2 x 4 x 8 of 6 x 4 x 8): each is one contiguous run of a box of
  // whole rows, decoded straight to its place; a chunk missing between them still reads
  // as the fill, and boxes that cut chunks fall back to the copy.
  auto s = open(write_set({6, 4, 8}, {2, 4, 8}, true, 1));
  ThreadRunner runner(2);
  expect_read(*s, Box{{0, 0, 0}, {6, 4, 8}}, {}, &runner, {2, 4, 8}, {1, 0, 0});
  expect_read(*s, Box{{1, 0, 0}, {5, 4, 8}}, {}, &runner, {2, 4, 8}, {1, 0, 0});  // chunk 2 in place at row 3
  expect_read(*s, Box{{4, 0, 0}, {2, 4, 8}}, {}, nullptr);
  expect_read(*s, Box{{0, 1, 0}, {6, 2, 8}}, {}, &runner, {2, 4, 8}, {1, 0, 0});  // chunks cut: copied
  // Chunks of one step and half the rows: a chunk is one run of a box two steps deep.
  auto t = open(write_set({4, 4, 8}, {1, 2, 8}, true));
  expect_read(*t, Box{{0, 0, 0}, {4, 4, 8}}, {}, &runner);
  expect_read(*t, Box{{1, 2, 0}, {2, 2, 8}}, {}, &runner);
  // Two steps of half the rows: not one run of the box; decoded aside and copied.
  auto u = open(write_set({4, 4, 8}, {2, 2, 8}, true));
  expect_read(*u, Box{{0, 0, 0}, {4, 4, 8}}, {}, &runner);
}

TEST_F(KerchunkSourceTest, PreparedReadsFetchNowAndDecodeOnWorkersLater) {
  // Chunk 4 = (0,1,1) missing: filled when the read is prepared.
  auto s = open(write_set({5, 7, 9}, {2, 3, 4}, true, 4));
  const std::vector<std::pair<Box, Shape>> boxes{{Box{{0, 0, 0}, {5, 7, 9}}, {}},
                                                 {Box{{1, 2, 3}, {3, 4, 5}}, {}},
                                                 {Box{{0, 0, 1}, {5, 4, 4}}, {1, 2, 2}}};
  std::vector<std::vector<float>> got;
  std::vector<model::ByteBuffer> stored(boxes.size());
  std::vector<std::unique_ptr<DeferredRead>> reads;
  for (std::size_t i = 0; i < boxes.size(); ++i) {  // all prepared before any decodes
    got.emplace_back(boxes[i].first.num_elements(), -1.0f);
    auto read = s->prepare_read("t", boxes[i].first, std::as_writable_bytes(std::span(got.back())), boxes[i].second,
                                stored[i], 1u << 20, 2);
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_NE(*read, nullptr);
    reads.push_back(std::move(read).value());
  }
  ThreadRunner two(2);
  for (auto& read : reads) ASSERT_TRUE(two.run(read->tasks(), [&](std::size_t t, int w) { return read->run(t, w); }).ok());
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    std::vector<float> want(got[i].size(), -2.0f);
    ASSERT_TRUE(s->read("t", boxes[i].first, std::as_writable_bytes(std::span(want)), boxes[i].second, nullptr).ok());
    EXPECT_TRUE(std::equal(got[i].begin(), got[i].end(), want.begin(), want.end(),
                           [](float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }))
        << "box " << i;
  }
  // Not split: an inline chunk (13), raw chunks, or more stored bytes than allowed.
  std::vector<float> out(5 * 7 * 9);
  model::ByteBuffer buffer;
  auto with_inline = open(write_set({5, 7, 9}, {2, 3, 4}, true, 4, 13));
  auto raw = open(write_set({5, 7, 9}, {2, 3, 4}, false));
  for (Source* source : {with_inline.get(), raw.get(), s.get()}) {
    auto read = source->prepare_read("t", Box{{0, 0, 0}, {5, 7, 9}}, std::as_writable_bytes(std::span(out)), {}, buffer,
                                     source == s.get() ? 10 : 1u << 20, 2);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(*read, nullptr);
  }
}

TEST_F(KerchunkSourceTest, MissingChunksReadAsTheFillAndInlineChunksAsTheirBytes) {
  // Grid 3x3x3; chunk 4 = (0,1,1) missing, chunk 13 = (1,1,1) inline.
  auto s = open(write_set({5, 7, 9}, {2, 3, 4}, true, 4, 13));
  ThreadRunner runner(2);
  expect_read(*s, Box{{0, 0, 0}, {5, 7, 9}}, {}, &runner, {2, 3, 4}, {0, 1, 1});
}

TEST_F(KerchunkSourceTest, ABudgetOfTwoChunksPerWorkerStillReadsEverything) {
  // 1x1 worker on many small chunks: many groups, each fetched and decoded in turn.
  auto s = open(write_set({6, 6, 6}, {1, 2, 2}, true));
  ThreadRunner runner(1);
  expect_read(*s, Box{{0, 0, 0}, {6, 6, 6}}, {}, &runner);
  EXPECT_GT(runner.runs, 10);
}

TEST_F(KerchunkSourceTest, CorruptChunkIsAnErrorNamingTheChunkAndUrl) {
  const auto path = write_set({4, 4, 4}, {2, 2, 2}, true);
  {
    // Overwrite the data of the first chunk (right after the 8-byte header).
    std::fstream f(dir_ / "data.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    f << "garbage!garbage!";
  }
  auto s = open(path);
  std::vector<float> out(8);
  auto st = s->read("t", Box{{0, 0, 0}, {2, 2, 2}}, std::as_writable_bytes(std::span(out)), {}, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(path + ": t: chunk t/0.0.0 ("), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("data.bin 8+"), std::string::npos) << st.error().message;
}

TEST_F(KerchunkSourceTest, UnreadableChunkFileIsAnErrorNamingTheUrl) {
  const auto path = write_set({4, 4, 4}, {2, 2, 2}, true);
  std::filesystem::remove(dir_ / "data.bin");
  auto s = open(path);
  std::vector<float> out(8);
  auto st = s->read("t", Box{{0, 0, 0}, {2, 2, 2}}, std::as_writable_bytes(std::span(out)), {}, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ExitCode::kRuntime);
  EXPECT_NE(st.error().message.find((dir_ / "data.bin").string()), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find(path + ": t: chunk t/0.0.0: "), std::string::npos) << st.error().message;
  // Uncompressed chunks (read row by row) name theirs too.
  const auto raw = write_set({4, 4, 4}, {2, 2, 2}, false);
  std::filesystem::remove(dir_ / "data.bin");
  auto r = open(raw);
  st = r->read("t", Box{{0, 2, 0}, {2, 2, 2}}, std::as_writable_bytes(std::span(out)), {}, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(raw + ": t: chunk t/0.1.0: "), std::string::npos) << st.error().message;
}

class KerchunkOpenErrors : public KerchunkSourceTest {
 protected:
  std::string open_error(const std::string& refs) {
    const auto path = (dir_ / "refs.json").string();
    std::ofstream(path) << refs;
    auto s = open_kerchunk(path);
    if (s.ok()) return "(opened)";
    EXPECT_EQ(s.error().code, ExitCode::kUsage) << s.error().message;
    EXPECT_NE(s.error().message.find(path), std::string::npos) << s.error().message;
    return s.error().message;
  }
  static std::string set(const std::string& zarray, const std::string& zattrs = R"({\"_ARRAY_DIMENSIONS\": [\"x\"]})",
                         const std::string& more = "") {
    return R"({"version": 1, "refs": {".zgroup": "{}", "v/.zarray": ")" + zarray + R"(", "v/.zattrs": ")" + zattrs +
           "\"" + more + "}}";
  }
};

TEST_F(KerchunkOpenErrors, NameTheVariableAndTheCause) {
  const std::string ok = R"({\"shape\": [4], \"chunks\": [2], \"dtype\": \"<f8\", \"fill_value\": null, \"order\": \"C\", )";
  EXPECT_NE(open_error(set(ok + R"(\"compressor\": {\"id\": \"bz2\"}, \"filters\": null})")).find(": v: "),
            std::string::npos);
  EXPECT_NE(open_error(set(ok + R"(\"compressor\": {\"id\": \"bz2\"}, \"filters\": null})")).find("bz2"),
            std::string::npos);
  EXPECT_NE(open_error(set(R"({\"shape\": [4], \"chunks\": [2], \"dtype\": \"<f8\", \"order\": \"F\", \"compressor\": null})"))
                .find("v: .zarray: order \"F\" is not supported"),
            std::string::npos);
  EXPECT_NE(open_error(set(ok + R"(\"compressor\": null})", "{}")).find("v: no _ARRAY_DIMENSIONS"), std::string::npos);
  EXPECT_NE(open_error(R"({"version": 1, "refs": {"v/0": ["a", 0, 1]}})").find("no .zgroup"), std::string::npos);
  EXPECT_NE(open_error(set(ok + R"(\"compressor\": null})", R"({\"_ARRAY_DIMENSIONS\": [\"x\"]})",
                           R"(, "v/0": ["gs://bucket/a.nc", 0, 16])"))
                .find("gs://bucket/a.nc: gs:// urls are not supported (paths, file://, http://, https://, s3://)"),
            std::string::npos);
  // s3:// chunk urls without credentials (nor anon) are refused at open, before a store is made.
  EXPECT_NE(open_error(set(ok + R"(\"compressor\": null})", R"({\"_ARRAY_DIMENSIONS\": [\"x\"]})",
                           R"(, "v/0": ["s3://bucket/a.nc", 0, 16])"))
                .find("s3://bucket/a.nc: no S3 credentials: give key and secret (or anon: true"),
            std::string::npos);
}

TEST_F(KerchunkOpenErrors, TextArraysAreSkippedAndBigEndianIsRead) {
  const auto data = dir_ / "be.bin";
  {
    std::ofstream f(data, std::ios::binary);
    const unsigned char be[] = {0x01, 0x02, 0xFF, 0xFE};  // >i2: 258, -2
    f.write(reinterpret_cast<const char*>(be), 4);
  }
  const auto path = (dir_ / "refs.json").string();
  std::ofstream(path) << R"({".zgroup": "{}", "s/.zarray": "{\"shape\": [2], \"chunks\": [2], \"dtype\": \"<U4\"}",)"
                         R"( "s/.zattrs": "{\"_ARRAY_DIMENSIONS\": [\"x\"]}",)"
                         R"( "b/.zarray": "{\"shape\": [2], \"chunks\": [2], \"dtype\": \">i2\", \"fill_value\": 0,)"
                         R"( \"compressor\": null, \"filters\": null, \"order\": \"C\"}",)"
                         R"( "b/.zattrs": "{\"_ARRAY_DIMENSIONS\": [\"x\"]}", "b/0": ["be.bin", 0, 4]})";
  auto s = open_kerchunk(path);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const auto& ds = (*s)->dataset();
  ASSERT_EQ(ds.variables.size(), 1u);
  EXPECT_EQ(ds.variables[0].name, "b");
  EXPECT_TRUE(ds.variables[0].compressed);  // the byte swap is a decode step
  ASSERT_EQ(ds.skipped.size(), 1u);
  EXPECT_EQ(ds.skipped[0], "variable s (dtype <U4)");
  std::int16_t out[2] = {};
  auto st = (*s)->read("b", Box{{0}, {2}}, std::as_writable_bytes(std::span(out)), {}, nullptr);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(out[0], 258);
  EXPECT_EQ(out[1], -2);
}

}  // namespace
}  // namespace zpmpi::source
