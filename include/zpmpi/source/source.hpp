// Module `source` (DESIGN.md, "Modules"): reading the input. A Source describes one
// dataset (a netCDF file, several concatenated along a dim, or a kerchunk reference set)
// and reads hyperslabs of its variables; chunk-stored arrays are fetched as byte ranges
// and decoded by zpmpi itself on the caller's workers. Depends on model and codec (decode
// chains); links netCDF-C, HDF5 and libcurl. Never: MPI (every rank opens and reads on its
// own), zarr, getenv, process-wide settings (app's), a memory estimate the planner keeps
// instead of asking (decode_buffers.hpp publishes it).
//
// Public, include/zpmpi/source/ (what it promises):
//   source.hpp          Source, SourceSpec, resolve_source, open_source, open_netcdf
//   kerchunk.hpp        a kerchunk reference set opened as a Source
//   kerchunk_refs.hpp   the reference set's parser; ChunkRef, where one stored chunk is
//                       (every chunk-stored format uses it, netCDF-4 included)
//   byte_ranges.hpp     RangeReader: byte ranges of local files, http(s) and s3 urls
//   s3_options.hpp      how s3:// urls are reached (storage_options, remote_options)
//   decode_buffers.hpp  the decode buffers and stored-chunk bound a source publishes
//   input_files.hpp     what identifies an input file (change and --resume checks)
// How, src/source/, one folder per format around the generic chunked reader:
//   open_source.cpp     which Source a SourceSpec opens, resolve_source
//   chunk_read.*        ChunkedReader: the one reader of chunk-stored arrays (kerchunk
//                       chunks, netCDF-4 chunks found through HDF5): locate, fetch, decode
//                       on the workers; chunk_copy.* puts a decoded chunk's part in place
//   decode_buffers.cpp, input_files.cpp   the bound and the file identity above
//   netcdf/             NetcdfSource over netCDF-C (types, attributes, groups, text,
//                       chunking, utf8); hdf5_chunks.* locates netCDF-4 chunks through
//                       HDF5 for the ChunkedReader
//   kerchunk/           the reference set (refs, templates, base64, urls), its description
//                       as a Dataset, and the kerchunk Source over the ChunkedReader
//   ranges/             RangeReader implementations: pread on an LRU of descriptors
//                       (local_ranges), libcurl multi (http_ranges), merging of nearby
//                       ranges (range_merge), dispatch by url scheme (byte_ranges.cpp);
//                       S3: urls and error lines (s3_urls), the options (s3_options) and
//                       their resolution (s3_credentials, aws_ini: ~/.aws files)
//   multi_file/         MultiFileSource: netCDF files concatenated along a dim, the check
//                       that they agree, and re-expressing their CF time units
// Folders use the top level (chunk_read, the public headers) and not each other, with one
// exception: netcdf/hdf5_chunks parses the zarr dtype of a stored HDF5 type with
// kerchunk/kerchunk_describe's numeric_zarr_dtype. Private headers are included by their
// path below src/source ("netcdf/hdf5_chunks.hpp"); tests/unit/source/ mirrors the folders.
//
// Sources of array data. A Source describes its dataset once and then reads hyperslabs of
// its variables, in the variable's own dtype, C order, native byte order.
//
// Kinds (SourceSpec::engine): "netcdf" (one netCDF-3/4 file through netCDF-C, or several
// concatenated along a dim: multi-file) and "kerchunk" (a reference set: each stored chunk
// is a byte range of a file or url plus the codec chain that decodes it). A source whose
// chunks are decoded by zpmpi itself fetches the stored bytes on the calling thread and
// decodes them on the caller's workers (TaskRunner) straight into the output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/byte_buffer.hpp"
#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/source/s3_options.hpp"

namespace zpmpi::source {

/// Runs independent tasks on the caller's worker threads (the executor's encode/write
/// workers, idle while a batch is read). run(n, task) calls task(i, worker) once for every
/// i < n, with worker < workers() naming the thread (for per-thread scratch), possibly
/// several at once; it returns after all are done, with the first error if any (tasks not
/// yet started are then skipped).
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  virtual int workers() const = 0;
  virtual Status run(std::size_t n, const std::function<Status(std::size_t task, int worker)>& task) = 0;
};

