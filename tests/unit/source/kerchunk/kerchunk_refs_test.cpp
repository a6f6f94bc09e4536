// The reference-set parser: versions 0 and 1, value kinds, templates, gen, relative urls,
// and malformed sets with errors that say where.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "zpmpi/source/kerchunk_refs.hpp"

namespace zpmpi::source::kerchunk {
namespace {

const char* kZarray2d =
    R"({\"zarr_format\":2,\"shape\":[4,6],\"chunks\":[2,3],\"dtype\":\"<f4\",\"fill_value\":\"NaN\",)"
    R"(\"order\":\"C\",\"compressor\":null,\"filters\":null})";

ReferenceSet parse_or_throw(const std::string& text, const std::string& location = "/data/refs.json") {
  auto set = ReferenceSet::parse_text(text, location);
  if (!set.ok()) throw std::runtime_error(set.error().message);
  return std::move(set).value();
}

std::string parse_error(const std::string& text) {
  auto set = ReferenceSet::parse_text(text, "/d/refs.json");
  if (set.ok()) return "(parsed)";
  EXPECT_EQ(set.error().code, ExitCode::kUsage) << set.error().message;
  return set.error().message;
}

const ChunkRef& chunk(const ReferenceSet& s, const std::string& array, std::uint64_t i) {
  const ArrayRefs* a = s.array(array);
  if (!a) throw std::runtime_error("no array " + array);
  return a->table.at(i);
}

TEST(KerchunkRefs, Version0FlatKeys) {
  const auto s = parse_or_throw(std::string(R"({".zgroup": "{\"zarr_format\":2}", "t/.zarray": ")") + kZarray2d +
                                R"(", "t/0.0": ["a.nc", 100, 24], "t/1.1": ["/abs/b.nc", 0, 8]})");
  EXPECT_EQ(s.version(), 0);
  ASSERT_NE(s.metadata(".zgroup"), nullptr);
  EXPECT_EQ(*s.metadata(".zgroup"), R"({"zarr_format":2})");
  const ArrayRefs* a = s.array("t");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->grid, (model::Shape{2, 2}));
  EXPECT_EQ(a->num_refs, 2u);
  EXPECT_EQ(s.url(chunk(s, "t", 0).url), "/data/a.nc");  // relative to the reference file
  EXPECT_EQ(chunk(s, "t", 0).offset, 100u);
  EXPECT_EQ(chunk(s, "t", 0).length, 24u);
  EXPECT_TRUE(chunk(s, "t", 1).missing());
  EXPECT_TRUE(chunk(s, "t", 2).missing());
  EXPECT_EQ(s.url(chunk(s, "t", 3).url), "/abs/b.nc");
  EXPECT_EQ(s.chunk_key("t", 3), "t/1.1");
}

TEST(KerchunkRefs, Version1WithTemplatesAfterRefsAndChunksBeforeTheirZarray) {
  // Chunk keys before the .zarray and templates after the refs: both are resolved at the end.
  const auto s = parse_or_throw(std::string(R"({"version": 1, "refs": {"t/1.0": ["{{u}}", 5, 6],)") +
                                R"( "t/.zarray": ")" + kZarray2d + R"(", "t/0.1": ["file:///x/{{u}}", 1, 2]},)" +
                                R"( "templates": {"u": "data/f.nc"}})");
  EXPECT_EQ(s.version(), 1);
  EXPECT_EQ(s.url(chunk(s, "t", 2).url), "/data/data/f.nc");
  EXPECT_EQ(chunk(s, "t", 2).offset, 5u);
  EXPECT_EQ(s.url(chunk(s, "t", 1).url), "/x/data/f.nc");
  EXPECT_EQ(s.num_urls(), 2u);
}

TEST(KerchunkRefs, InlineTextBase64AndWholeFile) {
  const auto s = parse_or_throw(std::string(R"({"version":1,"refs":{"t/.zarray":")") + kZarray2d +
                                R"(","t/0.0":"raw text","t/0.1":"base64:AAECAw==","t/1.0":["http://h/p/c0"]}})",
                                "http://h/p/refs.json");
  EXPECT_EQ(s.inline_bytes(chunk(s, "t", 0)), "raw text");
  EXPECT_EQ(s.inline_bytes(chunk(s, "t", 1)), std::string("\x00\x01\x02\x03", 4));
  EXPECT_EQ(chunk(s, "t", 2).length, ChunkRef::kWholeFile);
  EXPECT_EQ(s.url(chunk(s, "t", 2).url), "http://h/p/c0");
}

