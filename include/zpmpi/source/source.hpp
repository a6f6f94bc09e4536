// Sources of array data. A Source describes its dataset once and then reads hyperslabs of
// its variables, in the variable's own dtype, C order, native byte order.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

class Source {
 public:
  virtual ~Source() = default;
  /// The dataset description (numeric variables only; others listed in `skipped`).
  virtual const model::Dataset& dataset() const = 0;
  /// Reads `box` of `variable` into `out` (exactly box.num_elements() * dtype size bytes).
  /// With `stride` (one positive step per dim; empty = all 1), box.count[d] elements are
  /// taken every stride[d] from box.start[d]. Errors name the file and the variable.
  virtual Status read(const std::string& variable, const model::Box& box,
                      std::span<std::byte> out, const model::Shape& stride = {}) = 0;
};

/// Opens a netCDF-3 (classic, 64-bit offset, CDF5) or netCDF-4/HDF5 file with netCDF-C, in
/// independent (non-collective) mode: every rank opens and reads on its own.
/// Errors (ExitCode::kRuntime) name the path: missing, unreadable, not netCDF.
Result<std::unique_ptr<Source>> open_netcdf(const std::string& path);

}  // namespace zpmpi::source
