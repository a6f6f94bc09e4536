// Where an output array's elements come from in its source variable.
//
// Preprocessors (isel, sel, reverse_axis, roll) compose into one map per source dim, the
// idea of TensorStore's IndexTransform restricted to what xarray can express per dim:
//  - a dim that a scalar selection dropped is `fixed` at one source index;
//  - every other dim is an output dim (same order as in the source), mapped piecewise
//    affinely: output indices [out_start, out_start + length) of a Segment take source
//    index src_start + stride * (i - out_start). One segment for slices and reversal
//    (stride -1), two for a roll (the wrap-around).
// Example: latitude 721 reversed then sliced to output 0..120 is one segment
// {out_start 0, length 121, src_start 720, stride -1}; longitude 1440 rolled by 720 is
// {0, 720, 720, 1} and {720, 720, 0, 1}.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "zpmpi/model/box.hpp"

namespace zpmpi::model {


struct Segment {
  Index out_start = 0;
  Index length = 0;
  std::int64_t src_start = 0;
  std::int64_t stride = 1;  ///< never 0
  bool operator==(const Segment&) const = default;
};

/// The map of one source dim.
struct DimMap {
  std::optional<Index> fixed;      ///< set: the dim is dropped, read at this index
  std::vector<Segment> segments;   ///< ordered by out_start, covering [0, length())

  static DimMap identity(Index length);
  static DimMap at(Index index);  ///< a dropped dim
  Index length() const;           ///< output length (0 for a fixed dim)
  /// The source index of output index i (i < length()).
  std::int64_t source_index(Index i) const;
  /// This map applied after `outer`: output j -> outer(j) -> this. `outer` segments are in
  /// this map's output space and must stay inside [0, length()).
  DimMap after(const std::vector<Segment>& outer) const;
  bool operator==(const DimMap&) const = default;
};

/// One strided source read serving part of an output box.
struct ReadPiece {
  model::Box source;          ///< source start (lowest index) and counts, source rank
  model::Shape stride;        ///< positive source steps, source rank
  model::Box output;          ///< where it lands, relative to the output box, output rank
  std::vector<bool> reversed; ///< per output dim: the source runs backwards along it
};

struct IndexMap {
  std::vector<DimMap> dims;  ///< one per source dim

  static IndexMap identity(const model::Shape& source_shape);
  /// True when every dim is one segment with stride +1 starting at 0: the output is the
  /// source, and reads go straight into the output buffer.
  bool is_identity() const;
  std::size_t output_rank() const;
  model::Shape output_shape() const;
  /// The source reads that fill output box `out` (output rank), in C order of pieces.
  std::vector<ReadPiece> pieces(const model::Box& out) const;
  bool operator==(const IndexMap&) const = default;
};

}  // namespace zpmpi::model