TEST(KerchunkRefs, SlashSeparatorNestedNamesAndScalars) {
  const auto s = parse_or_throw(
      R"({"g/t/.zarray": "{\"shape\":[4],\"chunks\":[2],\"dimension_separator\":\"/\"}", "g/t/1": ["a", 0, 1],)"
      R"( "s/.zarray": "{\"shape\":[],\"chunks\":[]}", "s/0": "base64:AQ==",)"
      R"( "u/.zarray": "{\"shape\":[4,4],\"chunks\":[2,2],\"dimension_separator\":\"/\"}", "u/1/1": ["a", 9, 1],)"
      R"( "u/0.1": ["a", 7, 1]})");
  EXPECT_EQ(chunk(s, "g/t", 1).offset, 0u);
  EXPECT_TRUE(chunk(s, "g/t", 0).missing());
  EXPECT_EQ(s.array("s")->grid, model::Shape{});
  EXPECT_EQ(s.inline_bytes(chunk(s, "s", 0)), "\x01");
  EXPECT_EQ(chunk(s, "u", 3).offset, 9u);
  EXPECT_EQ(s.array("u")->num_refs, 1u);  // "u/0.1" is not a key of a '/' array: zarr ignores it
  EXPECT_EQ(s.chunk_key("u", 3), "u/1/1");
}

