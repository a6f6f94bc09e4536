// Where a reference's url points: relative urls resolve against the reference file's own
// directory (kerchunk writes them so, to move a set with its files), file:// is a path.
#include <cctype>

#include "zpmpi/source/kerchunk_refs.hpp"

namespace zpmpi::source::kerchunk {
namespace {

bool has_scheme(std::string_view url) {
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = url[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return false;
  }
  return true;
}

}  // namespace

std::string base_of(const std::string& location) {
  std::string_view l = location;
  if (l.starts_with("file://")) l.remove_prefix(7);
  const std::size_t slash = l.rfind('/');
  if (slash == std::string_view::npos) return "";
  return std::string(l.substr(0, slash + 1));
}

std::string resolve_url(std::string_view url, std::string_view base) {
  if (url.starts_with("file://")) return std::string(url.substr(7));
  if (has_scheme(url) || url.starts_with("/")) return std::string(url);
  std::string_view rel = url;
  while (rel.starts_with("./")) rel.remove_prefix(2);
  return std::string(base) + std::string(rel);
}

}  // namespace zpmpi::source::kerchunk
