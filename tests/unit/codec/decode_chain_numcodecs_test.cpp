// DecodeChain against numcodecs: Debian's /usr/bin/python3 encodes random data with the
// same .zarray codecs (filters in order, then the compressor, as zarr writes a chunk) and
// decodes it again with numcodecs (as zarr reads it, then to native byte order); our decode
// of the encoded bytes must equal numcodecs' decode byte for byte. Every codec, element
// sizes 1/2/4/8, chains, big-endian dtypes and element counts that leave SIMD tails.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "../common/file_bytes.hpp"
#include "../common/run_python.hpp"
#include "zpmpi/codec/decode_chain.hpp"

namespace zpmpi::codec {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using zpmpi::testing::read_file;

struct Case {
  std::string compressor;  ///< JSON
  std::string filters;     ///< JSON
  std::string dtype;
};

std::vector<Case> cases() {
  std::vector<Case> v;
  const std::vector<std::string> compressors = {
      "null",
      R"({"id": "zlib", "level": 1})",
      R"({"id": "zlib", "level": 9})",
      R"({"id": "gzip", "level": 1})",
      R"({"id": "zstd", "level": 1})",
      R"({"id": "lz4", "acceleration": 1})",
      R"({"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0})",
      R"({"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2, "blocksize": 0})",
      R"({"id": "blosc", "cname": "zlib", "clevel": 1, "shuffle": 0, "blocksize": 0})",
      R"({"id": "blosc", "cname": "blosclz", "clevel": 9, "shuffle": -1, "blocksize": 0})",
  };
  // Every compressor, alone and after shuffle, for each element size.
  for (const std::string dtype : {"|u1", "<i2", "<f4", "<f8", "<u8"}) {
    const std::string size(1, dtype.back());
    for (const auto& c : compressors) {
      v.push_back({c, "null", dtype});
      v.push_back({c, R"([{"id": "shuffle", "elementsize": )" + size + "}]", dtype});
    }
  }
  // kerchunk's HDF5 chunks: shuffle and zlib both as filters, compressor null.
  v.push_back({"null", R"([{"id": "shuffle", "elementsize": 4}, {"id": "zlib", "level": 4}])", "<f4"});
  v.push_back({"null", R"([{"id": "shuffle", "elementsize": 8}, {"id": "gzip", "level": 6}])", ">f8"});
  // Shuffle with other element sizes than the dtype's.
  v.push_back({R"({"id": "zlib", "level": 1})", R"([{"id": "shuffle", "elementsize": 16}])", "<c16"});
  v.push_back({R"({"id": "zstd", "level": 1})", R"([{"id": "shuffle", "elementsize": 2}])", "<f8"});
  v.push_back({"null", R"([{"id": "shuffle", "elementsize": 1}])", "<i4"});
  // Big-endian dtypes: decoded to native order.
  for (const std::string dtype : {">i2", ">u4", ">f4", ">f8", ">i8", ">c8", "<c16", ">M8[ns]"}) {
    v.push_back({R"({"id": "zlib", "level": 1})", "null", dtype});
    v.push_back({"null", "null", dtype});
  }
  v.push_back({R"({"id": "zlib", "level": 1})", R"([{"id": "shuffle", "elementsize": 4}])", ">f4"});
  // delta: same type, narrower and wider astype, floats, big-endian.
  v.push_back({R"({"id": "zstd", "level": 1})", R"([{"id": "delta", "dtype": "<i4"}])", "<i4"});
  v.push_back({R"({"id": "zstd", "level": 1})", R"([{"id": "delta", "dtype": "<i2", "astype": "|i1"}])", "<i2"});
  v.push_back({R"({"id": "zstd", "level": 1})", R"([{"id": "delta", "dtype": "|u1", "astype": "<i8"}])", "|u1"});
  v.push_back({R"({"id": "zlib", "level": 1})", R"([{"id": "delta", "dtype": "<f8", "astype": "<f8"}])", "<f8"});
  v.push_back({R"({"id": "zlib", "level": 1})", R"([{"id": "delta", "dtype": "<f4", "astype": "<f8"}])", "<f4"});
  v.push_back({R"({"id": "lz4"})", R"([{"id": "delta", "dtype": "<f4", "astype": "<i2"}])", "<f4"});
  v.push_back({R"({"id": "lz4"})", R"([{"id": "delta", "dtype": "<i2", "astype": "<f8"}])", "<i2"});
  v.push_back({R"({"id": "lz4"})", R"([{"id": "delta", "dtype": "<u8", "astype": "<u8"}])", "<u8"});
  v.push_back({"null", R"([{"id": "delta", "dtype": ">i4", "astype": ">i4"}])", ">i4"});
  v.push_back({R"({"id": "zlib", "level": 1})",
               R"([{"id": "delta", "dtype": "<i8", "astype": "<i4"}, {"id": "shuffle", "elementsize": 4}])", "<i8"});
  v.push_back({R"({"id": "zlib", "level": 1})",
               R"([{"id": "delta", "dtype": "|u1", "astype": "<i8"}, {"id": "shuffle", "elementsize": 8}])", "|u1"});
  // fixedscaleoffset: float64 to int16 then blosc, and the other arithmetic types.
  v.push_back({R"({"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0})",
               R"([{"id": "fixedscaleoffset", "offset": 280.5, "scale": 100, "dtype": "<f8", "astype": "<i2"}])", "<f8"});
  v.push_back({R"({"id": "zlib", "level": 1})",
               R"([{"id": "fixedscaleoffset", "offset": 1000, "scale": 10, "dtype": "<f8", "astype": "|u1"}])", "<f8"});
  v.push_back({R"({"id": "zlib", "level": 1})",
               R"([{"id": "fixedscaleoffset", "offset": 280.25, "scale": 3.3, "dtype": "<f4", "astype": "<f4"}])", "<f4"});
  v.push_back({R"({"id": "zlib", "level": 1})",
               R"([{"id": "fixedscaleoffset", "offset": 100000, "scale": 7, "dtype": "<f4", "astype": "<f4"}])", "<f4"});
  v.push_back({R"({"id": "zlib", "level": 1})",
               R"([{"id": "fixedscaleoffset", "offset": 0.1, "scale": 70000, "dtype": "<f8", "astype": "<f4"}])", "<f8"});
  v.push_back({R"({"id": "zlib", "level": 1})",
               R"([{"id": "fixedscaleoffset", "offset": -5, "scale": 1000, "dtype": "<f4", "astype": "<u4"}])", "<f4"});
  v.push_back({"null", R"([{"id": "fixedscaleoffset", "offset": 10, "scale": 2, "dtype": "<i4", "astype": "<i2"}])",
               "<i4"});
  v.push_back({R"({"id": "zstd", "level": 3})",
               R"([{"id": "fixedscaleoffset", "offset": 273.15, "scale": 50, "dtype": ">f8", "astype": ">i4"}, )"
               R"({"id": "shuffle", "elementsize": 4}])",
               ">f8"});
  v.push_back({R"({"id": "zlib", "level": 1})",
               R"([{"id": "fixedscaleoffset", "offset": 1.5, "scale": 4, "dtype": "<f8", "astype": "<i8"}, )"
               R"({"id": "delta", "dtype": "<i8", "astype": "<i2"}])",
               "<f8"});
  return v;
}

