// A store file written in pieces, renamed into place: see streamed_file.hpp.
#include "zpmpi/zarr/streamed_file.hpp"

#include <unistd.h>

#include "write_errors.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::zarr {
namespace fs = std::filesystem;

Result<StreamedFile> StreamedFile::create(const fs::path& store, const std::string& array, const std::string& key,
                                          int writer_id, bool durable, WriteFault* fault) {
  const fs::path below(key);
  const fs::path path = store / array / below;
  UniqueFd dir;
  if (const auto failure = open_or_make_store_dir(store, array, below.parent_path(), dir, durable))
    return not_entered(*failure, path);
  std::string tmp = temporary_name(below.filename().string(), writer_id);
  const int fd = create_temporary_at(dir.fd, tmp);
  if (fd < 0) return write_failed({FileWriteFailure::Step::kCreate, -fd}, path, tmp);
  return StreamedFile(std::move(dir), UniqueFd(fd), path, std::move(tmp), durable, fault);
}

StreamedFile::StreamedFile(UniqueFd dir, UniqueFd file, fs::path path, std::string tmp, bool durable,
                           WriteFault* fault)
    : dir_(std::move(dir)),
      file_(std::move(file)),
      path_(std::move(path)),
      tmp_(std::move(tmp)),
      durable_(durable),
      fault_(fault) {}

StreamedFile::StreamedFile(StreamedFile&& other) noexcept
    : dir_(std::move(other.dir_)),
      file_(std::move(other.file_)),
      path_(std::move(other.path_)),
      tmp_(std::move(other.tmp_)),
      durable_(other.durable_),
      fault_(other.fault_),
      size_(other.size_) {}

StreamedFile::~StreamedFile() { discard(); }

void StreamedFile::discard() {
  if (file_.fd < 0) return;
  file_ = UniqueFd();
  ::unlinkat(dir_.fd, tmp_.c_str(), 0);
}

Status StreamedFile::append(std::span<const std::byte> bytes) {
  if (file_.fd < 0) return runtime_error("internal: " + path_.string() + " appended to after it was finished");
  if (const int err = write_piece(file_.fd, bytes, fault_)) {
    discard();
    return write_failed({FileWriteFailure::Step::kWrite, err}, path_, tmp_);
  }
  size_ += bytes.size();
  return {};
}

Status StreamedFile::commit() {
  if (file_.fd < 0) return runtime_error("internal: " + path_.string() + " committed after it was finished");
  const int fd = std::exchange(file_.fd, -1);  // finish_temporary_at closes it in every case
  const auto failure = finish_temporary_at(dir_.fd, fd, tmp_, path_.filename().string(), durable_);
  if (!failure) return {};
  return write_failed(*failure, path_, tmp_);
}

}  // namespace zpmpi::zarr
