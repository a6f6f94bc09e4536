// A source variable for the transform tests: name, dims, shape and dtype; its source chunk
// is the whole variable.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "zpmpi/model/dataset.hpp"

namespace zpmpi::transform::testing {

inline model::Variable variable(std::string name, std::vector<std::string> dims, model::Shape shape,
                                model::DType dtype) {
  model::Variable v;
  v.name = std::move(name);
  v.dims = std::move(dims);
  v.source_chunks = shape;
  v.shape = std::move(shape);
  v.dtype = dtype;
  return v;
}

}  // namespace zpmpi::transform::testing