// Element counts: one, a SIMD tail, a few blocks, and a big chunk.
const std::vector<std::size_t> kCounts = {1, 17, 1000, 70001};

const char* kScript = R"(
import json, os, sys
import numpy as np, numcodecs
d = sys.argv[1]
cases = json.load(open(os.path.join(d, "cases.json")))
rng = np.random.default_rng(5)
for k, c in enumerate(cases):
    dt = np.dtype(c["dtype"])
    filters = [numcodecs.get_codec(f) for f in (c["filters"] or [])]
    comp = numcodecs.get_codec(c["compressor"]) if c["compressor"] else None
    for n in c["counts"]:
        if dt.kind == "f" or dt.kind == "c":
            x = 280 + 20 * np.sin(np.arange(n) / 50.0) + rng.normal(0, 0.5, n)
            if dt.kind == "c": x = x + 1j * rng.normal(0, 1, n)
        elif dt.kind in "iu":
            info = np.iinfo(dt)
            x = rng.integers(max(info.min, -100), min(info.max, 100), n, endpoint=True)
            x = np.cumsum(x) if dt.itemsize > 1 else x
        else:
            x = rng.integers(0, 10**12, n)
        raw = np.asarray(x).astype(dt)
        buf = raw
        for f in filters: buf = f.encode(buf)
        enc = comp.encode(buf) if comp else buf
        enc = np.ascontiguousarray(enc).view("u1").tobytes() if isinstance(enc, np.ndarray) else bytes(enc)
        dec = comp.decode(enc) if comp else enc
        for f in reversed(filters): dec = f.decode(dec)
        dec = np.ascontiguousarray(dec).view("u1").tobytes() if isinstance(dec, np.ndarray) else bytes(dec)
        dec = np.frombuffer(dec, dtype=dt)
        assert dec.size == n, (c, n, dec.size)
        native = dec.astype(dt.newbyteorder("="))
        stem = os.path.join(d, "%d_%d" % (k, n))
        open(stem + ".enc", "wb").write(enc)
        open(stem + ".dec", "wb").write(native.tobytes())
)";

