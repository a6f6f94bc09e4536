// Fuzz target: the kerchunk reference parser and the description built from it (the
// source description path of a kerchunk source: .zarray/.zattrs/.zgroup of every array).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kerchunk/kerchunk_describe.hpp"
#include "zpmpi/source/kerchunk_refs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto set = zpmpi::source::kerchunk::ReferenceSet::parse_text(text, "/data/refs.json");
  if (!set.ok()) return 0;
  for (const auto& [key, value] : set->metadata_keys()) (void)value;
  auto described = zpmpi::source::kerchunk::describe(*set);
  (void)described;
  return 0;
}
