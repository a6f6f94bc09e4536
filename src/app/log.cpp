#include "zpmpi/app/log.hpp"

#include <cstdio>
#include <string>

namespace zpmpi::app::log {
namespace {

int g_rank = 0;
int g_level = 1;

void emit(std::FILE* stream, std::string_view tag, std::string_view message) {
  std::string line = g_rank == 0 ? std::string("zpmpi: ") : "zpmpi[rank " + std::to_string(g_rank) + "]: ";
  line += tag;
  line += message;
  line += '\n';
  // One write per line keeps lines of concurrent ranks whole.
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fflush(stream);
}

}  // namespace

void init(int rank, int level) {
  g_rank = rank;
  g_level = level;
}

int level() { return g_level; }
void error(std::string_view message) { emit(stderr, "error: ", message); }
void warn(std::string_view message) { emit(stderr, "warning: ", message); }
void info(std::string_view message) {
  if (g_level >= 1) emit(stdout, "", message);
}
void debug(std::string_view message) {
  if (g_level >= 2) emit(stdout, "", message);
}

}  // namespace zpmpi::app::log
