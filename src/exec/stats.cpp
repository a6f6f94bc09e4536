#include "zpmpi/exec/stats.hpp"

namespace zpmpi::exec {

std::vector<std::uint64_t> Stats::counters() const {
  return {chunks, bytes_needed, bytes_decoded, bytes_raw, bytes_written};
}

std::vector<double> Stats::maxima() const {
  return {seconds_read, seconds_gather, seconds_encode, seconds_write,
          static_cast<double>(peak_buffer)};
}

Stats Stats::from(const std::vector<std::uint64_t>& c, const std::vector<double>& m) {
  Stats s;
  s.chunks = c.at(0);
  s.bytes_needed = c.at(1);
  s.bytes_decoded = c.at(2);
  s.bytes_raw = c.at(3);
  s.bytes_written = c.at(4);
  s.seconds_read = m.at(0);
  s.seconds_gather = m.at(1);
  s.seconds_encode = m.at(2);
  s.seconds_write = m.at(3);
  s.peak_buffer = static_cast<std::uint64_t>(m.at(4));
  return s;
}

double Stats::read_amplification() const {
  return bytes_needed == 0 ? 1.0 : static_cast<double>(bytes_decoded) / bytes_needed;
}

}  // namespace zpmpi::exec
