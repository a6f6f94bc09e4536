// Which output chunk each dim of an array gets: a planning decision, made once here.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "zpmpi/model/array_layout.hpp"

namespace zpmpi::plan {

/// The output chunk shape of `array` (output dims, shape, source and map set):
///  - `whole`: one chunk (dimension coordinates, which xarray loads whole);
///  - a tiled array (map.tile): one tile per chunk, i.e. 1 along the batch dim and the whole
///    extent along the others (`requested` does not apply; the job refuses it);
///  - a dim named in `requested` takes that size;
///  - any other dim takes the source chunk of the source dim it runs along, even when a
///    step or a reversal maps it (isel(x=slice(1, 70, 5)) of chunks of 16 keeps 16);
/// each capped at the dim length and at least 1 (a zero-length dim has chunk 1).
model::Shape choose_output_chunks(const model::ArrayLayout& array,
                                  const std::map<std::string, std::uint64_t>& requested, bool whole);

}  // namespace zpmpi::plan