/// The decoding left of a read whose library calls are done (Source::prepare_read):
/// independent tasks that call no library, for any of the caller's workers.
class DeferredRead {
 public:
  virtual ~DeferredRead() = default;
  virtual std::size_t tasks() const = 0;
  /// Runs task `task` (< tasks(), each once) on worker `worker` (< the workers given to
  /// prepare_read; a worker runs one task at a time). Errors name the file, variable, chunk.
  virtual Status run(std::size_t task, int worker) = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  /// The dataset description: numeric and text variables (Variable::text); what it cannot
  /// convert is listed in `skipped`.
  virtual const model::Dataset& dataset() const = 0;
  /// Every file (or url) this source reads data or metadata from, each once: what the
  /// run identifies (input_files.hpp) so that a change during the run or before a
  /// --resume is seen. Known from the description alone: no file is opened for it.
  virtual std::vector<std::string> input_files() const = 0;
  /// Reads `box` of `variable` into `out` (exactly box.num_elements() * dtype size bytes).
  /// With `stride` (one positive step per dim; empty = all 1), box.count[d] elements are
  /// taken every stride[d] from box.start[d]. A source that decodes chunks itself may run
  /// the decoding on `parallel` (nullptr: on this thread). Errors name the file (or url),
  /// the variable and, for a stored chunk, its index.
  virtual Status read(const std::string& variable, const model::Box& box, std::span<std::byte> out,
                      const model::Shape& stride = {}, TaskRunner* parallel = nullptr) = 0;
  /// The read above split in two, so that the reading thread can fetch the next read while
  /// workers decode this one: the library calls are made now, on this thread (the stored
  /// bytes of every chunk the box touches are fetched into `stored`, at most `max_stored`
  /// bytes), and the decoding into `out` is returned as tasks for `workers` workers.
  /// nullptr when this read is not split (the variable is not decoded by zpmpi, or its
  /// stored bytes exceed `max_stored`): the caller then calls read(). `out` and `stored`
  /// must stay untouched until every task has run.
  virtual Result<std::unique_ptr<DeferredRead>> prepare_read(const std::string& /*variable*/, const model::Box& /*box*/,
                                                             std::span<std::byte> /*out*/, const model::Shape& /*stride*/,
                                                             model::ByteBuffer& /*stored*/, std::uint64_t /*max_stored*/,
                                                             int /*workers*/) {
    return std::unique_ptr<DeferredRead>();
  }
  /// Bytes of the decode buffers the source keeps between reads (ChunkedReader::
  /// held_bytes: within the bound the planner counts), which the executor adds to its
  /// peak_buffer. Only while no task of a prepared read runs.
  virtual std::uint64_t decode_buffer_bytes() const { return 0; }
  /// Every element of text variable `variable`, in C order of its (folded) shape: for
  /// fixed_bytes exactly `width` bytes each, as stored (NUL padded); for utf8 valid UTF-8
  /// (invalid bytes replaced by U+FFFD, trailing NULs of a char element dropped).
  /// Errors name the file and the variable.
  virtual Result<std::vector<std::string>> read_text(const std::string& variable) {
    return runtime_error(variable + ": this source has no text variables");
  }
};

/// How a source is read (the job's "source.engine"): "netcdf" (netCDF-C, one file or
/// several) or "kerchunk" (a reference set).
enum class Engine { kNetcdf, kKerchunk };

/// Who decodes the chunks of netCDF-4 variables (the job's "source.decoder"): "zpmpi" (its
/// own decoder where it can) or "netcdf-c" (every variable through netCDF-C).
enum class Decoder { kZpmpi, kNetcdfC };

/// The spellings of the job file; a name that is none of them is nullopt.
const char* engine_name(Engine engine);
const char* decoder_name(Decoder decoder);
std::optional<Engine> engine_from_name(std::string_view name);
std::optional<Decoder> decoder_from_name(std::string_view name);

