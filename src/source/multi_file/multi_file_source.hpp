// MultiFileSource: several netCDF files read as one dataset concatenated along one dim,
// as Debian's xarray gives it with
//   xr.open_mfdataset(files, combine="nested", concat_dim=dim)
// (data_vars="all", coords="different", compat="no_conflicts", combine_attrs="override"):
//   - a variable with the concat dim is the concatenation of the files' variables;
//   - a data variable without it (not a dimension coordinate, not named in a
//     `coordinates` attribute: mask(lat, lon), a scalar crs) gets the concat dim prepended
//     and each file's values repeated along that file's part, as data_vars="all" does;
//   - a coordinate without it (lat, lon, an auxiliary coordinate) is taken from the first
//     file, and must hold the same values in every file (xarray would outer-join indexes
//     and concatenate differing auxiliary coordinates; zpmpi refuses instead);
//   - attributes come from the first file (combine_attrs="override").
// Example: a.nc time=3, b.nc time=2, both t2m(time, lat, lon) chunked (1, 4, 4) and
// mask(lat, lon): the dataset has time=5, t2m(time, lat, lon), mask(time, lat, lon).
//
// Agreement (checked by describe_files, on rank 0, each file against the first; a
// mismatch is a usage error naming both files and what differs): the dims other than the
// concat dim (names and lengths), the variable set, each variable's dtype or text type,
// dims, shape other than along the concat dim, chunk shape other than along the concat
// dim, chunked and compressed; the attributes that change decoded values (scale_factor,
// add_offset, _FillValue, missing_value, units, calendar: xarray decodes each file with its
// own, zpmpi keeps the first file's); the values of every coordinate without the concat
// dim. The concat coordinate (if the files have one) must increase from each file to the
// next: the first value of a file at or below the last of the one before is an error
// naming both files; a step between two files larger than every step inside them is a
// gap, reported as a warning.
//
// One difference is absorbed: CF time units. A variable along the concat dim whose units
// differ from the first file's, both "<unit> since <date>" with the same calendar
// attribute (monthly files written separately by to_netcdf: "hours since 2000-01-01",
// "hours since 2000-02-01", ...), is read in the first file's units, each file's values
// re-expressed (model::TimeRecoding), as xarray's combine keeps the first file's encoding.
// describe_files converts every such variable of every file once (they are coordinates
// and bounds: small), so a value that does not convert exactly (an integer that is no
// whole number of the first file's unit, or overflows its dtype) is a mismatch naming
// both files and the value, before anything runs; the increase check and gap warning
// compare converted values.
//
// Chunks along the concat dim: the planner assumes one regular grid per variable, so the
// source chunk reported along it is gcd(the files' chunk, the length of every file but the
// last): every file boundary and every stored chunk boundary then falls on a reported chunk
// boundary (the last file's end is the dataset's, an edge chunk like any other). When
// that gcd g is smaller than the stored chunk c (files of 744 and 720 steps with chunks of
// 10 give g = 2), a read of one reported chunk may decode a whole stored one: up to c / g
// times the bytes needed, which the planner's read amplification and recommendations then
// show. Files whose lengths are multiples of their chunk cost nothing (g = c).
//
// Files are opened lazily through open_netcdf when a read needs them, at most
// `max_open_files` (kMaxOpenFiles = 32 by default) at once, the least recently used closed
// first, so 10 000 files never exhaust file descriptors (each netCDF-4 file holds one). The
// open files share one file's worth of netCDF-C chunk cache (each gets the process default,
// 16 MiB per variable, divided by max_open_files), which memory_limit does not count. A
// rank that sweeps more files than the bound once per array reopens each for every array
// (about 1 to 2 ms per open of a small netCDF-4 file here). The files decode their chunks
// through one ChunkedReader, so a rank holds one set of decode buffers (what the plan
// counts), not one per open file.
// Not thread-safe (netCDF-C is not): one thread reads at a time.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "zpmpi/model/time_recoding.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {

class ChunkedReader;

/// Files a MultiFileSource keeps open at most, by default.
inline constexpr std::size_t kMaxOpenFiles = 32;

/// Describes every file of `spec` (2 or more uris, netcdf engine) once, checks they agree
/// (see above) and returns `spec` with concat_dim (the files' record dim when not given,
/// else "time"), lengths and warnings filled in. Errors: a file that cannot be opened
/// (runtime), a file without the concat dim or a mismatch (usage), naming the files.
Result<SourceSpec> describe_files(const SourceSpec& spec);

/// The combined description from the first file's: see the header comment. `lengths` are
/// the files' lengths along `concat_dim` (which `first` has).
model::Dataset combine_description(const model::Dataset& first, const std::string& concat_dim,
                                   const std::vector<std::uint64_t>& lengths,
                                   const std::vector<std::string>& uris);

