// numcodecs.Shuffle: the bytes of `elementsize`-byte elements stored plane by plane, byte 0
// of every element first, then byte 1, ... For elementsize 4 and elements A B (bytes a0..a3,
// b0..b3) the stored bytes are a0 b0 a1 b1 a2 b2 a3 b3. An elementsize of 0 or 1 leaves
// the bytes as they are; a buffer that is not a whole number of elements is an error (as in
// numcodecs). Unshuffling runs in the hot path of every HDF5-style chunk (shuffle + zlib),
// so the common sizes 2, 4 and 8 interleave 16 elements at a time with SSE2 unpacks.
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "decode_step.hpp"

namespace zpmpi::codec {
namespace {

/// The plain loop; also the tail of the SSE2 ones, from element `from` on.
void unshuffle_scalar(const std::byte* in, std::byte* out, std::size_t n, std::size_t es, std::size_t from) {
  for (std::size_t j = 0; j < es; ++j) {
    const std::byte* plane = in + j * n;
    for (std::size_t i = from; i < n; ++i) out[i * es + j] = plane[i];
  }
}

#if defined(__SSE2__)
inline __m128i load(const std::byte* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline void store(std::byte* p, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }

void unshuffle2(const std::byte* in, std::byte* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i a = load(in + i), b = load(in + n + i);
    store(out + 2 * i, _mm_unpacklo_epi8(a, b));
    store(out + 2 * i + 16, _mm_unpackhi_epi8(a, b));
  }
  unshuffle_scalar(in, out, n, 2, i);
}

void unshuffle4(const std::byte* in, std::byte* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i a = load(in + i), b = load(in + n + i), c = load(in + 2 * n + i), d = load(in + 3 * n + i);
    const __m128i ab_lo = _mm_unpacklo_epi8(a, b), ab_hi = _mm_unpackhi_epi8(a, b);
    const __m128i cd_lo = _mm_unpacklo_epi8(c, d), cd_hi = _mm_unpackhi_epi8(c, d);
    std::byte* o = out + 4 * i;
    store(o, _mm_unpacklo_epi16(ab_lo, cd_lo));
    store(o + 16, _mm_unpackhi_epi16(ab_lo, cd_lo));
    store(o + 32, _mm_unpacklo_epi16(ab_hi, cd_hi));
    store(o + 48, _mm_unpackhi_epi16(ab_hi, cd_hi));
  }
  unshuffle_scalar(in, out, n, 4, i);
}

void unshuffle8(const std::byte* in, std::byte* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i p[8];
    for (int j = 0; j < 8; ++j) p[j] = load(in + j * n + i);
    // bytes of planes (0,1) (2,3) (4,5) (6,7) paired, then pairs of pairs, then quads.
    __m128i q[8], r[8];
    for (int j = 0; j < 4; ++j) {
      q[2 * j] = _mm_unpacklo_epi8(p[2 * j], p[2 * j + 1]);      // elements 0..7
      q[2 * j + 1] = _mm_unpackhi_epi8(p[2 * j], p[2 * j + 1]);  // elements 8..15
    }
    for (int h = 0; h < 2; ++h) {  // h: elements 0..7 or 8..15
      r[4 * h + 0] = _mm_unpacklo_epi16(q[h], q[2 + h]);  // bytes 0-3 of elements 0..3 (+8h)
      r[4 * h + 1] = _mm_unpackhi_epi16(q[h], q[2 + h]);  // bytes 0-3 of elements 4..7
      r[4 * h + 2] = _mm_unpacklo_epi16(q[4 + h], q[6 + h]);  // bytes 4-7 of elements 0..3
      r[4 * h + 3] = _mm_unpackhi_epi16(q[4 + h], q[6 + h]);  // bytes 4-7 of elements 4..7
    }
    std::byte* o = out + 8 * i;
    for (int h = 0; h < 2; ++h) {
      store(o + 64 * h + 0, _mm_unpacklo_epi32(r[4 * h], r[4 * h + 2]));
      store(o + 64 * h + 16, _mm_unpackhi_epi32(r[4 * h], r[4 * h + 2]));
      store(o + 64 * h + 32, _mm_unpacklo_epi32(r[4 * h + 1], r[4 * h + 3]));
      store(o + 64 * h + 48, _mm_unpackhi_epi32(r[4 * h + 1], r[4 * h + 3]));
    }
  }
  unshuffle_scalar(in, out, n, 8, i);
}
#endif

class ShuffleStep final : public DecodeStep {
 public:
  explicit ShuffleStep(std::size_t elementsize) : es_(elementsize) {}
  std::string describe() const override { return "shuffle(" + std::to_string(es_) + ")"; }

  Status run(std::span<const std::byte> in, std::span<std::byte> out, DecodeScratch::State&) const override {
    if (in.size() % es_ != 0)
      return runtime_error("shuffle: " + std::to_string(in.size()) + " bytes are not a whole number of " +
                           std::to_string(es_) + "-byte elements");
    unshuffle(in, out, es_);
    return {};
  }

 private:
  std::size_t es_;
};

}  // namespace

void unshuffle(std::span<const std::byte> in, std::span<std::byte> out, std::size_t es) {
  const std::size_t n = in.size() / es;
#if defined(__SSE2__)
  switch (es) {
    case 2: return unshuffle2(in.data(), out.data(), n);
    case 4: return unshuffle4(in.data(), out.data(), n);
    case 8: return unshuffle8(in.data(), out.data(), n);
    default: break;
  }
#endif
  unshuffle_scalar(in.data(), out.data(), n, es, 0);
}

Result<StepPtr> make_shuffle_step(const boost::json::object& config) {
  ZPMPI_ASSIGN_OR_RETURN(const long long es, int_field(config, "elementsize", 4));
  if (es < 1) return usage_error("elementsize: must be a positive integer, got " + std::to_string(es));
  if (es == 1) return StepPtr();  // nothing to undo (numcodecs copies the bytes)
  return StepPtr(std::make_unique<ShuffleStep>(static_cast<std::size_t>(es)));
}

}  // namespace zpmpi::codec
