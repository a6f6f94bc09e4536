// What one rank did, counted while it did it; summed (counters) or maximised (times)
// over ranks for the closing summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zpmpi::exec {

struct Stats {
  std::uint64_t chunks = 0;          ///< chunk files written
  std::uint64_t bytes_needed = 0;    ///< source bytes the batches needed (hyperslab bytes)
  std::uint64_t bytes_decoded = 0;   ///< bytes those reads cost: whole compressed source chunks touched, else the bytes read
  std::uint64_t bytes_raw = 0;       ///< uncompressed chunk bytes encoded (edge chunks padded)
  std::uint64_t bytes_written = 0;   ///< chunk file bytes written
  std::uint64_t peak_buffer = 0;     ///< most buffer memory one rank held at once (max over ranks)
  double seconds_read = 0, seconds_gather = 0, seconds_encode = 0, seconds_write = 0;

  /// The fields that add up over ranks, and those whose maximum over ranks is reported
  /// (stage times and peak_buffer).
  std::vector<std::uint64_t> counters() const;
  std::vector<double> maxima() const;
  /// Rebuilds totals from counters() summed and maxima() maximised over ranks.
  static Stats from(const std::vector<std::uint64_t>& counters, const std::vector<double>& maxima);
  /// bytes_decoded / bytes_needed (1 when nothing was read).
  double read_amplification() const;
};

}  // namespace zpmpi::exec