/// What the job file's "source" says to open.
struct SourceSpec {
  /// One path or url, or several files of a multi-file dataset (a glob is expanded, sorted,
  /// before it gets here). Relative paths are relative to the working directory.
  std::vector<std::string> uris;
  Engine engine = Engine::kNetcdf;
  std::string group;              ///< netCDF-4 group ("" = the root); netcdf only
  /// netcdf only: kZpmpi (default) decodes the chunks of netCDF-4 variables with zpmpi's
  /// own decoder where it can (see src/source/netcdf/hdf5_chunks.hpp), on the rank's
  /// workers; kNetcdfC reads every variable through netCDF-C (for comparison, and as an
  /// escape hatch).
  Decoder decoder = Decoder::kZpmpi;
  /// Multi-file only: the dim the files are concatenated along ("" = the files' record
  /// dim, else "time"); resolve_source() fills in the one it chose.
  std::string concat_dim;
  /// Multi-file only, filled in by resolve_source(): each file's length along concat_dim,
  /// so that the other ranks build the description from the first file alone instead of
  /// describing every file again (10 000 files x 64 ranks would be 640 000 opens).
  std::vector<std::uint64_t> lengths;
  /// Multi-file only, filled in by resolve_source(): what rank 0 should warn about (a gap
  /// in the concat coordinate between two files), one line each.
  std::vector<std::string> warnings;
  /// How an s3:// uri is read (the job's source.storage_options, s3_options.hpp), and the
  /// s3:// chunk urls of a kerchunk reference set (source.remote_options); resolved from
  /// the environment by resolve_source().
  S3Options storage_options;
  S3Options remote_options;
  bool operator==(const SourceSpec&) const = default;
};

/// `spec` with its uris made definite. For the netcdf engine: each uri holding a glob
/// character (`*`, `?`, `[`) is expanded with glob(3) to the files it matches, sorted (a
/// pattern matching nothing is a usage error naming it); a uri without one, or naming an
/// existing file ("t2m[K].nc"), is taken as it is; a file listed twice (after expansion, compared as canonical paths) is a usage error.
/// Several files make a multi-file dataset: every file is described once here (rank 0,
/// sequentially) and checked to agree with the first (see
/// src/source/multi_file/multi_file_source.hpp), and concat_dim, lengths and warnings are
/// filled in. Rank 0 resolves; every rank then opens
/// the same resolved spec, which opens one file to describe the dataset.
/// The S3 options are completed from `env` and the AWS shared files (resolve_s3_options)
/// where they can be used: storage_options for an s3:// uri or a kerchunk set,
/// remote_options for a kerchunk set. Where the job gave none, a failure to resolve
/// (a malformed ~/.aws/config) is left for the first s3:// request to report.
Result<SourceSpec> resolve_source(const SourceSpec& spec, const EnvLookup& env = {});

/// Opens what `spec` describes: one netCDF file (open_netcdf), several (multi-file), or a
/// kerchunk reference set. Errors name the uri and, for a config mistake, the key.
Result<std::unique_ptr<Source>> open_source(const SourceSpec& spec);

/// Opens a netCDF-3 (classic, 64-bit offset, CDF5) or netCDF-4/HDF5 file with netCDF-C, in
/// independent (non-collective) mode: every rank opens and reads on its own.
/// `group` ("g1/g2" or "/g1/g2"; empty or "/" = the root) picks the group whose variables
/// are the dataset, as xarray.open_dataset(group=...): dims of its parent groups are
/// visible, variables of other groups are not (they are named in `skipped`).
/// Errors (ExitCode::kRuntime) name the path: missing, unreadable, not netCDF; a group the
/// file does not have is ExitCode::kUsage, listing the groups it has.
/// With `own_decoder`, chunked netCDF-4 variables whose filters zpmpi implements (deflate,
/// shuffle) are decoded by zpmpi on the reader's workers (Variable::decoded_on_workers),
/// the others by netCDF-C; Dataset::decoders says which took which path.
Result<std::unique_ptr<Source>> open_netcdf(const std::string& path, const std::string& group = "",
                                            bool own_decoder = true);

}  // namespace zpmpi::source
