// The words of a failed write into a store: see write_errors.hpp.
#include "write_errors.hpp"

#include <cerrno>
#include <cstring>

namespace zpmpi::zarr {
namespace fs = std::filesystem;

namespace {
std::string errno_text(int err) { return std::strerror(err); }
}  // namespace

Error not_entered(const EntryFailure& failure, const fs::path& target) {
  if (failure.kind == EntryKind::kLink) return runtime_error(link_in_store_message(failure.path, "write"));
  if (failure.error == ENOTDIR) return runtime_error(failure.path.string() + " is not a directory where the store has one");
  if (failure.kind == EntryKind::kUnreadable && failure.path != target.parent_path())  // a level on the way
    return runtime_error("cannot write " + target.string() + ": " + failure.path.string() + ": " +
                         errno_text(failure.error));
  return runtime_error("cannot write " + target.string() + ": " + errno_text(failure.error));
}

Error write_failed(const FileWriteFailure& failure, const fs::path& path, const std::string& tmp) {
  if (failure.step == FileWriteFailure::Step::kSync)
    return runtime_error("cannot sync the directory of " + path.string() + ": " + errno_text(failure.error));
  const fs::path tmp_path = path.parent_path() / tmp;
  if (failure.step == FileWriteFailure::Step::kRename)
    return runtime_error("cannot rename " + tmp_path.string() + " to " + path.string() + ": " +
                         errno_text(failure.error));
  if (failure.step == FileWriteFailure::Step::kCreate && failure.error == ELOOP)
    return not_entered({EntryKind::kLink, tmp_path, ELOOP}, path);
  return runtime_error("cannot write " + path.string() + ": " + errno_text(failure.error));
}

}  // namespace zpmpi::zarr
