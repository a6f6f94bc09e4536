// Which Source a SourceSpec opens.
#include "zpmpi/source/kerchunk.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {

Result<SourceSpec> resolve_source(const SourceSpec& spec) { return spec; }

Result<std::unique_ptr<Source>> open_source(const SourceSpec& spec) {
  if (spec.engine == "netcdf" && spec.uris.size() == 1) return open_netcdf(spec.uris[0], spec.group);
  if (spec.engine == "kerchunk") {
    if (spec.uris.size() != 1)
      return usage_error("source.uri: a kerchunk source is one reference file, got " + std::to_string(spec.uris.size()));
    return open_kerchunk(spec.uris[0]);
  }
  return usage_error("source: engine '" + spec.engine + "' with " + std::to_string(spec.uris.size()) +
                     " uris is not supported yet");
}

}  // namespace zpmpi::source
