// One output chunk's contribution to its array's statistics: its elements decoded as
// xarray decodes the store (CF masking, then scale_factor/add_offset in xarray's float
// dtype), the elements outside the array (edge padding) and outside the job's window left
// out, grouped by the indexes along the `by` dims, each group's values accumulated in the
// chunk's C order (moments.hpp: the result does not depend on the order of the chunks).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/stats/moments.hpp"

namespace zpmpi::stats {

/// How xarray decodes the stored values of an array (xarray.coding.variables).
struct ValueDecoding {
  model::DType dtype = model::DType::f4;  ///< as stored
  /// _FillValue and missing_value: a stored value equal to one of them is missing
  /// (compared as stored, so the integers of a packed short exactly). NaN always is.
  std::vector<double> missing;
  std::optional<double> scale_factor, add_offset;
  /// The float type xarray computes scale and offset in (app::value_decoding decides):
  /// float32 or float64. Without scale or offset, the stored values as float64.
  bool scaled_in_float32 = false;
};

/// Which elements count and how they are grouped, in the array's index space.
struct Selection {
  /// The dims (by position) each index of which is a group, in order: the groups are the
  /// C-order combinations of their indexes. Empty: one group, the whole array.
  std::vector<std::size_t> by;
  /// Per dim the indexes that count, [begin, end): the whole dim, or the job's `time`
  /// window along its dim.
  std::vector<std::pair<model::Index, model::Index>> window;
};

/// The groups of `selection` over an array of `shape`: the product of its `by` extents.
std::uint64_t group_count(const Selection& selection, const model::Shape& shape);

/// Adds chunk `index` of `array` (`raw`: its bytes as stored, C order, edge chunks padded
/// to the chunk shape) into `groups` (group_count entries).
void add_chunk(const model::ArrayLayout& array, const ValueDecoding& decoding, const Selection& selection,
               const model::Shape& index, std::span<const std::byte> raw, std::vector<Moments>& groups);

}  // namespace zpmpi::stats
