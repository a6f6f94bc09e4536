#include "zpmpi/transform/index_map.hpp"

#include <algorithm>

namespace zpmpi::transform {

IndexMap IndexMap::identity(std::size_t rank) { return IndexMap{std::vector<DimMap>(rank)}; }

bool IndexMap::is_identity() const {
  return std::all_of(dims.begin(), dims.end(),
                     [](const DimMap& d) { return d.offset == 0 && d.stride == 1; });
}

model::Box IndexMap::source_box(const model::Box& out) const {
  model::Box box{model::Shape(out.rank()), out.count};
  for (std::size_t d = 0; d < out.rank(); ++d) {
    const auto first = static_cast<std::int64_t>(out.start[d]);
    const auto last = first + static_cast<std::int64_t>(out.count[d]) - 1;
    const std::int64_t a = dims[d].offset + dims[d].stride * first;
    const std::int64_t b = dims[d].offset + dims[d].stride * last;
    box.start[d] = static_cast<model::Index>(std::min(a, b));
  }
  return box;
}

}  // namespace zpmpi::transform
