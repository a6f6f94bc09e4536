// Text arrays (char and string variables, model/text.hpp) of the output dataset.
//
// They are chosen, renamed and index-mapped with the numeric arrays (choose_arrays,
// rename_array, apply_dim_states treat them alike: a station_name coordinate follows an isel
// along station), then taken out before planning: text is small (a grid-mapping scalar,
// station names, labels), so rank 0 reads each whole source variable, gathers the output
// elements through the index map and writes the array as one chunk (exec/text_arrays.hpp),
// while plan and exec keep moving fixed-size numeric elements only. A text array is an
// OutputArray like any other, with ArrayLayout::text set.
#pragma once

#include <string>
#include <vector>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/transform/output_array.hpp"

namespace zpmpi::transform {

/// Moves the text arrays (ArrayLayout::text set) out of `arrays` (after apply_dim_states),
/// keeping the order of both.
std::vector<OutputArray> take_text_arrays(std::vector<OutputArray>& arrays);

/// The output elements in C order: element i is source_values[map(i)], where source_values
/// holds the whole source variable (array.source.shape) in C order (Source::read_text).
std::vector<std::string> gather_text(const model::ArrayLayout& array, const std::vector<std::string>& source_values);

}  // namespace zpmpi::transform
