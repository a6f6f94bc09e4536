// How a netCDF variable is laid out on disk, which the planner aligns its reads to.
//   netCDF-4 chunked               -> the chunk shape, chunked = true (chunks are decoded
//                                     whole, so a read should cover whole chunks)
//   netCDF-4 contiguous or compact -> the whole shape, chunked = false
//   netCDF-3 (classic, 64-bit offset, CDF5) -> the whole shape except the record
//                                     (unlimited) dim, which is 1: records of all record
//                                     variables are interleaved, one record at a time
// Every extent is capped to max(dim length, 1), so a dim of length 0 has chunk 1 and a
// rank-0 variable has an empty chunk shape.
#pragma once

#include <vector>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

/// True for the netCDF-4/HDF5 formats (nc_inq_format), whose variables may be chunked.
bool is_netcdf4_format(int format);

/// Sets v.source_chunks and v.chunked from the file. `v.shape` must be filled in;
/// `record_dims[d]` says whether the variable's dim d is unlimited.
Status describe_chunking(int ncid, int varid, bool netcdf4, const std::vector<bool>& record_dims,
                         model::Variable& v);

}  // namespace zpmpi::source
