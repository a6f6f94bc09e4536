// A complete store as a reference set (store_references.hpp): v3 documents as v2 text,
// chunk and shard references, links and unknown codecs refused; and the documents' JSON
// with Python's non-finite tokens (parse_store_json).
#include <gtest/gtest.h>

#include <cmath>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "../../../src/zarr/base64.hpp"
#include "store_test_util.hpp"
#include "zpmpi/zarr/metadata.hpp"
#include "zpmpi/zarr/shard_index.hpp"
#include "zpmpi/zarr/store_references.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;
namespace json = boost::json;

json::object v3_array(const std::string& codecs, const std::string& attributes = "{}") {
  return json::parse(R"({"zarr_format": 3, "node_type": "array", "shape": [5, 4], "data_type": "float32",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 4]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": "NaN", "codecs": )" + codecs + R"(, "attributes": )" + attributes +
                     R"(, "dimension_names": ["time", "x"]})")
      .as_object();
}

TEST(Base64, DecodesWhatItEncodes) {
  for (const std::string& s : std::vector<std::string>{"", "x", "xy", "xyz", std::string("\0\xff\x7f\x80", 4)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_EQ(base64_decode("AAAAAAAA+H8="), std::string("\0\0\0\0\0\0\xf8\x7f", 8));  // xarray's NaN
  EXPECT_EQ(base64_decode("AAAAAAAA+H8"), std::nullopt);
  EXPECT_EQ(base64_decode("A=AA"), std::nullopt);
  EXPECT_EQ(base64_decode("AA*A"), std::nullopt);
}

TEST(V3AsV2, ZpmpisCodecsAndXarraysFillValue) {
  // xarray's _FillValue for NaN: base64 of the little-endian float64 0x7ff8000000000000.
  const auto v2 = v3_array_as_v2(v3_array(
      R"([{"name": "bytes", "configuration": {"endian": "little"}},
          {"name": "zstd", "configuration": {"level": 3, "checksum": false}}])",
      R"({"_FillValue": "AAAAAAAA+H8=", "units": "K", "statistics": {"count": 1}})"));
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  EXPECT_EQ(json::serialize(v2->zarray),
            R"({"zarr_format":2,"shape":[5,4],"chunks":[4,4],"dtype":"<f4","order":"C",)"
            R"("compressor":{"id":"zstd","level":3},"filters":null,"dimension_separator":".","fill_value":"NaN"})");
  EXPECT_EQ(json::serialize(v2->zattrs), R"({"units":"K","_ARRAY_DIMENSIONS":["time","x"]})");
  EXPECT_TRUE(v2->shards.empty());
}

TEST(V3AsV2, ShardsBloscAndIntegerFill) {
  auto doc = v3_array(R"([{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2],
      "codecs": [{"name": "bytes", "configuration": {"endian": "big"}},
                 {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "bitshuffle",
                                                     "typesize": 2, "blocksize": 0}}],
      "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
      "index_location": "end"}}])",
                      R"({"_FillValue": -32767})");
  doc["data_type"] = "int16";
  const auto v2 = v3_array_as_v2(doc);
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  EXPECT_EQ(v2->zarray.at("dtype"), ">i2");
  EXPECT_EQ(v2->zarray.at("fill_value"), -32767);
  EXPECT_EQ(json::serialize(v2->zarray.at("compressor")),
            R"({"id":"blosc","cname":"lz4","clevel":5,"shuffle":2,"blocksize":0})");
  EXPECT_EQ(v2->shards, (std::vector<std::uint64_t>{4, 4}));
  EXPECT_EQ(v2->chunks, (std::vector<std::uint64_t>{2, 2}));
  EXPECT_EQ(v2->zarray.at("chunks"), json::parse("[2, 2]"));
}

TEST(V3AsV2, RefusesWhatTheReaderCannotDecode) {
  const std::string bytes = R"({"name": "bytes", "configuration": {"endian": "little"}})";
  EXPECT_NE(v3_array_as_v2(v3_array("[" + bytes + R"(, {"name": "crc32c"}])")).error().message.find("codec 'crc32c'"),
            std::string::npos);
  EXPECT_NE(v3_array_as_v2(v3_array(R"([{"name": "transpose", "configuration": {"order": [1, 0]}}, )" + bytes + "]"))
                .error().message.find("codec 'transpose'"),
            std::string::npos);
  auto start = v3_array(R"([{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2], "codecs": [)" +
                        bytes + R"(], "index_codecs": [)" + bytes + R"(, {"name": "crc32c"}], "index_location": "start"}}])");
  EXPECT_NE(v3_array_as_v2(start).error().message.find("index_location"), std::string::npos);
  auto v2_keys = v3_array("[" + bytes + "]");
  v2_keys["chunk_key_encoding"] = json::parse(R"({"name": "v2", "configuration": {"separator": "."}})");
  EXPECT_NE(v3_array_as_v2(v2_keys).error().message.find("chunk_key_encoding"), std::string::npos);
  auto text = v3_array("[" + bytes + "]");
  text["data_type"] = "string";
  ASSERT_TRUE(v3_array_as_v2(text).ok());
  EXPECT_FALSE(v3_array_as_v2(text)->numeric);
}

TEST(ParseStoreJson, ReadsPythonsNonFiniteTokensAndLeavesStringsAlone) {
  const auto v = parse_store_json(R"({"a": NaN, "b": [Infinity, -Infinity, 1.5], "c": "NaN Infinity", "d\"NaN": 2})");
  ASSERT_TRUE(v.ok()) << v.error().message;
  const json::object& o = v->as_object();
  EXPECT_TRUE(std::isnan(o.at("a").as_double()));
  EXPECT_EQ(o.at("b").as_array()[0].as_double(), INFINITY);
  EXPECT_EQ(o.at("b").as_array()[1].as_double(), -INFINITY);
  EXPECT_EQ(o.at("c"), "NaN Infinity");
  EXPECT_EQ(o.at("d\"NaN"), 2);
  EXPECT_EQ(dump_json(*v), dump_json(*parse_store_json(dump_json(*v))));  // round trip
  EXPECT_FALSE(parse_store_json("{\"a\": nan}").ok());
}

