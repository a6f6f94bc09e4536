// The steps a DecodeChain is made of (internal to src/codec). Each undoes one numcodecs
// codec, or the final swap to native byte order. A step is immutable and shared by every
// thread; per-thread state (decompressor contexts) lives in DecodeScratch::State.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "zpmpi/codec/decode_chain.hpp"
#include "zpmpi/model/dtype.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::codec {

/// A numeric dtype as a filter names it: "<i2", ">f8", "|u1" (NumPy typestr; a missing
/// order char means native, as numpy.dtype("i2") does).
struct ElementType {
  model::DType type = model::DType::u1;
  bool big_endian = false;  ///< stored most significant byte first (">" typestr)
  std::size_t size() const { return model::dtype_size(type); }
  bool operator==(const ElementType&) const = default;
};

/// Parses a numeric typestr of kind i, u or f and size 1, 2, 4 or 8 (f: 4 or 8).
/// Errors name the string: "unsupported dtype '<U4' (numeric: <i1 ... <f8)".
Result<ElementType> parse_element_type(std::string_view typestr);
/// A filter's "dtype" and optional "astype" fields (astype missing or null = dtype), as
/// delta and fixedscaleoffset take them. Errors name the field; `example` ("<i4") shows
/// what a valid value looks like.
struct DtypeAndAstype {
  ElementType dtype, astype;
};
Result<DtypeAndAstype> dtype_and_astype(const boost::json::object& config, std::string_view example);
/// "<f4" / ">i2" / "|u1" spelling of `t`.
std::string element_type_name(const ElementType& t);

/// How a step's input size follows from its output size: in = out / out_unit * in_unit.
/// Compressors have no such relation (their input is the stored chunk).
struct SizeRelation {
  std::size_t in_unit = 1;
  std::size_t out_unit = 1;
};

class DecodeStep {
 public:
  virtual ~DecodeStep() = default;
  /// "zlib(level=1)", "shuffle(4)", ...
  virtual std::string describe() const = 0;
  /// True for a compressor: the input is a compressed stream whose decoded size is the
  /// output span's size. Only the first decoding step may be one (its input is the stored
  /// chunk as read).
  virtual bool compresses() const { return false; }
  /// For filters: the input size of an output size.
  virtual SizeRelation sizes() const { return {}; }
  /// True when run() may be given `in` and `out` starting at the same address (an
  /// element-wise filter picks its direction so that no input is overwritten before read).
  virtual bool in_place() const { return false; }
  /// Decodes `in` into `out` (exactly the decoded size). `in` and `out` either do not
  /// overlap or, when in_place(), start at the same address.
  virtual Status run(std::span<const std::byte> in, std::span<std::byte> out, DecodeScratch::State& scratch) const = 0;
};

using StepPtr = std::unique_ptr<const DecodeStep>;

// Factories, one file each. `config` is the codec's JSON object; errors name the field
// ("level: must be an integer") and the caller prefixes "codec <id>: ".
Result<StepPtr> make_zlib_step(const boost::json::object& config);   // inflate.cpp
Result<StepPtr> make_gzip_step(const boost::json::object& config);   // inflate.cpp
Result<StepPtr> make_zstd_step(const boost::json::object& config);   // zstd_decode.cpp
Result<StepPtr> make_lz4_step(const boost::json::object& config);    // lz4_decode.cpp
Result<StepPtr> make_blosc_step(const boost::json::object& config);  // blosc_decode.cpp
Result<StepPtr> make_shuffle_step(const boost::json::object& config);           // shuffle.cpp
Result<StepPtr> make_delta_step(const boost::json::object& config);             // delta.cpp
Result<StepPtr> make_fixedscaleoffset_step(const boost::json::object& config);  // fixedscaleoffset.cpp
/// Swaps each `element_size`-byte group (the last step for a big-endian dtype).
StepPtr make_byteswap_step(std::size_t element_size);                          // byteswap.cpp

/// Unshuffles `in` (elementsize-byte elements stored byte plane by byte plane) into
/// `out`; both are in.size() bytes, a multiple of elementsize. Exposed for the benchmark.
void unshuffle(std::span<const std::byte> in, std::span<std::byte> out, std::size_t elementsize);

/// An integer field of a codec's JSON; a missing or null field gives `fallback`, anything
/// but an integer is an error naming the key ("level: must be an integer").
Result<long long> int_field(const boost::json::object& config, std::string_view key, long long fallback);

}  // namespace zpmpi::codec
