// DecodeChain without Python: worked byte examples, exact error messages for bad codec
// JSON and for corrupt, truncated or mis-sized chunks, the scratch budget (at most one
// chunk-sized intermediate), a scratch reused across sizes and chains, and many threads
// sharing one chain.
#include "zpmpi/codec/decode_chain.hpp"

#include <blosc.h>
#include <libdeflate.h>
#include <zstd.h>

#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "codec_test_util.hpp"
#include "zpmpi/codec/codec.hpp"

namespace zpmpi::codec {
namespace {

namespace json = boost::json;
using Bytes = std::vector<std::byte>;

DecodeChain chain_of(const char* compressor, const char* filters, const char* dtype) {
  auto c = DecodeChain::from_zarr(json::parse(compressor), json::parse(filters), dtype);
  EXPECT_TRUE(c.ok()) << compressor << " " << filters << " " << dtype << ": " << (c.ok() ? "" : c.error().message);
  return c.ok() ? std::move(c).value() : DecodeChain();
}

/// The error from_zarr gives (empty if it succeeds).
std::string build_error(const char* compressor, const char* filters, const char* dtype) {
  auto c = DecodeChain::from_zarr(json::parse(compressor), json::parse(filters), dtype);
  if (c.ok()) return "";
  EXPECT_EQ(c.error().code, ExitCode::kUsage);
  return c.error().message;
}

/// The error decode gives for `stored` into `out_size` bytes (empty if it succeeds).
std::string decode_error(const DecodeChain& chain, const Bytes& stored, std::size_t out_size) {
  DecodeScratch scratch;
  Bytes out(out_size);
  auto st = chain.decode(stored, out, scratch);
  if (st.ok()) return "";
  EXPECT_EQ(st.error().code, ExitCode::kRuntime);
  return st.error().message;
}

Bytes decoded(const DecodeChain& chain, const Bytes& stored, std::size_t out_size, DecodeScratch& scratch) {
  Bytes out(out_size);
  auto st = chain.decode(stored, out, scratch);
  EXPECT_TRUE(st.ok()) << chain.describe() << ": " << st.error().message;
  return out;
}

Bytes deflate(const Bytes& raw, bool gzip, int level = 1) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  Bytes out(libdeflate_zlib_compress_bound(c, raw.size()) + 32);
  const std::size_t n = gzip ? libdeflate_gzip_compress(c, raw.data(), raw.size(), out.data(), out.size())
                             : libdeflate_zlib_compress(c, raw.data(), raw.size(), out.data(), out.size());
  libdeflate_free_compressor(c);
  out.resize(n);
  return out;
}

Bytes zstd(const Bytes& raw) {
  Bytes out(ZSTD_compressBound(raw.size()));
  out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1));
  return out;
}

Bytes lz4(const Bytes& raw) { return testing::encode(*make_codec({CodecId::kLz4, 1, 1}), raw); }

Bytes blosc(const Bytes& raw, std::size_t typesize) {
  Bytes out(raw.size() + BLOSC_MAX_OVERHEAD);
  const int n = blosc_compress_ctx(5, 1, typesize, raw.size(), raw.data(), out.data(), out.size(), "lz4", 0, 1);
  EXPECT_GT(n, 0);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// numcodecs.Shuffle's encoding, for building test chunks.
Bytes shuffled(const Bytes& raw, std::size_t es) {
  const std::size_t n = raw.size() / es;
  Bytes out(raw.size());
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < es; ++j) out[j * n + i] = raw[i * es + j];
  return out;
}

Bytes swapped(const Bytes& raw, std::size_t es) {
  Bytes out(raw.size());
  for (std::size_t i = 0; i < raw.size(); i += es)
    for (std::size_t j = 0; j < es; ++j) out[i + j] = raw[i + es - 1 - j];
  return out;
}

template <class T>
std::vector<T> as(const Bytes& b) {
  std::vector<T> v(b.size() / sizeof(T));
  std::memcpy(v.data(), b.data(), v.size() * sizeof(T));
  return v;
}

// --- worked examples -------------------------------------------------------------------