/// A v2 store of one array "t" (shape [5], chunks [2]) with chunks `keys` written.
fs::path v2_store(const std::string& name, const std::vector<std::string>& keys) {
  const fs::path store = fresh_dir(name) / "s.zarr";
  const std::string zarray =
      R"({"zarr_format": 2, "shape": [5], "chunks": [2], "dtype": "<f8", "fill_value": "NaN", "order": "C",
          "compressor": null, "filters": null})";
  spit(store / ".zgroup", R"({"zarr_format": 2})");
  spit(store / "t" / ".zarray", zarray);
  spit(store / "t" / ".zattrs", R"({"_ARRAY_DIMENSIONS": ["x"], "valid_min": NaN, "statistics": {"count": 1}})");
  spit(store / ".zmetadata", R"({"zarr_consolidated_format": 1, "metadata": {".zgroup": {"zarr_format": 2},
      ".zattrs": {"zpmpi": {"uuid": "u"}, "title": "T"}, "t/.zarray": )" + zarray +
                                 R"(, "t/.zattrs": {"_ARRAY_DIMENSIONS": ["x"], "valid_min": NaN, "statistics": {"count": 1}}}})");
  for (const auto& k : keys) spit(store / "t" / k, "12345678abcdefgh");
  return store;
}

TEST(StoreReferences, V2ChunkFilesAsRangesOfTheirBytes) {
  const fs::path store = v2_store("refs_v2", {"0", "2", ".0.tmp3", "9"});
  const auto refs = store_references(store);
  ASSERT_TRUE(refs.ok()) << refs.error().message;
  EXPECT_EQ(refs->format, ZarrFormat::kV2);
  EXPECT_EQ(refs->arrays, std::vector<std::string>{"t"});
  EXPECT_EQ(refs->chunks, 2u);  // "1" is absent (fill); a temporary and "9" (outside the grid) are not chunks
  const json::object& r = refs->document.at("refs").as_object();
  EXPECT_EQ(r.at("t/0"), json::parse(R"(["{{a0}}0", 0, 16])"));
  EXPECT_EQ(r.at("t/2"), json::parse(R"(["{{a0}}2", 0, 16])"));
  EXPECT_FALSE(r.contains("t/1"));
  EXPECT_EQ(refs->document.at("templates").at("a0"), "s.zarr/t/");
  EXPECT_EQ(r.at(".zattrs"), R"({"title":"T"})");  // the provenance block left out
  EXPECT_EQ(r.at("t/.zattrs"), R"({"_ARRAY_DIMENSIONS":["x"],"valid_min":"NaN"})");  // statistics left out
}

TEST(StoreReferences, RefusesLinksAndIncompleteStores) {
  const fs::path store = v2_store("refs_link", {"0"});
  fs::create_symlink("/etc/passwd", store / "t" / "1");
  const auto refs = store_references(store);
  ASSERT_FALSE(refs.ok());
  EXPECT_NE(refs.error().message.find((store / "t" / "1").string() + " is a symbolic link"), std::string::npos);
  fs::remove(store / ".zmetadata");
  EXPECT_NE(store_references(store).error().message.find("not a complete Zarr store"), std::string::npos);
}

TEST(StoreReferences, V3ShardsAsByteRangesOfTheirFiles) {
  const fs::path store = fresh_dir("refs_v3") / "s.zarr";
  const auto doc = v3_array(R"([{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2],
      "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
      "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
      "index_location": "end"}}])");
  json::object root{{"zarr_format", 3}, {"node_type", "group"}, {"attributes", json::object{}},
                    {"consolidated_metadata", {{"kind", "inline"}, {"must_understand", false},
                                               {"metadata", {{"t", doc}}}}}};
  spit(store / "zarr.json", json::serialize(root));
  spit(store / "t" / "zarr.json", json::serialize(doc));
  // Shard (0, 0) holds inner chunks (0, 0) and (1, 1); shard (1, 0) is absent (fill).
  std::vector<ShardEntry> entries(4);
  entries[0] = {0, 16};
  entries[3] = {16, 16};
  const auto index = encode_shard_index(entries);
  spit(store / "t" / "c" / "0" / "0",
       std::string(32, 'x') + std::string(reinterpret_cast<const char*>(index.data()), index.size()));
  const auto refs = store_references(store);
  ASSERT_TRUE(refs.ok()) << refs.error().message;
  EXPECT_EQ(refs->format, ZarrFormat::kV3);
  EXPECT_EQ(refs->chunks, 2u);
  const json::object& r = refs->document.at("refs").as_object();
  EXPECT_EQ(r.at("t/0.0"), json::parse(R"(["{{a0}}c/0/0", 0, 16])"));
  EXPECT_EQ(r.at("t/1.1"), json::parse(R"(["{{a0}}c/0/0", 16, 16])"));
  EXPECT_FALSE(r.contains("t/0.1"));
  EXPECT_FALSE(r.contains("t/2.0"));
  // A shard whose index does not check is refused, never read.
  spit(store / "t" / "c" / "0" / "0", std::string(32, 'x') + std::string(index.size(), '\0'));
  EXPECT_NE(store_references(store).error().message.find("crc32c"), std::string::npos);
}

}  // namespace
}  // namespace zpmpi::zarr
