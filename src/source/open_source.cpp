// Which Source a SourceSpec opens.
#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "multi_file/multi_file_source.hpp"
#include "zpmpi/source/kerchunk.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {
namespace {

bool has_glob_characters(const std::string& uri) { return uri.find_first_of("*?[") != std::string::npos; }

/// `pattern` expanded by glob(3), sorted; an error naming the pattern when nothing matches.
Result<std::vector<std::string>> expand_glob(const std::string& pattern) {
  glob_t matches{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
  std::vector<std::string> files(matches.gl_pathv, matches.gl_pathv + (rc == 0 ? matches.gl_pathc : 0));
  ::globfree(&matches);
  if (rc == GLOB_NOMATCH) return usage_error("source.uri: '" + pattern + "' matches no file");
  if (rc != 0) return runtime_error("source.uri: '" + pattern + "': cannot list the files it matches (read error)");
  return files;  // glob(3) sorts them (no GLOB_NOSORT)
}

/// The uris with their globs expanded; a file named twice is refused.
Result<std::vector<std::string>> expand_uris(const std::vector<std::string>& uris) {
  std::vector<std::string> files;
  for (const std::string& uri : uris) {
    // A file whose name holds glob characters ("t2m[K].nc") is itself, not a pattern.
    std::error_code ec;
    if (!has_glob_characters(uri) || uri.find("://") != std::string::npos || std::filesystem::exists(uri, ec)) {
      files.push_back(uri);
      continue;
    }
    ZPMPI_ASSIGN_OR_RETURN(auto matches, expand_glob(uri));
    files.insert(files.end(), matches.begin(), matches.end());
  }
  std::set<std::filesystem::path> seen;
  for (const std::string& f : files) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(f, ec);
    if (ec) canonical = f;
    if (!seen.insert(canonical).second)
      return usage_error("source.uri: " + f + " is listed twice (each file may appear once)");
  }
  return files;
}

}  // namespace

const char* engine_name(Engine engine) { return engine == Engine::kKerchunk ? "kerchunk" : "netcdf"; }
const char* decoder_name(Decoder decoder) { return decoder == Decoder::kNetcdfC ? "netcdf-c" : "zpmpi"; }

std::optional<Engine> engine_from_name(std::string_view name) {
  for (Engine e : {Engine::kNetcdf, Engine::kKerchunk})
    if (name == engine_name(e)) return e;
  return std::nullopt;
}

std::optional<Decoder> decoder_from_name(std::string_view name) {
  for (Decoder d : {Decoder::kZpmpi, Decoder::kNetcdfC})
    if (name == decoder_name(d)) return d;
  return std::nullopt;
}

namespace {

/// `options` resolved when they may be used; see resolve_source.
Result<S3Options> resolve_if_used(const S3Options& options, bool used, const EnvLookup& env, const char* key) {
  if (!used) return options;
  auto resolved = resolve_s3_options(options, env);
  if (resolved.ok()) return resolved;
  if (options == S3Options{}) return options;
  return resolved.error().with_context(std::string("source.") + key);
}

}  // namespace

Result<SourceSpec> resolve_source(const SourceSpec& spec, const EnvLookup& env) {
  SourceSpec resolved = spec;
  const bool kerchunk = spec.engine == Engine::kKerchunk;
  const bool s3_uri = std::any_of(spec.uris.begin(), spec.uris.end(), [](const std::string& u) { return u.starts_with("s3://"); });
  ZPMPI_ASSIGN_OR_RETURN(resolved.storage_options, resolve_if_used(spec.storage_options, kerchunk || s3_uri, env, "storage_options"));
  ZPMPI_ASSIGN_OR_RETURN(resolved.remote_options, resolve_if_used(spec.remote_options, kerchunk, env, "remote_options"));
  if (spec.engine != Engine::kNetcdf) return resolved;
  ZPMPI_ASSIGN_OR_RETURN(resolved.uris, expand_uris(spec.uris));
  if (resolved.uris.size() < 2) return resolved;
  return describe_files(resolved);
}

Result<std::unique_ptr<Source>> open_source(const SourceSpec& spec) {
  switch (spec.engine) {
    case Engine::kNetcdf: {
      if (spec.uris.empty()) return usage_error("source: engine 'netcdf' with 0 uris is not supported yet");
      for (const std::string& uri : spec.uris)
        if (uri.starts_with("s3://"))
          return usage_error("source.uri: " + uri + ": netCDF files on S3 are not supported yet (netCDF-C here has no "
                             "byte-range support): write a kerchunk reference set for it and give that as source.uri");
      if (spec.uris.size() == 1) return open_netcdf(spec.uris[0], spec.group, spec.decoder == Decoder::kZpmpi);
      // A spec not resolved yet (no lengths) is described here, as rank 0 would.
      SourceSpec resolved = spec;
      if (spec.lengths.size() != spec.uris.size()) {
        ZPMPI_ASSIGN_OR_RETURN(resolved, resolve_source(spec));
      }
      ZPMPI_ASSIGN_OR_RETURN(auto source, MultiFileSource::open(resolved));
      return std::unique_ptr<Source>(std::move(source));
    }
    case Engine::kKerchunk:
      if (spec.uris.size() != 1)
        return usage_error("source.uri: a kerchunk source is one reference file, got " + std::to_string(spec.uris.size()));
      return open_kerchunk(spec.uris[0], RangeReaderOptions{.s3 = spec.storage_options}, spec.remote_options);
  }
  return usage_error("source: unknown engine");  // unreachable: every Engine is handled above
}

}  // namespace zpmpi::source
