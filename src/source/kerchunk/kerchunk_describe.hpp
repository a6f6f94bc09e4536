// The dataset a kerchunk reference set describes (see include/zpmpi/source/kerchunk.hpp for
// the rules), and per array what reading it needs: the decode chain, the chunk shape and
// the bytes of one fill element.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "chunk_read.hpp"
#include "zpmpi/model/dataset.hpp"
#include "zpmpi/source/kerchunk_refs.hpp"

namespace zpmpi::source::kerchunk {

/// StoredArray's fill is zeros without a fill_value.
struct ArrayReading : StoredArray {
  const ArrayRefs* refs = nullptr;  ///< nullptr: no chunk at all (every chunk is missing)
};

struct Description {
  model::Dataset dataset;
  std::map<std::string, ArrayReading, std::less<>> arrays;
};

/// Builds the description; errors name the reference file (set.location()) and the array.
Result<Description> describe(const ReferenceSet& set);

/// A zarr v2 numeric dtype ("<f4", ">i2", "|u1"): the DType and whether it is big-endian;
/// nullopt for every other dtype (text, bool, complex, datetime, structured).
std::optional<std::pair<model::DType, bool>> numeric_zarr_dtype(std::string_view typestr);

}  // namespace zpmpi::source::kerchunk
