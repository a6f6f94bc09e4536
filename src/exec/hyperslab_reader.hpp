// Reads a batch's hyperslab: the batch's output box in the read stored dims
// (IndexMap::stored_box), in C order and the source's element type, filled from the source
// through the array's index map. An identity map reads straight into it; otherwise each
// source read (IndexMap::pieces) goes through a staging buffer and is placed, mirrored
// where the map reverses a dim, with tile padding holding the pad value. Counts what the
// reads cost (Stats::bytes_decoded); the chunks are then assembled from the hyperslab
// (model/chunk_assembly.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "zpmpi/exec/stats.hpp"
#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/byte_buffer.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::exec {

class HyperslabReader {
 public:
  /// Reads from `source`, decoding on `runner`'s workers; adds each read's cost to
  /// `stats.bytes_decoded`. All three must outlive the reader.
  HyperslabReader(source::Source& source, source::TaskRunner& runner, Stats& stats)
      : source_(source), runner_(runner), stats_(stats) {}

  /// Fills `hyper` (`hyper_bytes`: the stored box `out` of `array`, C order) from the source.
  Status read(const model::ArrayLayout& array, const model::Box& out, std::byte* hyper, std::size_t hyper_bytes);

  /// Adds the source bytes reading `source_box` with steps `stride` costs: the whole chunks
  /// it touches when they are compressed (each is decoded whole), else the elements read,
  /// since HDF5 reads a part of an uncompressed chunk straight from the file.
  void count_decoded(const model::ArrayLayout& array, const model::Box& source_box, const model::Shape& stride);

  /// The staging buffer's bytes (the pieces of a map that is not the identity).
  std::uint64_t buffer_bytes() const { return staging_.capacity(); }

 private:
  /// Reads `all` (the union of `pieces`) once and places each piece in `hyper`.
  Status read_union(const model::ArrayLayout& array, const model::Box& out, std::byte* hyper,
                    const std::vector<model::ReadPiece>& pieces, const model::Box& all);

  source::Source& source_;
  source::TaskRunner& runner_;
  Stats& stats_;
  model::ByteBuffer staging_;
};

}  // namespace zpmpi::exec
