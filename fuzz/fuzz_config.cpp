// Fuzz target: the job file parser (strict JSON, then every key's validation). Any input
// must give a Config or an error value: no crash, no exception, no sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "zpmpi/app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = zpmpi::app::parse_config(text, "job.json");
  if (!config.ok() && config.error().message.rfind("job.json", 0) != 0) __builtin_trap();  // errors name the file
  return 0;
}
