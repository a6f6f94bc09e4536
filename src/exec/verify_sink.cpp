#include "zpmpi/exec/verify_sink.hpp"


namespace zpmpi::exec {

Status VerifySink::put(int, const AssembledChunk& chunk, Stats& stats) {
  ZPMPI_RETURN_IF_ERROR(verify_(chunk.array, chunk.index, chunk.raw));
  stats.chunks += 1;
  stats.bytes_raw += chunk.raw.size();
  return {};
}

}  // namespace zpmpi::exec