TEST(KerchunkRefs, GenEntriesExpandWithExpressionsAndTemplates) {
  const auto s = parse_or_throw(std::string(R"({"version":1,"templates":{"u":"f_{{x}}.nc"},"refs":{"t/.zarray":")") +
                                kZarray2d + R"("},"gen":[{"key":"t/{{i}}.{{j}}","url":"d{{i}}.nc",)" +
                                R"("offset":"{{(i * 2 + j) * 100 + 8}}","length":"{{ 10 // 3 }}",)" +
                                R"("dimensions":{"i":{"stop":2},"j":[0,1]}}]})");
  for (std::uint64_t i = 0; i < 2; ++i)
    for (std::uint64_t j = 0; j < 2; ++j) {
      const ChunkRef& r = chunk(s, "t", i * 2 + j);
      EXPECT_EQ(s.url(r.url), "/data/d" + std::to_string(i) + ".nc");
      EXPECT_EQ(r.offset, (i * 2 + j) * 100 + 8);
      EXPECT_EQ(r.length, 3u);
    }
  EXPECT_EQ(s.num_chunk_refs(), 4u);
}

TEST(KerchunkRefs, GenWithoutOffsetIsWholeFileAndPythonFloorDivision) {
  const auto s = parse_or_throw(std::string(R"({"version":1,"refs":{"t/.zarray":")") + kZarray2d +
                                R"("},"gen":[{"key":"t/{{i % 2}}.{{(i - 3) // 2 + 2}}","url":"x{{-7 // 2}}",)" +
                                R"("dimensions":{"i":{"start":1,"stop":4,"step":2}}}]})");
  // i = 1: key t/1.1; i = 3: key t/1.2 is outside the 2x2 grid (ignored)
  EXPECT_EQ(s.url(chunk(s, "t", 3).url), "/data/x-4");
  EXPECT_EQ(chunk(s, "t", 3).length, ChunkRef::kWholeFile);
  EXPECT_EQ(s.num_chunk_refs(), 1u);
}

// Keys given twice: fsspec reads the set with json.load, which keeps the last value of a
// key, so zpmpi uses the last one too, for metadata and chunk keys alike, and warns.
TEST(KerchunkRefs, ADuplicatedKeyTakesItsLastValueAndIsNamedInAWarning) {
  const auto s = parse_or_throw(std::string(R"({"version": 1, "refs": {".zattrs": "{\"title\": \"first\"}",)") +
                                R"( "t/.zarray": ")" + kZarray2d + R"(", "t/0.0": ["a.nc", 1, 1],)" +
                                R"( ".zattrs": "{\"title\": \"last\"}", "t/0.0": ["a.nc", 2, 2], "t/1.1": ["a.nc", 3, 3]}})");
  EXPECT_EQ(*s.metadata(".zattrs"), R"({"title": "last"})");
  EXPECT_EQ(chunk(s, "t", 0).offset, 2u);
  EXPECT_EQ(s.array("t")->num_refs, 2u);
  ASSERT_EQ(s.warnings().size(), 1u);
  EXPECT_EQ(s.warnings()[0], "/data/refs.json: keys given more than once (2 repeats): \".zattrs\", \"t/0.0\"; "
                             "the last value of each is used, as fsspec reads the references");
  // Six keys given twice: five named, then "...".
  std::string many = R"({)";
  for (int k = 0; k < 6; ++k)
    for (int twice = 0; twice < 2; ++twice) many += "\"a" + std::to_string(k) + "/.zattrs\": \"{}\", ";
  const auto m = parse_or_throw(many + R"("b/.zattrs": "{}"})");
  ASSERT_EQ(m.warnings().size(), 1u);
  EXPECT_NE(m.warnings()[0].find(R"((6 repeats): "a0/.zattrs", "a1/.zattrs", "a2/.zattrs", "a3/.zattrs", "a4/.zattrs", ...;)"),
            std::string::npos)
      << m.warnings()[0];
  // No duplicate, no warning.
  EXPECT_TRUE(parse_or_throw(R"({"a/.zattrs": "{}"})").warnings().empty());
}

TEST(KerchunkRefs, AChunkKeyGivenTwiceBeforeItsZarrayTakesTheLast) {
  // Both wait for the .zarray; the one placed at the end must still be the later one.
  const auto s = parse_or_throw(std::string(R"({"t/0.1": ["a.nc", 1, 1], "t/0.1": ["b.nc", 2, 2], "t/.zarray": ")") +
                                kZarray2d + R"(", "t/1.0": ["c.nc", 3, 3], "t/1.0": ["d.nc", 4, 4]})");
  EXPECT_EQ(s.url(chunk(s, "t", 1).url), "/data/b.nc");
  EXPECT_EQ(s.url(chunk(s, "t", 2).url), "/data/d.nc");
  EXPECT_EQ(s.num_chunk_refs(), 2u);
  // a.nc and c.nc are named only by replaced keys: nothing reads them (nor checks them).
  EXPECT_EQ(s.referenced_urls(), (std::vector<std::string>{"/data/b.nc", "/data/d.nc"}));
  ASSERT_EQ(s.warnings().size(), 1u);
  EXPECT_NE(s.warnings()[0].find("(2 repeats): \"t/1.0\", \"t/0.1\""), std::string::npos) << s.warnings()[0];
}

TEST(KerchunkRefs, ALaterZarrayReplacesTheGridOfTheFirst) {
  // The first .zarray says 2x2 chunks, the last (the one read) 4x2 (shape 8x6): chunk keys
  // before and after it, inside either grid, land in the last grid; "t/3.1" fit only it.
  const std::string first = kZarray2d;
  std::string last = kZarray2d;
  last.replace(last.find("[4,6]"), 5, "[8,6]");
  const auto s = parse_or_throw(std::string(R"({"t/.zarray": ")") + first + R"(", "t/0.1": ["a.nc", 1, 1],)" +
                                R"( "t/3.1": ["a.nc", 7, 1], "t/1.0": "old",)" + R"( "t/.zarray": ")" + last +
                                R"(", "t/1.0": "new", "t/2.0": ["a.nc", 5, 1]})");
  EXPECT_NE(s.metadata("t/.zarray")->find("[8,6]"), std::string::npos);
  const ArrayRefs* a = s.array("t");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->grid, (model::Shape{4, 2}));
  EXPECT_EQ(a->num_refs, 4u);
  EXPECT_EQ(chunk(s, "t", 1).offset, 1u);                 // t/0.1
  EXPECT_EQ(s.inline_bytes(chunk(s, "t", 2)), "new");     // t/1.0, given twice
  EXPECT_EQ(chunk(s, "t", 4).offset, 5u);                 // t/2.0
  EXPECT_EQ(chunk(s, "t", 7).offset, 7u);                 // t/3.1: outside the first grid
  ASSERT_EQ(s.warnings().size(), 1u);
  EXPECT_NE(s.warnings()[0].find("\"t/.zarray\", \"t/1.0\""), std::string::npos) << s.warnings()[0];
  // A last .zarray that is no array (unreadable): the array has no table, as zarr sees it.
  const auto bad = parse_or_throw(std::string(R"({"t/.zarray": ")") + first + R"(", "t/0.0": "x", "t/.zarray": "{}"})");
  EXPECT_EQ(bad.array("t"), nullptr);
  EXPECT_EQ(*bad.metadata("t/.zarray"), "{}");
}

