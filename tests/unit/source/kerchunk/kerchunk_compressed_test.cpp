// Reference files compressed with zstd or gzip: told by their first bytes, not their name;
// corrupt or truncated data is an error naming the file.
#include "kerchunk/kerchunk_compressed.hpp"

#include <libdeflate.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "zpmpi/source/kerchunk_refs.hpp"

namespace zpmpi::source::kerchunk {
namespace {

namespace fs = std::filesystem;

const std::string kSet =
    R"({"version": 1, "refs": {".zgroup": "{\"zarr_format\":2}", "t/.zarray": "{\"zarr_format\":2,\"shape\":[4],)"
    R"(\"chunks\":[2],\"dtype\":\"<f4\",\"fill_value\":null,\"order\":\"C\",\"compressor\":null,\"filters\":null}",)"
    R"( "t/0": ["a.nc", 100, 8], "t/1": ["s3://bkt/b.nc", 0, 8]}})";

std::string zstd_of(const std::string& text, int level = 3) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), text.data(), text.size(), level));
  return out;
}

std::string gzip_of(const std::string& text) {
  auto* c = libdeflate_alloc_compressor(6);
  std::string out(libdeflate_gzip_compress_bound(c, text.size()), '\0');
  out.resize(libdeflate_gzip_compress(c, text.data(), text.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

fs::path write(const std::string& name, const std::string& bytes) {
  const fs::path dir = fs::path(ZPMPI_TEST_TMP) / "kerchunk_compressed";
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
  return dir / name;
}

void expect_the_set(const Result<ReferenceSet>& s) {
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_NE(s->array("t"), nullptr);
  EXPECT_EQ(s->url(s->array("t")->table.at(1).url), "s3://bkt/b.nc");
}

TEST(KerchunkCompressed, ToldByTheirMagicBytes) {
  EXPECT_EQ(compression_of(zstd_of("{}")), Compression::kZstd);
  EXPECT_EQ(compression_of(gzip_of("{}")), Compression::kGzip);
  EXPECT_EQ(compression_of("{\"version\": 1}"), Compression::kNone);
  EXPECT_EQ(compression_of(""), Compression::kNone);
  EXPECT_EQ(compression_of("\x28\xb5"), Compression::kNone);
}

TEST(KerchunkCompressed, LocalFilesOfEitherKindWhateverTheirName) {
  expect_the_set(ReferenceSet::parse_file(write("refs.json.zst", zstd_of(kSet)).string(), nullptr));
  expect_the_set(ReferenceSet::parse_file(write("refs.json.gz", gzip_of(kSet)).string(), nullptr));
  expect_the_set(ReferenceSet::parse_file(write("named_plain.json", zstd_of(kSet)).string(), nullptr));
  expect_the_set(ReferenceSet::parse_file(write("plain.json.zst", kSet).string(), nullptr));
  expect_the_set(ReferenceSet::parse_text(gzip_of(kSet), "https://h/refs.json.gz"));
}

TEST(KerchunkCompressed, AStreamLargerThanOneOutputBlockIsStreamed) {
  std::string big = kSet.substr(0, kSet.size() - 2) + ", \"pad\": \"";
  big += std::string(1 << 20, 'x') + "\"}}";  // many zstd output blocks (128 KiB each)
  std::size_t pieces = 0, bytes = 0;
  const auto sink = [&](const char*, std::size_t n) -> Status { return ++pieces, bytes += n, Status{}; };
  ASSERT_TRUE(decompress_into(zstd_of(big, 1), Compression::kZstd, "r", 1u << 30, sink).ok());
  EXPECT_EQ(bytes, big.size());
  EXPECT_GT(pieces, 4u);
  const Status bounded = decompress_into(zstd_of(big, 1), Compression::kZstd, "r", 1000, sink);
  ASSERT_FALSE(bounded.ok());
  EXPECT_EQ(bounded.error().message, "r: decompressed, more than the limit of 1000 bytes");
  const Status gz = decompress_into(gzip_of(big), Compression::kGzip, "r", 1000, sink);
  ASSERT_FALSE(gz.ok());
  EXPECT_EQ(gz.error().message, "r: decompressed, more than the limit of 1000 bytes");
}

TEST(KerchunkCompressed, CorruptOrTruncatedDataNamesTheFile) {
  std::string z = zstd_of(kSet);
  const auto truncated = ReferenceSet::parse_file(write("cut.json.zst", z.substr(0, z.size() / 2)).string(), nullptr);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().message, write("cut.json.zst", z.substr(0, z.size() / 2)).string() + ": zstd: truncated data");
  std::string g = gzip_of(kSet);
  g[g.size() / 2] ^= 0x55;
  g[g.size() / 2 + 1] ^= 0x55;
  const auto corrupt = ReferenceSet::parse_text(g, "refs.json.gz");
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().message, "refs.json.gz: gzip: corrupt or truncated data");
  z[6] ^= 0x7f;
  const auto bad_zstd = ReferenceSet::parse_text(z, "refs.json.zst");
  ASSERT_FALSE(bad_zstd.ok());
  EXPECT_EQ(bad_zstd.error().message.rfind("refs.json.zst: zstd: ", 0), 0u) << bad_zstd.error().message;
}

}  // namespace
}  // namespace zpmpi::source::kerchunk