std::size_t itemsize(const std::string& dtype) {
  std::size_t n = 0;
  for (std::size_t i = 2; i < dtype.size() && dtype[i] >= '0' && dtype[i] <= '9'; ++i) n = n * 10 + (dtype[i] - '0');
  return n;
}

TEST(DecodeChainNumcodecs, DecodesWhatNumcodecsEncodes) {
  const fs::path dir = fs::path(ZPMPI_TEST_TMP) / "decode_chain_numcodecs";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto all = cases();
  json::array list;
  for (const auto& c : all) {
    json::array counts;
    for (std::size_t n : kCounts) counts.push_back(n);
    list.push_back(json::object{{"compressor", json::parse(c.compressor)},
                                {"filters", json::parse(c.filters)},
                                {"dtype", c.dtype},
                                {"counts", counts}});
  }
  std::ofstream(dir / "cases.json") << json::serialize(list);
  ASSERT_EQ(zpmpi::testing::run_python(kScript, {dir.string()}), 0) << dir;

  DecodeScratch scratch;  // one scratch for every case, size and chain
  std::size_t checked = 0;
  for (std::size_t k = 0; k < all.size(); ++k) {
    const Case& c = all[k];
    auto chain = DecodeChain::from_zarr(json::parse(c.compressor), json::parse(c.filters), c.dtype);
    ASSERT_TRUE(chain.ok()) << c.compressor << " " << c.filters << ": " << chain.error().message;
    for (std::size_t n : kCounts) {
      const std::string stem = (dir / (std::to_string(k) + "_" + std::to_string(n))).string();
      const auto enc = read_file(stem + ".enc");
      const auto want = read_file(stem + ".dec");
      ASSERT_EQ(want.size(), n * itemsize(c.dtype)) << stem;
      std::vector<std::byte> got(want.size());
      const auto st = chain->decode(enc, got, scratch);
      ASSERT_TRUE(st.ok()) << chain->describe() << " n=" << n << ": " << st.error().message;
      EXPECT_TRUE(got == want) << chain->describe() << " dtype " << c.dtype << " n=" << n << " (" << stem << ")";
      ++checked;
    }
  }
  EXPECT_EQ(checked, all.size() * kCounts.size());
}

}  // namespace
}  // namespace zpmpi::codec
