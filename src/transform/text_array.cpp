#include "zpmpi/transform/text_array.hpp"

namespace zpmpi::transform {

std::vector<OutputArray> take_text_arrays(std::vector<OutputArray>& arrays) {
  std::vector<OutputArray> text, numeric;
  for (auto& a : arrays) (a.text ? text : numeric).push_back(std::move(a));
  arrays = std::move(numeric);
  return text;
}

std::vector<std::string> gather_text(const model::ArrayLayout& array, const std::vector<std::string>& source_values) {
  const std::size_t n = model::num_elements(array.shape);
  std::vector<std::string> out;
  out.reserve(n);
  // Source strides (C order) of the source variable.
  const std::size_t rank = array.source.shape.size();
  std::vector<std::size_t> stride(rank, 1);
  for (std::size_t d = rank; d-- > 1;) stride[d - 1] = stride[d] * array.source.shape[d];
  std::vector<model::Index> index(array.shape.size(), 0);  // output index, odometer
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t at = 0, o = 0;
    for (std::size_t d = 0; d < rank; ++d) {
      const DimMap& m = array.map.dims[d];
      const auto src = m.fixed ? static_cast<std::int64_t>(*m.fixed) : m.source_index(index[o++]);
      at += static_cast<std::size_t>(src) * stride[d];
    }
    out.push_back(source_values.at(at));
    for (std::size_t d = index.size(); d-- > 0;) {
      if (++index[d] < array.shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace zpmpi::transform
