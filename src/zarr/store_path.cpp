// Resolving the configured store path once: see store_path.hpp.
#include "zpmpi/zarr/store_path.hpp"

#include <vector>

namespace zpmpi::zarr {
namespace fs = std::filesystem;

fs::path real_path(const fs::path& path, const fs::path& cwd) {
  const fs::path absolute = path.is_absolute() ? path : cwd / path;
  std::error_code ec;
  fs::path real = fs::weakly_canonical(absolute, ec);
  if (ec) real = absolute.lexically_normal();
  // A normalised missing tail may end in a separator ("/a/missing/.." -> "/a/").
  if (!real.has_filename() && real != real.root_path()) real = real.parent_path();
  return real;
}

Result<StorePath> resolve_store_path(const std::string& spec, const fs::path& cwd) {
  if (spec.empty()) return runtime_error("store: the path is empty");
  // Every system call below would see the path cut at a NUL: it would name another directory.
  if (spec.find('\0') != std::string::npos) return runtime_error("store: the path contains a NUL byte");
  const fs::path absolute = fs::path(spec).is_absolute() ? fs::path(spec) : cwd / spec;
  // Drop trailing "" (a trailing '/') and "." components: "s.zarr/./" is "s.zarr".
  std::vector<fs::path> parts(absolute.begin(), absolute.end());
  while (!parts.empty() && (parts.back().empty() || parts.back() == ".")) parts.pop_back();
  fs::path trimmed;
  for (const auto& p : parts) trimmed /= p;
  // ".." at the end means "the parent of what the previous components name", which only
  // the file system knows when a component is a link.
  if (!parts.empty() && parts.back() == "..") trimmed = real_path(trimmed, cwd);
  const fs::path name = trimmed.filename();
  if (name.empty() || trimmed == trimmed.root_path())
    return runtime_error("store " + spec + ": cannot be the root directory");
  return StorePath{spec, real_path(trimmed.parent_path(), cwd) / name};
}

bool is_within(const fs::path& inner, const fs::path& outer) {
  const fs::path a = inner.lexically_normal(), b = outer.lexically_normal();
  auto ia = a.begin(), ib = b.begin();
  for (; ib != b.end(); ++ia, ++ib) {
    if (ib->empty() && std::next(ib) == b.end()) break;  // "outer/" (a trailing separator)
    if (ia == a.end() || *ia != *ib) return false;
  }
  return true;
}

}  // namespace zpmpi::zarr
