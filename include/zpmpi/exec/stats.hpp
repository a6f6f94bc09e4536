// What one rank did, counted while it did it; combined over ranks for the closing summary
// and the --stats file.
//
// The fields are listed once, in fields() below, each with how it combines over ranks
// (summed, or the largest rank's value). The MPI reduction (app/rank_stats.cpp) and the
// JSON writer (app/run_summary.cpp) both walk that list, so a field added to the struct
// and the list reaches both; the unit test checks the list covers the whole struct.
#pragma once

#include <cstdint>
#include <type_traits>

namespace zpmpi::exec {

/// How a field combines over ranks.
enum class Combine { kSum, kMax };

struct Stats {
  std::uint64_t chunks = 0;          ///< chunk files written
  std::uint64_t chunks_present = 0;  ///< chunk files a resumed run found complete and kept
  std::uint64_t bytes_needed = 0;    ///< source bytes the batches needed (hyperslab bytes)
  std::uint64_t bytes_decoded = 0;   ///< bytes those reads cost: whole compressed source chunks touched, else the bytes read
  std::uint64_t bytes_raw = 0;       ///< uncompressed chunk bytes encoded (edge chunks padded)
  std::uint64_t bytes_written = 0;   ///< chunk file bytes written
  std::uint64_t peak_buffer = 0;     ///< most buffer memory one rank held at once (max over ranks)
  std::uint64_t peak_rss = 0;        ///< the rank process's peak resident memory, bytes (set by the caller)
  /// Stage seconds (max over ranks); with several workers the chunk stages (gather, encode,
  /// write) are thread-seconds summed over the rank's workers.
  double seconds_read = 0, seconds_gather = 0, seconds_encode = 0, seconds_write = 0;
  /// Wall seconds the rank spent, after its own work, waiting for the others (the run
  /// channel's last rounds and the agreement on the outcome), measured on its main thread
  /// by the caller; max over ranks. A rank with a light share waits long.
  double seconds_wait = 0;

  /// bytes_decoded / bytes_needed (1 when nothing was read).
  double read_amplification() const;
};

/// The field list: calls `visit(name, field, combine)` once per field of `s`, in
/// declaration order; `field` is a (const) std::uint64_t& or double&.
template <class Self, class Visit>
  requires std::is_same_v<std::remove_const_t<Self>, Stats>
void fields(Self& s, Visit&& visit) {
  visit("chunks", s.chunks, Combine::kSum);
  visit("chunks_present", s.chunks_present, Combine::kSum);
  visit("bytes_needed", s.bytes_needed, Combine::kSum);
  visit("bytes_decoded", s.bytes_decoded, Combine::kSum);
  visit("bytes_raw", s.bytes_raw, Combine::kSum);
  visit("bytes_written", s.bytes_written, Combine::kSum);
  visit("peak_buffer", s.peak_buffer, Combine::kMax);
  visit("peak_rss", s.peak_rss, Combine::kMax);
  visit("seconds_read", s.seconds_read, Combine::kMax);
  visit("seconds_gather", s.seconds_gather, Combine::kMax);
  visit("seconds_encode", s.seconds_encode, Combine::kMax);
  visit("seconds_write", s.seconds_write, Combine::kMax);
  visit("seconds_wait", s.seconds_wait, Combine::kMax);
}

}  // namespace zpmpi::exec
