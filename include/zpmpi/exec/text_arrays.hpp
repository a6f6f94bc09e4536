// Writing text arrays (transform/text_array.hpp): rank 0 reads each whole source variable,
// gathers the output elements through the array's index map, encodes them as one chunk
// (fixed-width bytes, or vlen-utf8 framing) and compresses and writes that chunk with the
// job's compressor. The numeric plan and executor never see them.
//
// The chunk is the whole array, so its size is capped: kMaxTextArrayBytes of raw chunk
// bytes (elements * width for "|S<n>"; the vlen-utf8 encoding for "|O"). Station names,
// labels and grid mappings are far below; a larger array is an error that names it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/transform/text_array.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::exec {

inline constexpr std::size_t kMaxTextArrayBytes = std::size_t{256} << 20;  // 256 MiB

/// Errors (ExitCode::kUsage) for an array known before reading to exceed the cap:
/// "text array 'names' needs 300 MiB as one chunk, more than 256 MiB; leave it out with \"variables\"".
Status check_text_sizes(const std::vector<transform::OutputArray>& arrays);

/// The raw chunk of a text array holding `values` (C order): for fixed_bytes each value
/// padded with NULs (or cut) to the width, concatenated; for utf8 the vlen-utf8 encoding.
Result<std::vector<std::byte>> text_chunk_bytes(const model::TextType& type, std::span<const std::string> values);

/// Reads, gathers, encodes and writes the one chunk of each array into `store` (creating
/// the array's directory if needed; no chunk file for an array with no elements).
/// Returns the bytes written. Errors name the array.
Result<std::size_t> write_text_arrays(const std::vector<transform::OutputArray>& arrays, source::Source& source,
                                      const std::filesystem::path& store, const codec::CodecSpec& codec,
                                      zarr::ZarrFormat format, int writer_id);

}  // namespace zpmpi::exec
