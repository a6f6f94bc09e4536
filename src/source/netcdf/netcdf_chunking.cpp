#include "netcdf/netcdf_chunking.hpp"

#include <netcdf.h>
#include <netcdf_filter.h>

#include <algorithm>
#include <string>

namespace zpmpi::source {

bool is_netcdf4_format(int format) {
  return format == NC_FORMAT_NETCDF4 || format == NC_FORMAT_NETCDF4_CLASSIC;
}

Status describe_chunking(int ncid, int varid, bool netcdf4, const std::vector<bool>& record_dims,
                         model::Variable& v) {
  const std::size_t rank = v.shape.size();
  v.chunked = false;
  v.compressed = false;
  v.source_chunks.resize(rank);
  for (std::size_t d = 0; d < rank; ++d) v.source_chunks[d] = std::max<model::Index>(v.shape[d], 1);
  if (rank == 0) return {};
  if (!netcdf4) {
    for (std::size_t d = 0; d < rank; ++d)
      if (record_dims[d]) v.source_chunks[d] = 1;
    return {};
  }
  int storage = NC_CONTIGUOUS;
  std::vector<std::size_t> sizes(rank, 0);
  if (int rc = nc_inq_var_chunking(ncid, varid, &storage, sizes.data()); rc != NC_NOERR)
    return runtime_error(std::string("chunking: ") + nc_strerror(rc));
  if (storage != NC_CHUNKED) return {};
  v.chunked = true;
  std::size_t nfilters = 0;
  if (int rc = nc_inq_var_filter_ids(ncid, varid, &nfilters, nullptr); rc != NC_NOERR)
    return runtime_error(std::string("filters: ") + nc_strerror(rc));
  v.compressed = nfilters > 0;
  for (std::size_t d = 0; d < rank; ++d)
    v.source_chunks[d] = std::clamp<model::Index>(sizes[d], 1, v.source_chunks[d]);
  return {};
}

// netCDF's default chunk cache is kept on purpose. The plan reads whole source chunks
// wherever memory_limit allows, and a whole-chunk read of a chunk larger than the cache
// goes straight to the caller's buffer; a cache grown to hold such chunks would add up to
// that much memory per variable and rank beyond memory_limit, and a copy.

}  // namespace zpmpi::source
