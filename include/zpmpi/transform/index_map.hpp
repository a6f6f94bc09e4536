// Where an output array's elements come from in its source variable.
//
// A preprocessor chain is composed into one IndexMap per output array: for each output dim
// d, source index = offset[d] + stride[d] * output index. Output dims map to source dims of
// the same position (dropping dims comes with the selection preprocessors). In the core
// pipeline every map is the identity; the selection preprocessors build the others.
#pragma once

#include <cstdint>
#include <vector>

#include "zpmpi/model/box.hpp"

namespace zpmpi::transform {

struct DimMap {
  std::int64_t offset = 0;
  std::int64_t stride = 1;  ///< +1 or -1 (reversal); other strides are not produced yet
  bool operator==(const DimMap&) const = default;
};

struct IndexMap {
  std::vector<DimMap> dims;

  static IndexMap identity(std::size_t rank);
  bool is_identity() const;
  /// The smallest source box holding the images of every index of `out`.
  model::Box source_box(const model::Box& out) const;
  bool operator==(const IndexMap&) const = default;
};

}  // namespace zpmpi::transform
