// A shape as a JSON array of integers ([48, 721, 1440]; [] for 0-d), for the v2 and v3
// metadata documents. Private to the zarr module.
#pragma once

#include <boost/json/array.hpp>

#include "zpmpi/model/box.hpp"

namespace zpmpi::zarr {

inline boost::json::array shape_json(const model::Shape& shape) {
  boost::json::array a;
  for (model::Index n : shape) a.push_back(n);
  return a;
}

}  // namespace zpmpi::zarr
