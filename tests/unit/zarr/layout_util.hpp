// Array layouts for the zarr tests: only the output side matters to the metadata.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zpmpi/model/array_layout.hpp"

namespace zpmpi::zarr::testing {

inline model::ArrayLayout layout(std::string name, model::DType dtype, model::Shape shape, model::Shape chunks,
                                 std::optional<model::Scalar> fill, std::vector<std::string> dims) {
  model::ArrayLayout a;
  a.name = std::move(name);
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.chunks = std::move(chunks);
  a.fill_value = std::move(fill);
  a.dims = std::move(dims);
  return a;
}

}  // namespace zpmpi::zarr::testing
