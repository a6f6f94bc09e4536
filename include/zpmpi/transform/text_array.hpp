// Text arrays (char and string variables, model/text.hpp) of the output dataset.
//
// They are chosen, renamed and index-mapped with the numeric arrays (choose_arrays,
// rename_array, apply_dim_states treat them alike: a station_name coordinate follows an isel
// along station), then taken out before planning: text is small (a grid-mapping scalar,
// station names, labels), so rank 0 reads each whole source variable, gathers the output
// elements through the index map and writes the array as one chunk (exec/text_arrays.hpp),
// while plan and exec keep moving fixed-size numeric elements only.
#pragma once

#include <string>
#include <vector>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/text.hpp"
#include "zpmpi/model/index_map.hpp"
#include "zpmpi/transform/output_array.hpp"

namespace zpmpi::transform {

struct TextArray {
  std::string name;         ///< zarr array name
  std::string source_name;  ///< variable in the source
  model::TextType type;
  std::vector<std::string> dims;  ///< output dims
  model::Shape shape;             ///< output shape
  model::Shape source_shape;      ///< the source variable's (folded) shape
  IndexMap map;                   ///< output index -> source index
  std::vector<model::Attribute> attributes;
  bool is_coordinate = false;
};

/// Moves the arrays of text variables out of `arrays` (after apply_dim_states), keeping the
/// order of both.
std::vector<TextArray> take_text_arrays(std::vector<OutputArray>& arrays, const model::Dataset& dataset);

/// The output elements in C order: element i is source_values[map(i)], where source_values
/// holds the whole source variable in C order (Source::read_text).
std::vector<std::string> gather_text(const TextArray& array, const std::vector<std::string>& source_values);

/// Elements of `shape` (1 for a 0-d array).
std::size_t num_elements(const model::Shape& shape);

}  // namespace zpmpi::transform
