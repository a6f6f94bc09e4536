// A kerchunk reference set: a Zarr v2 store described as a JSON map from store keys to
// where each key's bytes are.
//
//   version 1:  {"version": 1, "templates": {"u": "data/era5_{{m}}.nc"},
//                "gen": [...], "refs": {KEY: VALUE, ...}}
//   version 0:  {KEY: VALUE, ...}                        (no "version"/"refs" key)
//
// A VALUE is inline text (".zarray" JSON, small data: its UTF-8 bytes), "base64:..." bytes,
// [url] (the whole file), or [url, offset, length]. Urls may hold "{{name}}" templates
// (expanded from "templates"); relative urls resolve against the reference file's
// directory (or url), "file://" is stripped. A "gen" entry
//   {"key": "t2m/{{i}}.0.0", "url": "{{u}}", "offset": "{{1000 + i * 4096}}",
//    "length": "4096", "dimensions": {"i": {"start": 0, "stop": 100, "step": 1}}}
// (a dimension is {"start", "stop", "step"} or a list of integers) makes one reference per
// combination of its dimensions; "{{...}}" in it are integer expressions over the
// dimensions and templates (+ - * // / % and parentheses), as kerchunk's jinja2 renders them
// (a value past 64 bits is an error naming the key). A key given twice takes its last value,
// as fsspec (json.load) reads the set; warnings() names such keys.
//
// Storage (the point of this file): the set is parsed by a streaming SAX parser, never held
// as a JSON tree. Metadata keys (last component starting with '.') keep their text; chunk
// keys ("t2m/3.0.1", "t2m/3/0/1") become one 16-byte ChunkRef in a table per array indexed
// by the C-order chunk number (the grid comes from the array's .zarray, usually seen first);
// urls are interned; inline chunk bytes live in one arena. Measured on a generated 10^6
// chunk-reference file (see README.md "kerchunk sources"): the figures there.
// The array of a chunk key is the key without its trailing all-digit components
// ("a/b/0.0" -> "a/b"; "t2m/0/1" -> "t2m"): an array named by digits alone is not supported.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

class RangeReader;

namespace kerchunk {

/// Where one chunk's stored bytes are: `length` bytes at `offset` of url `url`, or of the
/// inline arena (url == kInline); the whole url when length == kWholeFile; nowhere
/// (url == kMissing: the chunk reads as the fill value). Readers ask kind(); the sentinel
/// values are how the kind is packed into the 16 bytes a table entry has.
struct ChunkRef {
  enum class Kind {
    kMissing,    ///< nowhere: reads as the fill value
    kInline,     ///< `length` bytes at `offset` of the reference set's inline arena
    kSelfRead,   ///< `length` bytes the ChunkLocator reads itself
    kWholeFile,  ///< all of url `url`
    kRange,      ///< `length` bytes at `offset` of url `url`
  };
  static constexpr std::uint32_t kMissing = 0xFFFFFFFFu;
  static constexpr std::uint32_t kInline = 0xFFFFFFFEu;
  /// Not a byte range: `length` stored bytes the ChunkLocator reads itself (an HDF5 chunk,
  /// whose address HDF5 1.10 finds only by a scan of the whole index; see
  /// src/source/netcdf/hdf5_chunks.hpp).
  static constexpr std::uint32_t kSelfRead = 0xFFFFFFFDu;
  static constexpr std::uint32_t kWholeFile = 0xFFFFFFFFu;  ///< as `length`
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  std::uint32_t url = kMissing;
  bool missing() const { return url == kMissing; }
  Kind kind() const {
    if (url == kMissing) return Kind::kMissing;
    if (url == kInline) return Kind::kInline;
    if (url == kSelfRead) return Kind::kSelfRead;
    return length == kWholeFile ? Kind::kWholeFile : Kind::kRange;
  }
  /// The stored bytes fetched into a read's buffer: those of a byte range or a self-read
  /// chunk (not inline, whole-file or missing ones).
  bool fetched() const { return kind() == Kind::kRange || kind() == Kind::kSelfRead; }
};
static_assert(sizeof(ChunkRef) == 16);

/// The chunk references of one array.
struct ArrayRefs {
  model::Shape grid;            ///< chunks per dim (ceil(shape / chunks)); {} for a scalar
  std::vector<ChunkRef> table;  ///< one per chunk, C order over `grid`
  std::uint64_t num_refs = 0;   ///< references present (not missing)
};

/// Most chunks one array's table may have (16 bytes each): 2^28, 4 GiB of table.
inline constexpr std::uint64_t kMaxTableChunks = std::uint64_t{1} << 28;

class ReferenceSet {
 public:
  /// Parses the reference file at `path_or_url` (local: streamed in 4 MiB blocks; http(s)
  /// and s3: fetched whole through `reader`, then parsed). A file compressed with zstd or
  /// gzip (told by its first bytes: kerchunk_compressed.hpp) is read whole and its text
  /// streamed to the parser. Errors (ExitCode::kUsage for a malformed set, kRuntime for
  /// I/O) start with the file's name.
  static Result<ReferenceSet> parse_file(const std::string& path_or_url, RangeReader* reader);
  /// Parses `text` (perhaps compressed, as above); `location` is the file or url it came
  /// from (names errors, resolves relative urls).
  static Result<ReferenceSet> parse_text(std::string_view text, const std::string& location);

