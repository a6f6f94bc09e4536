// Identifying the files a source reads: see input_files.hpp.
#include "zpmpi/source/input_files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

namespace zpmpi::source {

bool is_url(const std::string& uri) { return uri.find("://") != std::string::npos; }

Result<InputFile> identify_input(const std::string& uri) {
  InputFile file{uri};
  if (is_url(uri)) return file;
  struct stat st{};
  if (::stat(uri.c_str(), &st) != 0) return runtime_error(uri + ": cannot stat the source file: " + std::strerror(errno));
  file.local = true;
  file.size = static_cast<std::int64_t>(st.st_size);
  file.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  file.inode = static_cast<std::uint64_t>(st.st_ino);
  return file;
}

Result<std::vector<InputFile>> identify_inputs(const std::vector<std::string>& uris) {
  std::vector<InputFile> files;
  std::unordered_set<std::string> seen;
  for (const std::string& uri : uris) {
    if (!seen.insert(uri).second) continue;
    ZPMPI_ASSIGN_OR_RETURN(InputFile file, identify_input(uri));
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace zpmpi::source
