// Live progress of a run, as rank 0 shows it: the job's totals (chunk files and bytes
// written by all ranks, summed by the run channel's rounds, mpi/run_channel.hpp) turned
// into text. Pure: it is fed (seconds, totals) and writes to an ostream, so the tests drive
// it without MPI or clocks.
//
// Two forms:
//   terminal   one bar redrawn in place ("\r", then erase to the end of the line), at
//              most every `redraw_seconds`, finished with a newline:
//                zpmpi: [#######.............]  120/480 chunks  25%  45.6 MB/s  ETA 0:32
//   batch log  (not a terminal: a SLURM output file) one line when the chunks done cross a
//              multiple of `line_percent` % of the total or `line_seconds` have passed
//              since the last line, whichever comes first, plus a final line:
//                zpmpi: progress: 120/480 chunks (25%), 12.3 MB written, 45.6 MB/s, ETA 0:32
// MB/s is chunk bytes written (compressed) per second since the work began; ETA is the
// chunks left at the rate of chunks so far ("--:--" before the first chunk). Counts never
// go back: totals older than the last shown (a round that completed late) are ignored.
// `quiet` (--quiet, or log level 0) shows nothing; errors and the closing summary are the
// run's, not this object's.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace zpmpi::app {

struct ProgressOptions {
  bool terminal = false;        ///< redraw one bar (the stream is a TTY) instead of lines
  bool quiet = false;           ///< show nothing
  double redraw_seconds = 0.2;  ///< terminal: the least time between two redraws
  double line_seconds = 10;     ///< batch log: a line at least this often while chunks advance
  double line_percent = 5;      ///< batch log: a line each time this much of the total is done
  const char* bytes_are = "written";  ///< what the bytes counted are ("decoded": zpmpi statistics)
};

class ProgressReporter {
 public:
  /// `total_chunks`: the chunk files this run writes (the plan's, less those a resumed run
  /// keeps). Writes nothing yet.
  ProgressReporter(std::ostream& out, std::uint64_t total_chunks, ProgressOptions options);

  /// New totals, `seconds` after the work began: shows them when the form's rule says so.
  void update(double seconds, std::uint64_t chunks, std::uint64_t bytes);

  /// The last totals, when the work has ended (done, failed or interrupted): the final
  /// bar and its newline, or the final line. Once; updates after it are ignored.
  void finish(double seconds, std::uint64_t chunks, std::uint64_t bytes);

  /// Lines (batch log) or redraws (terminal) written so far.
  std::uint64_t shown() const { return shown_; }

 private:
  void show(double seconds, std::uint64_t chunks, std::uint64_t bytes);

  std::ostream* out_;
  std::uint64_t total_;
  ProgressOptions options_;
  std::uint64_t shown_ = 0;
  std::uint64_t last_chunks_ = 0;    ///< the highest count seen
  std::uint64_t last_bytes_ = 0;
  std::uint64_t last_step_ = 0;      ///< batch log: line_percent steps reached at the last line
  std::uint64_t shown_chunks_ = 0;   ///< the count of the last line or bar
  double last_shown_ = 0;            ///< when the last line or bar was written
  bool drawn_ = false;               ///< terminal: a bar is on the line (needs its newline)
  bool finished_ = false;
};

/// "M:SS" or "H:MM:SS" of whole seconds (negative: "--:--").
std::string format_duration(double seconds);

}  // namespace zpmpi::app
