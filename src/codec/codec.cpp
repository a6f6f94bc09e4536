// make_codec and each codec's published size bound.
#include "zpmpi/codec/codec.hpp"

#include "codecs.hpp"

namespace zpmpi::codec {

std::unique_ptr<Codec> make_codec(const CodecSpec& spec) {
  switch (spec.id) {
    case CodecId::kZstd: return make_zstd_codec(spec.level);
    case CodecId::kLz4: return make_lz4_codec(spec.acceleration);
    case CodecId::kGzip: return make_gzip_codec(spec.level);
    case CodecId::kBlosc: return make_blosc_codec(spec.cname, spec.clevel, spec.shuffle);
    case CodecId::kNone: break;
  }
  return make_raw_codec();
}

namespace {
std::uint64_t raw_encoded_size_bound(std::uint64_t raw_size) { return raw_size; }
}  // namespace

EncodedSizeBound encoded_size_bound(CodecId id) {
  switch (id) {
    case CodecId::kZstd: return &zstd_encoded_size_bound;
    case CodecId::kLz4: return &lz4_encoded_size_bound;
    case CodecId::kGzip: return &gzip_encoded_size_bound;
    case CodecId::kBlosc: return &blosc_encoded_size_bound;
    case CodecId::kNone: break;
  }
  return &raw_encoded_size_bound;
}

}  // namespace zpmpi::codec