  int version() const { return version_; }
  const std::string& location() const { return location_; }
  /// The text (or decoded base64 bytes) of a metadata key such as "t2m/.zarray".
  const std::string* metadata(std::string_view key) const;
  const std::map<std::string, std::string, std::less<>>& metadata_keys() const { return metadata_; }
  /// Chunk references of `array`, or nullptr when it has no valid .zarray (or no chunk).
  const ArrayRefs* array(std::string_view name) const;
  const std::string& url(std::uint32_t id) const { return urls_[id]; }
  std::size_t num_urls() const { return urls_.size(); }
  /// The urls some chunk reference points into, each once, in url order: a url only a
  /// replaced duplicate key named is not among them (nothing reads it).
  std::vector<std::string> referenced_urls() const;
  /// Inline bytes of a ChunkRef with url == kInline.
  std::string_view inline_bytes(const ChunkRef& r) const {
    return std::string_view(inline_).substr(r.offset, r.length);
  }
  /// The store key of chunk `index` (C-order number) of `array`, for messages.
  std::string chunk_key(std::string_view array, std::uint64_t index) const;
  /// Bytes held by the tables, urls, inline arena and metadata (for the measurement).
  std::uint64_t memory_bytes() const;
  std::uint64_t num_chunk_refs() const;
  /// What the set holds that a reader may not expect, one line each for a warning: keys
  /// given more than once, named (the last value of each is used, as fsspec's json.load
  /// keeps it; a top-level "refs", "templates" or "gen" given again replaces the first).
  const std::vector<std::string>& warnings() const { return warnings_; }

  struct Builder;  ///< the parser's state (kerchunk_refs.cpp)

 private:
  friend struct Builder;
  std::string location_;
  int version_ = 0;
  std::map<std::string, std::string, std::less<>> metadata_;
  std::map<std::string, ArrayRefs, std::less<>> arrays_;
  std::map<std::string, char, std::less<>> separators_;  ///< dimension_separator per array
  std::vector<std::string> urls_;
  std::string inline_;
  std::vector<std::string> warnings_;
};

/// "base64:" payload decoding (standard alphabet, '=' padding); an error names the first
/// bad character's position.
Result<std::string> decode_base64(std::string_view text);

/// The directory part a relative url resolves against: "/d/refs.json" -> "/d/",
/// "http://h/p/refs.json" -> "http://h/p/", "refs.json" -> "".
std::string base_of(const std::string& location);
/// `url` made absolute against `base` (file:// stripped; absolute paths and urls kept).
std::string resolve_url(std::string_view url, std::string_view base);

}  // namespace kerchunk
}  // namespace zpmpi::source
