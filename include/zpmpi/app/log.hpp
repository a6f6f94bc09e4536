// Logging for a run on many ranks. Levels: 0 warnings (and errors), 1 info, 2 debug.
// Lines start "zpmpi: " on rank 0 and "zpmpi[rank 3]: " elsewhere, so a SLURM log that
// merges ranks stays readable. Warnings and errors go to stderr, the rest to stdout.
#pragma once

#include <string_view>

namespace zpmpi::app::log {

void init(int rank, int level);
int level();
void error(std::string_view message);
void warn(std::string_view message);
void info(std::string_view message);
void debug(std::string_view message);

}  // namespace zpmpi::app::log