TEST(KerchunkRefs, ATopLevelPartGivenTwiceReplacesTheFirstWhole) {
  // json.load keeps the last "refs" object whole: keys only in the first are gone.
  const auto s = parse_or_throw(std::string(R"({"version": 1, "templates": {"u": "old.nc", "v": "x"},)") +
                                R"( "refs": {"t/.zarray": ")" + kZarray2d + R"(", "t/0.0": ["{{u}}", 1, 1], "gone/.zattrs": "{}"},)" +
                                R"( "templates": {"u": "new.nc"}, "refs": {"t/.zarray": ")" + kZarray2d +
                                R"(", "t/1.1": ["{{u}}", 2, 2]}})");
  EXPECT_EQ(s.metadata("gone/.zattrs"), nullptr);
  EXPECT_TRUE(chunk(s, "t", 0).missing());
  EXPECT_EQ(s.url(chunk(s, "t", 3).url), "/data/new.nc");
  EXPECT_EQ(s.num_chunk_refs(), 1u);
  ASSERT_EQ(s.warnings().size(), 1u);
  EXPECT_NE(s.warnings()[0].find("\"templates\", \"refs\""), std::string::npos) << s.warnings()[0];
  // "{{v}}" was only in the first templates: unknown now.
  EXPECT_NE(parse_error(R"({"version": 1, "templates": {"v": "x"}, "templates": {}, "refs": {"t/0": ["{{v}}"]}})")
                .find("unknown name 'v'"),
            std::string::npos);
}

TEST(KerchunkRefs, AGenReferenceReplacesARefOfTheSameKey) {
  // fsspec fills its references from "refs", then from "gen" over them.
  const auto s = parse_or_throw(std::string(R"({"version": 1, "refs": {"t/.zarray": ")") + kZarray2d +
                                R"(", "t/0.0": ["r.nc", 1, 1]}, "gen": [{"key": "t/0.{{i}}", "url": "g.nc",)" +
                                R"( "offset": "{{i + 10}}", "length": "1", "dimensions": {"i": [0, 1]}}]})");
  EXPECT_EQ(s.url(chunk(s, "t", 0).url), "/data/g.nc");
  EXPECT_EQ(chunk(s, "t", 0).offset, 10u);
  EXPECT_EQ(chunk(s, "t", 1).offset, 11u);
  ASSERT_EQ(s.warnings().size(), 1u);
  EXPECT_NE(s.warnings()[0].find("(1 repeat): \"t/0.0\""), std::string::npos) << s.warnings()[0];
}

TEST(KerchunkRefs, ResolvesUrls) {
  EXPECT_EQ(base_of("/a/b/refs.json"), "/a/b/");
  EXPECT_EQ(base_of("refs.json"), "");
  EXPECT_EQ(base_of("file:///a/r.json"), "/a/");
  EXPECT_EQ(resolve_url("./x.nc", "/a/"), "/a/x.nc");
  EXPECT_EQ(resolve_url("sub/x.nc", "http://h/p/"), "http://h/p/sub/x.nc");
  EXPECT_EQ(resolve_url("https://h/x.nc", "/a/"), "https://h/x.nc");
  EXPECT_EQ(resolve_url("file:///x.nc", "/a/"), "/x.nc");
  EXPECT_EQ(resolve_url("s3://bucket/x.nc", "/a/"), "s3://bucket/x.nc");
}

TEST(KerchunkRefs, Base64) {
  EXPECT_EQ(decode_base64("aGVsbG8=").value(), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8h").value(), "hello!");
  EXPECT_EQ(decode_base64("").value(), "");
  EXPECT_NE(decode_base64("aGV$bG8=").error().message.find("character 3 ('$')"), std::string::npos);
  EXPECT_NE(decode_base64("aGVsbG8").error().message.find("multiple of 4"), std::string::npos);
}

TEST(KerchunkRefs, MalformedSetsAreClearErrors) {
  EXPECT_NE(parse_error("{\"a\": [\"x\", 1, 2").find("/d/refs.json: malformed JSON at byte"), std::string::npos);
  EXPECT_NE(parse_error("not json").find("malformed JSON"), std::string::npos);
  EXPECT_NE(parse_error("[1]").find("a reference set is a JSON object, got a list"), std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 2, "refs": {}})").find("unknown reference set version 2 (supported: 0, 1)"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"version": "1"})").find("version: must be an integer, got a string"), std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "refs": []})").find("refs: must be an object, got a list"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "refs": {"t/0": 5}})")
                .find(R"(/d/refs.json: refs: "t/0": must be a string or [url, offset, length], got a number)"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"t/0": ["a", 1]})").find(R"("t/0": must be [url] or [url, offset, length], got a list of 2)"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"t/0": ["a", -1, 2]})").find("offset must not be negative, got -1"), std::string::npos);
  EXPECT_NE(parse_error(R"({"t/0": [3, 1, 2]})").find("element 0 is a number"), std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "refs": {"t/0": "base64:@@@@"}})")
                .find(R"(refs: "t/0": bad base64: character 0 ('@'))"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "templates": {"u": 3}})").find(R"(templates: "u": must be a string)"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"refs": {}})").find("without \"version\": 1"), std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "refs": {"t/.zarray": ["a", 0, 1]}})").find("must be inline text"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "refs": {"t/0": ["{{nope}}", 0, 1]}})").find("unknown name 'nope'"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "gen": [{"key": "t/{{i}}", "url": "u", "dimensions": {"i": {}}}]})")
                .find("gen[0]: dimensions.i.stop: missing"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "gen": [{"url": "u", "dimensions": {}}]})").find("gen[0]: key: missing"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "gen": [{"key": "t/{{i}}.{{j}}", "url": "u", "dimensions":)"
                        R"( {"i": {"stop": 100000}, "j": {"stop": 100000}}}]})")
                .find("gen[0]: dimensions: more than 2^28 combinations"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"t/0": ["a", 0, 1], "version": 1})").find("in a set with version 0 references"), std::string::npos);
}