/// A variable of one file whose CF time units differ from the first file's (see above).
struct TimeRecoded {
  std::string variable;
  model::TimeRecoding recoding;  ///< from the file's units to the first file's
};

/// The variables along `concat_dim` of `file` that are read through a recoding into the
/// units of `first` (a description holding the first file's attributes): both units text
/// and different, the calendar attributes the same, both parse as CF time units. A bounds
/// variable without units takes those of the time variable whose `bounds` names it, as
/// xarray decodes it (time_bnds of xarray's to_netcdf has none). Any other difference is
/// left to the agreement check, which refuses it.
std::vector<TimeRecoded> time_recodings(const model::Dataset& first, const model::Dataset& file,
                                        const std::string& concat_dim);
/// The recoding of `variable` in `recodings`, or nullptr.
const model::TimeRecoding* find_recoding(const std::vector<TimeRecoded>& recodings, const std::string& variable);

class MultiFileSource final : public Source {
 public:
  /// Opens the first file of a resolved `spec` (lengths filled in) and builds the combined
  /// description; the other files are opened when a read needs them.
  static Result<std::unique_ptr<MultiFileSource>> open(const SourceSpec& spec,
                                                        std::size_t max_open_files = kMaxOpenFiles);

  const model::Dataset& dataset() const override { return dataset_; }
  /// Every member, opened or not.
  std::vector<std::string> input_files() const override { return spec_.uris; }
  /// Splits `box` (and its stride) along the concat dim into one read per file, each into
  /// its part of `out`. Errors name the file and the variable.
  Status read(const std::string& variable, const model::Box& box, std::span<std::byte> out,
              const model::Shape& stride = {}, TaskRunner* parallel = nullptr) override;
  /// Split when the box lies in one file, along a concat dim that comes first: that file's
  /// prepare_read, the file kept open until the read ends (so an open file past
  /// max_open_files may stay open while its batch is in flight). Otherwise nullptr.
  Result<std::unique_ptr<DeferredRead>> prepare_read(const std::string& variable, const model::Box& box,
                                                     std::span<std::byte> out, const model::Shape& stride,
                                                     model::ByteBuffer& stored, std::uint64_t max_stored,
                                                     int workers) override;
  /// Reads the variable from every file it spans (all of them) and concatenates.
  Result<std::vector<std::string>> read_text(const std::string& variable) override;
  /// The buffers of the one reader the files share.
  std::uint64_t decode_buffer_bytes() const override;

  /// Files open now (at most max_open_files) and files opened so far (for the tests).
  std::size_t files_open() const { return open_.size(); }
  std::size_t opens() const { return opens_; }

 private:
  MultiFileSource(SourceSpec spec, std::size_t max_open_files);
  /// The open source of file `i`, opening it (and closing the least recently used one
  /// when max_open_files are open) if needed.
  Result<Source*> file(std::size_t i);
  /// A read's layout along concat dim `p`: `out` as (outer, count, inner bytes), the box
  /// from `start` every `step`; `repeat`: the files' variable lacks the concat dim.
  struct Split {
    std::size_t p;
    std::uint64_t start, step, count, outer, inner;
    bool repeat;
  };
  /// The checks of read(): ranks, buffer size, the box inside the shape.
  Status check_read(const model::Variable& v, std::size_t p, const model::Box& box, const model::Shape& stride,
                    std::span<std::byte> out) const;
  /// The `n` elements along the concat dim from the k0-th of the box that file `i` holds.
  Status read_from_file(std::size_t i, const std::string& variable, const model::Box& box, const model::Shape& stride,
                        std::span<std::byte> out, const Split& s, std::uint64_t k0, std::uint64_t n,
                        std::vector<std::byte>& scratch, TaskRunner* parallel);
  /// True for a data variable the files hold without the concat dim (see above).
  bool broadcast(const std::string& variable) const;
  /// Re-expresses `values` of `variable` read from file `i` (opened) in the first file's
  /// time units, if that file's differ. Errors name the file and the variable.
  Status recode(std::size_t i, const std::string& variable, std::span<std::byte> values) const;

  struct OpenFile {
    std::size_t index;
    std::shared_ptr<Source> source;  ///< shared with the reads in flight from it
  };
  SourceSpec spec_;
  std::size_t max_open_files_;
  model::Dataset dataset_;
  /// Where each file starts along the concat dim (offsets_[i]), offsets_.back() = total.
  std::vector<std::uint64_t> offsets_;
  std::vector<std::string> broadcast_;  ///< the variables broadcast() is true for
  /// Per file, found when it is first opened: the variables read through a recoding.
  std::vector<std::vector<TimeRecoded>> recodings_;
  std::list<OpenFile> open_;  ///< most recently used first
  std::shared_ptr<ChunkedReader> reader_;  ///< decodes the chunks of every file (one set of buffers)
  std::size_t opens_ = 0;
};

}  // namespace zpmpi::source