TEST(DecodeChain, NoCodecIsACopy) {
  const DecodeChain c = chain_of("null", "null", "<f4");
  EXPECT_TRUE(c.is_identity());
  EXPECT_EQ(c.describe(), "none");
  DecodeScratch s;
  const Bytes raw = testing::sample(16);
  EXPECT_EQ(decoded(c, raw, 16, s), raw);
  EXPECT_EQ(s.capacity(), 0u);
  EXPECT_EQ(decode_error(c, testing::sample(10), 16), "stored chunk has 10 bytes, expected 16");
  // An empty filter list and a no-op shuffle are the identity too.
  EXPECT_TRUE(chain_of("null", "[]", "|u1").is_identity());
  EXPECT_TRUE(chain_of("null", R"([{"id": "shuffle", "elementsize": 1}])", "<i4").is_identity());
}

TEST(DecodeChain, DescribesStepsInDecodingOrder) {
  EXPECT_EQ(chain_of(R"({"id": "zlib", "level": 1})", R"([{"id": "shuffle", "elementsize": 4}])", ">f4").describe(),
            "zlib(level=1) <- shuffle(4) <- byteswap(4)");
  EXPECT_FALSE(chain_of("null", "null", ">f4").is_identity());
  EXPECT_TRUE(chain_of("null", "null", "|i1").is_identity());
  EXPECT_EQ(chain_of(R"({"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2, "blocksize": 0})", "null", "<f8")
                .describe(),
            "blosc(cname=zstd, clevel=3, shuffle=2)");
  EXPECT_EQ(chain_of("null", R"([{"id": "delta", "dtype": "<i2", "astype": "|i1"}])", "<i2").describe(),
            "delta(dtype=<i2, astype=|i1)");
  EXPECT_EQ(chain_of("null", R"([{"id": "fixedscaleoffset", "offset": 273.15, "scale": 100, "dtype": "<f8", )"
                             R"("astype": "<i2"}])",
                     "<f8")
                .describe(),
            "fixedscaleoffset(offset=273.15, scale=100, dtype=<f8, astype=<i2)");
}

TEST(DecodeChain, UnshufflesPlaneByPlane) {
  // Elements A = a0 a1 a2 a3 and B = b0 b1 b2 b3 are stored a0 b0 a1 b1 a2 b2 a3 b3.
  const DecodeChain c = chain_of("null", R"([{"id": "shuffle", "elementsize": 4}])", "<u4");
  DecodeScratch s;
  EXPECT_EQ(decoded(c, testing::bytes_of("a0b0a1b1a2b2a3b3"), 8, s), testing::bytes_of("a0a1a2a3b0b1b2b3"));
  EXPECT_EQ(decode_error(chain_of("null", R"([{"id": "shuffle", "elementsize": 4}])", "|u1"),
                         testing::sample(10), 10),
            "shuffle: 10 bytes are not a whole number of 4-byte elements");
  // Every element size and a count that leaves a tail after the 16-element blocks.
  for (std::size_t es : {2, 3, 4, 5, 8, 16}) {
    const Bytes raw = testing::sample(es * 37);
    const std::string f = R"([{"id": "shuffle", "elementsize": )" + std::to_string(es) + "}]";
    const DecodeChain sc = chain_of("null", f.c_str(), "|u1");
    EXPECT_EQ(decoded(sc, shuffled(raw, es), raw.size(), s), raw) << es;
  }
}

