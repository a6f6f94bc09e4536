// What rank 0 decides and every rank needs, broadcast as one JSON message:
//   {"source": {"uris": ["era5.nc"], "engine": "netcdf", "group": "", "concat_dim": ""},
//    "store": "/data/.era5.zarr.zpmpi-new-n1-42",
//    "compressor": {"id": "zstd", "level": 1}, "log_level": 1, "fsync": false,
//    "zarr_format": 2, "statistics": [spec_json, ...], "plan": "<plan_to_json>"}
// Its fields are listed once (job_message.cpp) for both directions.
#pragma once

#include <string>
#include <string_view>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/plan/region_plan.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/stats/array_statistics.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::app {

struct JobMessage {
  source::SourceSpec source;  ///< what every rank opens (globs already expanded)
  std::string store;  ///< where ranks write: the store transaction's copy
  codec::CodecSpec codec;
  int log_level = 1;
  bool fsync = false;  ///< sync chunk files and their directory (config "fsync")
  zarr::ZarrFormat format = zarr::ZarrFormat::kV2;  ///< the store's (config "zarr_format")
  std::vector<stats::ArrayStatisticsSpec> statistics;  ///< config "statistics", per array
  plan::RegionPlan plan;
  /// Append mode: the store appended to, where boundary chunks' kept rows are read
  /// (exec/boundary_sink.hpp); empty otherwise.
  std::string append_from{};
};

std::string encode_job_message(const JobMessage& message);

/// Paths are bytes (POSIX), not always UTF-8: they come back as they were sent. Errors
/// (runtime, "internal: ...") for anything malformed; never throws.
Result<JobMessage> decode_job_message(std::string_view text);

}  // namespace zpmpi::app