TEST(KerchunkRefs, ParsesAFileInBlocksAndMissingFileIsRuntimeError) {
  const auto dir = std::filesystem::path(ZPMPI_TEST_TMP) / "source" / "kerchunk_refs_file";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "refs.json").string();
  {
    std::ofstream f(path);
    f << R"({"version":1,"refs":{"t/.zarray":")" << kZarray2d << R"(","t/0.0":["c.nc",1,2]}})";
  }
  auto s = ReferenceSet::parse_file(path, nullptr);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->url(s->array("t")->table[0].url), (dir / "c.nc").string());
  auto missing = ReferenceSet::parse_file((dir / "none.json").string(), nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ExitCode::kRuntime);
  EXPECT_NE(missing.error().message.find("none.json: cannot open the reference file"), std::string::npos);
}

// The measurement behind README's "kerchunk sources" figures: 10^6 chunk references in one
// file, streamed. Printed, not asserted on time (no timed assertions); asserts the count and
// the storage per reference.
TEST(KerchunkRefs, MillionReferencesStayCompact) {
  const auto dir = std::filesystem::path(ZPMPI_TEST_TMP) / "source" / "kerchunk_refs_million";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "refs.json").string();
  const std::uint64_t nt = 1000, ny = 1000;  // 10^6 chunks of 1x1x1440 floats
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fprintf(f, R"({"version":1,"templates":{"a":"era5_a.nc","b":"era5_b.nc"},"refs":{)");
    std::fprintf(f, R"(".zgroup":"{\"zarr_format\":2}","t2m/.zarray":"{\"shape\":[%llu,%llu,1440],)"
                    R"(\"chunks\":[1,1,1440],\"dtype\":\"<f4\",\"fill_value\":\"NaN\",\"order\":\"C\",)"
                    R"(\"compressor\":{\"id\":\"zlib\",\"level\":1},\"filters\":null,\"zarr_format\":2}")",
                 static_cast<unsigned long long>(nt), static_cast<unsigned long long>(ny));
    for (std::uint64_t t = 0; t < nt; ++t)
      for (std::uint64_t y = 0; y < ny; ++y)
        std::fprintf(f, R"(,"t2m/%llu.%llu.0":["{{%s}}",%llu,%llu])", static_cast<unsigned long long>(t),
                     static_cast<unsigned long long>(y), t % 2 ? "a" : "b",
                     static_cast<unsigned long long>(16384 + (t * ny + y) * 4000), 3000ULL + y % 1000);
    std::fprintf(f, "}}");
    std::fclose(f);
  }
  const auto bytes = std::filesystem::file_size(path);
  const auto t0 = std::chrono::steady_clock::now();
  auto s = ReferenceSet::parse_file(path, nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->num_chunk_refs(), nt * ny);
  EXPECT_EQ(s->num_urls(), 2u);
  const double per_ref = static_cast<double>(s->memory_bytes()) / static_cast<double>(nt * ny);
  EXPECT_LT(per_ref, 17.0);
  std::printf("[ measure ] %llu references, %.1f MB file: parsed in %.3f s (%.0f MB/s), %.2f bytes/ref held\n",
              static_cast<unsigned long long>(nt * ny), bytes / 1e6, seconds, bytes / 1e6 / seconds, per_ref);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace zpmpi::source::kerchunk