TEST(DecodeChain, BigEndianDtypesLandInNativeOrder) {
  DecodeScratch s;
  EXPECT_EQ(as<float>(decoded(chain_of("null", "null", ">f4"), testing::bytes_of("3f800000c0000000"), 8, s)),
            (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(as<std::int16_t>(decoded(chain_of("null", "null", ">i2"), testing::bytes_of("0102fffe"), 4, s)),
            (std::vector<std::int16_t>{0x0102, -2}));
  EXPECT_EQ(as<double>(decoded(chain_of(R"({"id": "zlib", "level": 1})", "null", ">f8"),
                               deflate(testing::bytes_of("3ff0000000000000"), false), 8, s)),
            (std::vector<double>{1.0}));
  // Complex numbers swap each part: ">c8" is two big-endian float32s.
  EXPECT_EQ(as<float>(decoded(chain_of("null", "null", ">c8"), testing::bytes_of("3f80000040000000"), 8, s)),
            (std::vector<float>{1.0f, 2.0f}));
  const Bytes raw = testing::sample(4 * 1001);
  EXPECT_EQ(decoded(chain_of(R"({"id": "zstd", "level": 1})", R"([{"id": "shuffle", "elementsize": 4}])", ">u4"),
                    zstd(shuffled(swapped(raw, 4), 4)), raw.size(), s),
            raw);
}

TEST(DecodeChain, DeltaIsACumulativeSum) {
  DecodeScratch s;
  // Delta(dtype="<i2", astype="|i1"): 64 02 02 -> 100 102 104.
  EXPECT_EQ(as<std::int16_t>(decoded(chain_of("null", R"([{"id": "delta", "dtype": "<i2", "astype": "|i1"}])", "<i2"),
                                     testing::bytes_of("640202"), 6, s)),
            (std::vector<std::int16_t>{100, 102, 104}));
  // Integer sums wrap in the promoted type and are cast to dtype: u1 with i8 steps.
  EXPECT_EQ(as<std::uint8_t>(decoded(chain_of("null", R"([{"id": "delta", "dtype": "|u1", "astype": "<i8"}])", "|u1"),
                                     testing::bytes_of("c800000000000000" "6400000000000000"), 2, s)),
            (std::vector<std::uint8_t>{200, 44}));
  // A float astype sums in float64, each partial sum truncated: 0.6 steps -> 0 1 1.
  Bytes steps(24);
  for (int i = 0; i < 3; ++i) {
    const double v = 0.6;
    std::memcpy(steps.data() + 8 * i, &v, 8);
  }
  EXPECT_EQ(as<std::int16_t>(decoded(chain_of("null", R"([{"id": "delta", "dtype": "<i2", "astype": "<f8"}])", "<i2"),
                                     steps, 6, s)),
            (std::vector<std::int16_t>{0, 1, 1}));
  EXPECT_EQ(decode_error(chain_of("null", R"([{"id": "delta", "dtype": "<i2", "astype": "|i1"}])", "<i2"),
                         testing::bytes_of("6402"), 6),
            "stored chunk has 2 bytes, expected 3");
}

TEST(DecodeChain, FixedScaleOffsetDividesAndAdds) {
  DecodeScratch s;
  // FixedScaleOffset(offset=1000, scale=10, dtype="<f8", astype="|u1"): 00 01 0a -> 1000 1000.1 1001.
  const auto got = as<double>(decoded(
      chain_of("null", R"([{"id": "fixedscaleoffset", "offset": 1000, "scale": 10, "dtype": "<f8", "astype": "|u1"}])",
               "<f8"),
      testing::bytes_of("00010a"), 24, s));
  EXPECT_EQ(got, (std::vector<double>{1000.0, 1000.0 + 1 / 10.0, 1001.0}));
  // float32 arithmetic for a float32 astype and small scalars: 1/3 rounds in float32.
  const float third = 1.0f;
  Bytes one(4);
  std::memcpy(one.data(), &third, 4);
  const auto f = as<float>(decoded(
      chain_of("null", R"([{"id": "fixedscaleoffset", "offset": 0, "scale": 3, "dtype": "<f4", "astype": "<f4"}])",
               "<f4"),
      one, 4, s));
  EXPECT_EQ(f[0], 1.0f / 3.0f);
}

// --- parameter errors ------------------------------------------------------------------

TEST(DecodeChainErrors, UnknownCodecNamesItAndTheSupportedOnes) {
  EXPECT_EQ(build_error(R"({"id": "bz2", "level": 9})", "null", "<f4"),
            "compressor: unknown codec 'bz2' (supported: zlib, gzip, zstd, lz4, blosc, shuffle, delta, "
            "fixedscaleoffset)");
  EXPECT_EQ(build_error("null", R"([{"id": "shuffle"}, {"id": "quantize", "digits": 3}])", "<f4"),
            "filters[1]: unknown codec 'quantize' (supported: zlib, gzip, zstd, lz4, blosc, shuffle, delta, "
            "fixedscaleoffset)");
}

TEST(DecodeChainErrors, BadParametersNameTheField) {
  EXPECT_EQ(build_error("null", R"([{"id": "shuffle", "elementsize": 0}])", "<f4"),
            "filters[0]: codec shuffle: elementsize: must be a positive integer, got 0");
  EXPECT_EQ(build_error("null", R"([{"id": "shuffle", "elementsize": 4.5}])", "<f4"),
            "filters[0]: codec shuffle: elementsize: must be an integer");
  EXPECT_EQ(build_error(R"({"id": "zlib", "level": "fast"})", "null", "<f4"),
            "compressor: codec zlib: level: must be an integer");
  EXPECT_EQ(build_error(R"({"id": "gzip", "level": 12})", "null", "<f4"),
            "compressor: codec gzip: level: must be an integer from -1 to 9, got 12");
  EXPECT_EQ(build_error(R"({"id": "blosc", "cname": "brotli"})", "null", "<f4"),
            "compressor: codec blosc: cname: must be one of blosclz, lz4, lz4hc, snappy, zlib, zstd");
  EXPECT_EQ(build_error(R"({"id": "blosc", "shuffle": 3})", "null", "<f4"),
            "compressor: codec blosc: shuffle: must be -1 (auto), 0 (none), 1 (byte) or 2 (bit), got 3");
  EXPECT_EQ(build_error("null", R"([{"id": "delta"}])", "<i4"),
            "filters[0]: codec delta: dtype: must be a dtype string such as \"<i4\"");
  EXPECT_EQ(build_error("null", R"([{"id": "fixedscaleoffset", "offset": 0, "dtype": "<f8"}])", "<f8"),
            "filters[0]: codec fixedscaleoffset: scale: missing (a number is required)");
  EXPECT_EQ(build_error("null", R"([{"id": "fixedscaleoffset", "offset": "0", "scale": 1, "dtype": "<f8"}])", "<f8"),
            "filters[0]: codec fixedscaleoffset: offset: must be a number");
  EXPECT_EQ(build_error("null", R"([{"level": 1}])", "<f4"),
            "filters[0]: id: missing (a codec object needs a string \"id\")");
  EXPECT_EQ(build_error("null", R"({"id": "shuffle"})", "<f4"), "filters: must be a list of codec objects or null");
  EXPECT_EQ(build_error("null", "[3]", "<f4"), "filters[0]: must be an object with an \"id\"");
}

TEST(DecodeChainErrors, NonNumericDtypesAreRefused) {
  const std::string filter_types = " (supported: i1 i2 i4 i8 u1 u2 u4 u8 f4 f8, with byte order < > or |)";
  EXPECT_EQ(build_error("null", R"([{"id": "delta", "dtype": "|O"}])", "<i4"),
            "filters[0]: codec delta: dtype: unsupported dtype '|O'" + filter_types);
  EXPECT_EQ(build_error("null", R"([{"id": "delta", "dtype": "<i4", "astype": "<U4"}])", "<i4"),
            "filters[0]: codec delta: astype: unsupported dtype '<U4'" + filter_types);
  EXPECT_EQ(build_error("null", R"([{"id": "fixedscaleoffset", "offset": 0, "scale": 1, "dtype": "<f2"}])", "<f2"),
            "filters[0]: codec fixedscaleoffset: dtype: unsupported dtype '<f2'" + filter_types);
  const std::string array_types = " (supported: numeric b1, i1-i8, u1-u8, f2, f4, f8, c8, c16, M8, m8)";
  EXPECT_EQ(build_error("null", "null", "<U4"), "dtype: unsupported dtype '<U4'" + array_types);
  EXPECT_EQ(build_error("null", "null", "|O"), "dtype: unsupported dtype '|O'" + array_types);
  EXPECT_EQ(build_error("null", "null", "|f4"), "dtype: unsupported dtype '|f4'" + array_types);
  EXPECT_EQ(build_error("null", "null", "<i3"), "dtype: unsupported dtype '<i3'" + array_types);
}

TEST(DecodeChainErrors, OnlyTheLastCodecAppliedMayCompress) {
  EXPECT_EQ(build_error(R"({"id": "zstd", "level": 1})", R"([{"id": "zlib", "level": 1}])", "<f4"),
            "filters[0]: codec zlib(level=1) compresses, but only the last codec applied (the compressor, or the "
            "last filter when the compressor is null) may: its decoded size would be unknown");
  // The HDF5 layout (shuffle then zlib as filters, compressor null) is fine.
  EXPECT_EQ(build_error("null", R"([{"id": "shuffle", "elementsize": 4}, {"id": "zlib", "level": 4}])", "<f4"), "");
}

// --- corrupt, truncated and mis-sized chunks ----------------------------------------------

struct Compressed {
  const char* json;
  Bytes stored;
};

TEST(DecodeChainErrors, TruncatedChunksAreErrors) {
  const Bytes raw = testing::sample(4096);
  const std::vector<std::pair<Compressed, std::string>> cases = {
      {{R"({"id": "zlib", "level": 1})", deflate(raw, false)}, "zlib: corrupt or truncated data"},
      {{R"({"id": "gzip", "level": 1})", deflate(raw, true)}, "gzip: corrupt or truncated data"},
      {{R"({"id": "zstd", "level": 1})", zstd(raw)}, "zstd: corrupt or truncated data (Src size is incorrect)"},
      {{R"({"id": "lz4"})", lz4(raw)}, "lz4: corrupt or truncated data"},
      {{R"({"id": "blosc"})", blosc(raw, 4)}, "blosc: corrupt or truncated data (bad header)"},
  };
  for (const auto& [c, message] : cases) {
    const DecodeChain chain = chain_of(c.json, "null", "<f4");
    EXPECT_EQ(decode_error(chain, c.stored, raw.size()), "") << c.json;
    Bytes cut(c.stored.begin(), c.stored.begin() + c.stored.size() / 2);
    EXPECT_EQ(decode_error(chain, cut, raw.size()), message) << c.json;
  }
  EXPECT_EQ(decode_error(chain_of(R"({"id": "lz4"})", "null", "<f4"), testing::bytes_of("1000"), 16),
            "lz4: input shorter than its 4-byte header");
  EXPECT_EQ(decode_error(chain_of(R"({"id": "blosc"})", "null", "<f4"), testing::bytes_of("0201"), 16),
            "blosc: input shorter than its 16-byte header");
  EXPECT_EQ(decode_error(chain_of(R"({"id": "zstd"})", "null", "<f4"), testing::bytes_of("00112233"), 16),
            "zstd: not a zstd frame");
}

TEST(DecodeChainErrors, CorruptChecksummedStreamsAreErrors) {
  const Bytes raw = testing::sample(4096);
  for (const bool gzip : {false, true}) {
    const DecodeChain chain = chain_of(gzip ? R"({"id": "gzip"})" : R"({"id": "zlib"})", "null", "<f4");
    Bytes bad = deflate(raw, gzip);
    // A flipped bit in the deflate data (but its last byte, whose high bits may be padding)
    // or in the trailer (Adler-32; CRC-32 and size) is caught. gzip's header bytes 4-9
    // (time, flags, OS) are ignored by every reader, so they are not flipped here.
    const std::size_t header = gzip ? 10 : 2, trailer = gzip ? 8 : 4;
    std::vector<std::size_t> where;
    for (std::size_t i = header; i + trailer + 1 < bad.size(); i += 7) where.push_back(i);
    for (std::size_t i = bad.size() - trailer; i < bad.size(); ++i) where.push_back(i);
    for (const std::size_t i : where) {
      bad[i] ^= std::byte{0x20};
      const std::string e = decode_error(chain, bad, raw.size());
      EXPECT_TRUE(e == (gzip ? "gzip: corrupt or truncated data" : "zlib: corrupt or truncated data") ||
                  e.find("decoded") != std::string::npos)
          << "byte " << i << " of " << bad.size() << ": '" << e << "'";
      bad[i] ^= std::byte{0x20};
    }
  }
}

TEST(DecodeChainErrors, MisSizedChunksAreErrors) {
  const Bytes raw = testing::sample(4096);
  const DecodeChain z = chain_of(R"({"id": "zlib", "level": 1})", "null", "<f4");
  EXPECT_EQ(decode_error(z, deflate(raw, false), 4100), "zlib: decoded 4096 bytes, expected 4100");
  EXPECT_EQ(decode_error(z, deflate(raw, false), 4092), "zlib: decoded more than the expected 4092 bytes");
  const DecodeChain g = chain_of(R"({"id": "gzip", "level": 1})", "null", "<f4");
  EXPECT_EQ(decode_error(g, deflate(raw, true), 4100), "gzip: decoded 4096 bytes, expected 4100");
  EXPECT_EQ(decode_error(chain_of(R"({"id": "zstd"})", "null", "<f4"), zstd(raw), 4100),
            "zstd: frame holds 4096 bytes, expected 4100");
  EXPECT_EQ(decode_error(chain_of(R"({"id": "lz4"})", "null", "<f4"), lz4(raw), 4100),
            "lz4: header says 4096 bytes, expected 4100");
  EXPECT_EQ(decode_error(chain_of(R"({"id": "blosc"})", "null", "<f4"), blosc(raw, 4), 4100),
            "blosc: header says 4096 bytes, expected 4100");
  // Behind a filter the compressor's size comes from the filter: delta <i4 from |i1.
  const DecodeChain d = chain_of(R"({"id": "zlib"})", R"([{"id": "delta", "dtype": "<i4", "astype": "|i1"}])", "<i4");
  EXPECT_EQ(decode_error(d, deflate(testing::sample(1000), false), 4004), "zlib: decoded 1000 bytes, expected 1001");
  EXPECT_EQ(decode_error(d, deflate(testing::sample(1000), false), 4002),
            "delta(dtype=<i4, astype=|i1): 4002 bytes are not a whole number of 4-byte elements");
}

TEST(DecodeChain, GzipReadsConcatenatedMembersAndZeroPadding) {
  const Bytes a = testing::sample(3000), b = testing::noise(1000);
  Bytes stored = deflate(a, true);
  const Bytes second = deflate(b, true);
  stored.insert(stored.end(), second.begin(), second.end());
  stored.insert(stored.end(), 8, std::byte{0});
  Bytes both = a;
  both.insert(both.end(), b.begin(), b.end());
  const DecodeChain g = chain_of(R"({"id": "gzip", "level": 1})", "null", "|u1");
  DecodeScratch s;
  EXPECT_EQ(decoded(g, stored, both.size(), s), both);
  stored.push_back(std::byte{0x42});  // not padding, not a member
  EXPECT_EQ(decode_error(g, stored, both.size()), "gzip: corrupt or truncated data");
}

TEST(DecodeChain, ZlibIgnoresBytesAfterTheStreamAsPythonDoes) {
  const Bytes raw = testing::sample(5000);
  Bytes stored = deflate(raw, false);
  stored.insert(stored.end(), {std::byte{0x42}, std::byte{0x00}, std::byte{0x17}});
  DecodeScratch s;
  EXPECT_EQ(decoded(chain_of(R"({"id": "zlib", "level": 1})", "null", "|u1"), stored, raw.size(), s), raw);
}

// --- memory and threads ----------------------------------------------------------------

TEST(DecodeChain, UsesAtMostOneChunkSizedScratchBuffer) {
  const std::size_t n = 64 * 1024;
  const Bytes raw = testing::sample(n);
  struct Case {
    const char* compressor;
    const char* filters;
    const char* dtype;
    Bytes stored;
    std::size_t scratch;  ///< bytes the scratch must hold afterwards
  };
  std::vector<Case> cases = {
      // A compressor alone inflates straight into `out`.
      {R"({"id": "zlib"})", "null", "<f4", deflate(raw, false), 0},
      // shuffle cannot run in place: one chunk-sized intermediate.
      {R"({"id": "zlib"})", R"([{"id": "shuffle", "elementsize": 4}])", "<f4", deflate(shuffled(raw, 4), false), n},
      {"null", R"([{"id": "shuffle", "elementsize": 4}, {"id": "zlib"}])", ">f4",
       deflate(shuffled(swapped(raw, 4), 4), false), n},
      // delta and a byte swap run in place in `out`.
      {R"({"id": "zstd"})", R"([{"id": "delta", "dtype": ">i4"}])", ">i4", zstd(raw), 0},
      // fixedscaleoffset f8 <- i2: the i2 data (a quarter) inflates into `out`, widened in place.
      {R"({"id": "blosc"})", R"([{"id": "fixedscaleoffset", "offset": 1, "scale": 10, "dtype": "<f8", "astype": "<i2"}])",
       "<f8", blosc(Bytes(raw.begin(), raw.begin() + n / 4), 2), 0},
      // Widening filters: u1 stored as i8 steps, then shuffled, 8x the chunk twice over
      // (the inflated bytes and the unshuffled ones, neither fits in `out`).
      {R"({"id": "zlib"})", R"([{"id": "delta", "dtype": "|u1", "astype": "<i8"}, {"id": "shuffle", "elementsize": 8}])",
       "|u1", deflate(shuffled(Bytes(8 * n), 8), false), 16 * n},
  };
  for (const auto& c : cases) {
    DecodeScratch s;
    const DecodeChain chain = chain_of(c.compressor, c.filters, c.dtype);
    Bytes out(n);
    ASSERT_TRUE(chain.decode(c.stored, out, s).ok()) << chain.describe();
    EXPECT_EQ(s.capacity(), c.scratch) << chain.describe();
  }
}

TEST(DecodeChain, ScratchIsReusedAcrossChunkSizesAndChains) {
  const DecodeChain shuf = chain_of(R"({"id": "zlib"})", R"([{"id": "shuffle", "elementsize": 8}])", "<f8");
  const DecodeChain blo = chain_of(R"({"id": "blosc"})", "null", "<f8");
  DecodeScratch s;
  std::size_t largest = 0;
  for (std::size_t n : {8 * 20000, 8 * 3, 8 * 50001, 8 * 1000, 8 * 50001, 0}) {
    const Bytes raw = testing::noise(n);
    EXPECT_EQ(decoded(shuf, deflate(shuffled(raw, 8), false), n, s), raw) << n;
    EXPECT_EQ(decoded(blo, blosc(raw, 8), n, s), raw) << n;
    largest = std::max(largest, n);
    EXPECT_EQ(s.capacity(), largest) << n;  // grows to the largest chunk, never beyond
  }
}

TEST(DecodeChain, OneChainDecodesOnManyThreads) {
  const DecodeChain chain =
      chain_of("null", R"([{"id": "delta", "dtype": "<i4"}, {"id": "shuffle", "elementsize": 4}, {"id": "zlib"}])",
               "<i4");
  const std::size_t kChunks = 24;
  std::vector<Bytes> raw(kChunks), stored(kChunks);
  for (std::size_t k = 0; k < kChunks; ++k) {
    std::mt19937 rng(static_cast<unsigned>(k));
    std::vector<std::int32_t> v(1000 + 997 * k), d(v.size());
    for (auto& x : v) x = static_cast<std::int32_t>(rng() % 100000);
    for (std::size_t i = 0; i < v.size(); ++i) d[i] = i ? v[i] - v[i - 1] : v[0];
    raw[k].resize(v.size() * 4);
    std::memcpy(raw[k].data(), v.data(), raw[k].size());
    Bytes enc(d.size() * 4);
    std::memcpy(enc.data(), d.data(), enc.size());
    stored[k] = deflate(shuffled(enc, 4), false);
  }
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      DecodeScratch s;
      for (int round = 0; round < 5; ++round)
        for (std::size_t k = 0; k < kChunks; ++k) {
          const std::size_t c = (k + static_cast<std::size_t>(t)) % kChunks;  // threads start apart
          Bytes out(raw[c].size());
          if (!chain.decode(stored[c], out, s).ok() || out != raw[c]) ++wrong[t];
        }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, (std::vector<int>(4, 0)));
}

}  // namespace
}  // namespace zpmpi::codec
