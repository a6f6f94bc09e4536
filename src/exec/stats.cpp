#include "zpmpi/exec/stats.hpp"

namespace zpmpi::exec {

double Stats::read_amplification() const {
  return bytes_needed == 0 ? 1.0 : static_cast<double>(bytes_decoded) / bytes_needed;
}

}  // namespace zpmpi::exec
