// Sources of array data. A Source describes its dataset once and then reads hyperslabs of
// its variables, in the variable's own dtype, C order, native byte order.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

class Source {
 public:
  virtual ~Source() = default;
  /// The dataset description: numeric and text variables (Variable::text); what it cannot
  /// convert is listed in `skipped`.
  virtual const model::Dataset& dataset() const = 0;
  /// Reads `box` of `variable` into `out` (exactly box.num_elements() * dtype size bytes).
  /// With `stride` (one positive step per dim; empty = all 1), box.count[d] elements are
  /// taken every stride[d] from box.start[d]. Errors name the file and the variable.
  virtual Status read(const std::string& variable, const model::Box& box,
                      std::span<std::byte> out, const model::Shape& stride = {}) = 0;
  /// Every element of text variable `variable`, in C order of its (folded) shape: for
  /// fixed_bytes exactly `width` bytes each, as stored (NUL padded); for utf8 valid UTF-8
  /// (invalid bytes replaced by U+FFFD, trailing NULs of a char element dropped).
  /// Errors name the file and the variable.
  virtual Result<std::vector<std::string>> read_text(const std::string& variable) {
    return runtime_error(variable + ": this source has no text variables");
  }
};

/// Opens a netCDF-3 (classic, 64-bit offset, CDF5) or netCDF-4/HDF5 file with netCDF-C, in
/// independent (non-collective) mode: every rank opens and reads on its own.
/// `group` ("g1/g2" or "/g1/g2"; empty or "/" = the root) picks the group whose variables
/// are the dataset, as xarray.open_dataset(group=...): dims of its parent groups are
/// visible, variables of other groups are not (they are named in `skipped`).
/// Errors (ExitCode::kRuntime) name the path: missing, unreadable, not netCDF; a group the
/// file does not have is ExitCode::kUsage, listing the groups it has.
Result<std::unique_ptr<Source>> open_netcdf(const std::string& path, const std::string& group = "");

}  // namespace zpmpi::source
