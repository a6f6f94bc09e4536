#include "zpmpi/model/array_layout.hpp"

namespace zpmpi::model {

std::size_t ArrayLayout::source_dim_of(std::size_t d) const {
  if (map.transposed() && d < map.order.size()) d = map.order[d];  // output dim -> stored dim
  std::size_t seen = 0;
  for (std::size_t s = 0; s < map.dims.size(); ++s) {
    if (map.dims[s].fixed) continue;
    if (seen++ == d) return s;
  }
  return map.dims.size();  // no such output dim
}

}  // namespace zpmpi::model
