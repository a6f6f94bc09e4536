// Kerchunk reference sets as a Source ("engine": "kerchunk", or a ".json" uri).
//
// The set describes a Zarr v2 group, read as xarray reads it with
//   xr.open_dataset("reference://", engine="zarr",
//                   backend_kwargs={"consolidated": False, "storage_options": {"fo": uri}})
// .zgroup (required), .zattrs (global attributes), and per array <var>/.zarray (shape,
// chunks, numeric dtype of either byte order, fill_value incl. "NaN", compressor, filters,
// order "C", dimension_separator) and <var>/.zattrs (_ARRAY_DIMENSIONS names the dims; the
// rest are attributes: JSON integers as int64, other numbers as float64). A non-null
// fill_value is the variable's _FillValue, as xarray's zarr backend makes it. Missing chunk
// keys read as the fill value (0 without one).
//
// Refused at open, before anything is written (ExitCode::kUsage unless noted), naming the
// reference file and the variable: order "F", an unknown codec (its id), no
// _ARRAY_DIMENSIONS, dims of one name with two lengths, a url scheme other than a path,
// file://, http://, https:// or s3://, s3:// urls with neither credentials nor anon in
// `remote` (s3_options.hpp). Text, object, bool, complex
// and datetime arrays and arrays of sub-groups are skipped (named in Dataset::skipped).
//
// Reading: the chunks a box touches are fetched on the calling thread through a RangeReader
// (a batch of requests at a time, the stored bytes in flight kept within 2 chunks' worth per
// worker) and decoded on the caller's TaskRunner, each worker with its own DecodeScratch and
// decoded-chunk buffer (reused across calls): the kDecodeChunkBuffers = 4 source chunks per
// worker the planner counts for Variable::decoded_on_workers. Every rank parses the reference
// file itself (see README.md "kerchunk sources" for what that costs).
#pragma once

#include <memory>
#include <string>

#include "zpmpi/source/byte_ranges.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {

/// Opens the reference set at `uri` (a path, file://, http(s):// or s3:// url of its JSON,
/// perhaps compressed with zstd or gzip). `options.s3` reads an s3:// uri (the job's
/// source.storage_options); `remote` the s3:// chunk urls (source.remote_options), each
/// with its own reader, as fsspec's reference filesystem keeps them apart.
/// Errors name the uri; I/O failures are ExitCode::kRuntime, a malformed or unsupported
/// set ExitCode::kUsage.
Result<std::unique_ptr<Source>> open_kerchunk(const std::string& uri, const RangeReaderOptions& options = {},
                                              const S3Options& remote = {});

}  // namespace zpmpi::source
