// NetcdfSource: one netCDF-3 or netCDF-4/HDF5 file read through netCDF-C (its MPI build,
// but opened with plain nc_open: every rank holds its own handle and reads on its own, with
// no collective calls and nothing shared between ranks). One group is read (the root by
// default); the others are named in Dataset::skipped.
// Chunked netCDF-4 variables with deflate/shuffle are decoded by zpmpi itself (see
// hdf5_chunks.hpp) unless the caller asks for netCDF-C everywhere.
// netCDF-C is not thread-safe: one NetcdfSource is used by one thread at a time.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include <netcdf.h>

#include "chunk_read.hpp"
#include "netcdf/hdf5_chunks.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {

class NetcdfSource final : public Source {
 public:
  /// Opens and describes `path`; see open_netcdf() for the errors. `reader` decodes the
  /// chunks zpmpi decodes itself (nullptr: a reader of its own): the files of a multi-file
  /// set share one, so that they hold one set of decode buffers, as the plan counts.
  static Result<std::unique_ptr<NetcdfSource>> open(const std::string& path, const std::string& group = "",
                                                     bool own_decoder = true,
                                                     std::shared_ptr<ChunkedReader> reader = nullptr);

  ~NetcdfSource() override;
  NetcdfSource(const NetcdfSource&) = delete;
  NetcdfSource& operator=(const NetcdfSource&) = delete;

  const model::Dataset& dataset() const override { return dataset_; }
  std::vector<std::string> input_files() const override { return {path_}; }
  Status read(const std::string& variable, const model::Box& box, std::span<std::byte> out,
              const model::Shape& stride, TaskRunner* parallel) override;
  Result<std::unique_ptr<DeferredRead>> prepare_read(const std::string& variable, const model::Box& box,
                                                     std::span<std::byte> out, const model::Shape& stride,
                                                     model::ByteBuffer& stored, std::uint64_t max_stored,
                                                     int workers) override;
  Result<std::vector<std::string>> read_text(const std::string& variable) override;
  std::uint64_t decode_buffer_bytes() const override;

 private:
  NetcdfSource(std::string path, int ncid) : path_(std::move(path)), ncid_(ncid), grpid_(ncid) {}

  /// Sets grpid_ to `group` (see open_netcdf) and lists the other groups in dataset_.
  Status select_group(const std::string& group);
  /// Fills dataset_ and varids_ from the open file.
  Status describe();
  using DimsById = std::unordered_map<int, const model::Dimension*>;
  /// The dims visible in the group into dataset_, and each one's netCDF id.
  Status describe_dims(DimsById& dim_by_id);
  /// Adds variable `varid` to dataset_ (or to its skipped list).
  Status describe_variable(int varid, bool netcdf4, const std::set<int>& stackable, const DimsById& dim_by_id);
  /// The dims xarray folds into the elements of the char variables that end with them
  /// (xarray.conventions.decode_cf_variables' "stackable"): no variable of the group is
  /// named like the dim, and every variable using it is a char array with it last.
  Result<std::set<int>> stackable_char_dims() const;
  /// Describes a char or string variable (text set; with `fold`, its last dim folded into
  /// the elements) or skips it.
  Status describe_text(int varid, nc_type type, bool fold, model::Variable& v, bool& skip);
  /// Finds the variables zpmpi decodes itself (netCDF-4 only), to be read through `reader`
  /// (or one of its own), and fills dataset_.decoders.
  Status find_own_decoding(std::shared_ptr<ChunkedReader> reader);
  /// The file's HDF5 handle, opened on first use; nullptr when HDF5 cannot open it.
  Hdf5Chunks* hdf5();
  /// Hdf5Chunks::not_a_string of `variable` ("" when HDF5 cannot open the file).
  std::string hdf5_not_a_string(const std::string& variable);
  /// Errors of the whole file: "<path>: <what>".
  Error file_error(const std::string& what) const;

  std::string path_;
  int ncid_;
  int grpid_;  ///< the group the variables come from (ncid_ for the root)
  model::Dataset dataset_;
  /// netCDF variable id of each numeric or text variable, by name.
  std::unordered_map<std::string, int> varids_;
  /// The variables zpmpi decodes itself, and what reading them needs.
  std::unique_ptr<Hdf5Chunks> hdf5_;
  std::string hdf5_error_;  ///< why HDF5 could not open the file (netCDF-C reads everything)
  std::unordered_map<std::string, std::unique_ptr<Hdf5ChunkedVariable>> own_;
  std::shared_ptr<ChunkedReader> chunks_;  ///< set when a variable is in own_
};

}  // namespace zpmpi::source
