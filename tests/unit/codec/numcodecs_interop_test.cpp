// The chunks decode with numcodecs, the library zarr-python and xarray use, and numcodecs'
// chunks decode with ours. Runs Debian's /usr/bin/python3 (python3-numcodecs is a test
// dependency of this project, so a missing module fails the test rather than skipping it).
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "../common/file_bytes.hpp"
#include "../common/run_python.hpp"
#include "codec_test_util.hpp"

namespace zpmpi::codec {
namespace {

namespace fs = std::filesystem;

using zpmpi::testing::read_file;
using zpmpi::testing::write_file;

struct Case {
  std::string name;
  CodecSpec spec;
  std::string numcodecs;  ///< the same codec in Python
  std::size_t element_size = 1;  ///< what we encode with (blosc's shuffle and header)
};

const std::vector<Case> kCases = {
    {"zstd1", {CodecId::kZstd, 1, 1}, "numcodecs.Zstd(level=1)"},
    {"zstd9", {CodecId::kZstd, 9, 1}, "numcodecs.Zstd(level=9)"},
    {"lz4", {CodecId::kLz4, 1, 1}, "numcodecs.LZ4(acceleration=1)"},
    {"lz4fast", {CodecId::kLz4, 1, 20}, "numcodecs.LZ4(acceleration=20)"},
    {"gzip1", testing::gzip(1), "numcodecs.GZip(level=1)"},
    {"gzip9", testing::gzip(9), "numcodecs.GZip(level=9)"},
    {"blosc_lz4_shuffle", testing::blosc(BloscName::kLz4, 5, kByteShuffle),
     "numcodecs.Blosc(cname='lz4', clevel=5, shuffle=1)", 4},
    {"blosc_zstd_bitshuffle", testing::blosc(BloscName::kZstd, 3, kBitShuffle),
     "numcodecs.Blosc(cname='zstd', clevel=3, shuffle=2)", 8},
    {"blosc_lz4_noshuffle", testing::blosc(BloscName::kLz4, 1, kNoShuffle),
     "numcodecs.Blosc(cname='lz4', clevel=1, shuffle=0)", 2},
};
// No empty chunk: numcodecs 0.11 refuses any zstd frame whose content size is 0, even its
// own Zstd().encode(b""). zarr never stores one (an array with a zero-length dimension has
// no chunks), and the empty frames are checked byte for byte in zstd_test / lz4_test.
const std::vector<std::size_t> kSizes = {1, 1000, 70000, 2000003};

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(ZPMPI_TEST_TMP) / ("codec_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(Numcodecs, DecodesOurChunks) {
  const fs::path dir = scratch("ours");
  std::string checks;
  for (const auto& c : kCases) {
    const std::string config = boost::json::serialize(compressor_json(c.spec));
    const auto config_bytes = std::as_bytes(std::span(config));
    write_file(dir / (c.name + ".json"), std::vector<std::byte>(config_bytes.begin(), config_bytes.end()));
    for (std::size_t n : kSizes) {
      const std::string stem = (dir / (c.name + "_" + std::to_string(n))).string();
      const auto raw = testing::sample(n);
      write_file(stem + ".raw", raw);
      write_file(stem + ".enc", testing::encode(*make_codec(c.spec), raw, c.element_size));
      checks += "check(" + c.numcodecs + ", \"" + c.name + "\", " + std::to_string(n) + ")\n";
    }
  }
  // Each chunk decodes, and our .zarray "compressor" is the codec numcodecs would write.
  const std::string script =
      "import json, numcodecs, os, sys\n"
      "def check(codec, name, n):\n"
      "    config = json.load(open(os.path.join(sys.argv[1], name + \".json\")))\n"
      "    if numcodecs.get_codec(config) != codec: sys.exit(name + \": config \" + repr(config))\n"
      "    stem = os.path.join(sys.argv[1], name + \"_\" + str(n))\n"
      "    raw = open(stem + \".raw\", \"rb\").read()\n"
      "    got = bytes(codec.decode(open(stem + \".enc\", \"rb\").read()))\n"
      "    if got != raw: sys.exit(stem + \": decoded bytes differ\")\n" +
      checks + "print(\"numcodecs decoded\", " + std::to_string(kCases.size() * kSizes.size()) + ", \"chunks\")\n";
  EXPECT_EQ(zpmpi::testing::run_python(script, {dir.string()}), 0) << dir;
}

TEST(Numcodecs, WeDecodeItsChunks) {
  const fs::path dir = scratch("theirs");
  std::string encodes;
  for (const auto& c : kCases) {
    for (std::size_t n : kSizes) {
      const std::string stem = (dir / (c.name + "_" + std::to_string(n))).string();
      write_file(stem + ".raw", testing::sample(n));
      encodes += "enc(" + c.numcodecs + ", \"" + c.name + "_" + std::to_string(n) + "\")\n";
    }
  }
  const std::string script =
      "import numcodecs, os, sys\n"
      "def enc(codec, name):\n"
      "    stem = os.path.join(sys.argv[1], name)\n"
      "    open(stem + \".enc\", \"wb\").write(codec.encode(open(stem + \".raw\", \"rb\").read()))\n" +
      encodes;
  ASSERT_EQ(zpmpi::testing::run_python(script, {dir.string()}), 0) << dir;
  for (const auto& c : kCases) {
    for (std::size_t n : kSizes) {
      const fs::path stem = dir / (c.name + "_" + std::to_string(n));
      const auto raw = read_file(stem.string() + ".raw");
      const auto enc = read_file(stem.string() + ".enc");
      ASSERT_EQ(raw.size(), n);
      ASSERT_FALSE(enc.empty()) << stem;
      std::vector<std::byte> back(n);
      auto st = make_codec(c.spec)->decode(enc, back);
      ASSERT_TRUE(st.ok()) << stem << ": " << st.error().message;
      EXPECT_EQ(back, raw) << stem;
    }
  }
}

}  // namespace
}  // namespace zpmpi::codec
