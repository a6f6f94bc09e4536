// A store file written in pieces: a Zarr v3 shard, whose inner chunks are appended as the
// owning rank's batches finish and whose index comes last (shard_index.hpp), so memory is
// bounded by the batch, never by the shard.
//
// Like a chunk written whole (write_chunk, store.hpp) it goes to temporary_name(its file
// name, writer) beside its key and is renamed into place only by commit(): a shard file
// that exists is complete, one that does not is absent. The levels of its key are made as
// write_chunk makes them, and nothing is opened through a link.
//
//   ZPMPI_ASSIGN_OR_RETURN(StreamedFile file, StreamedFile::create(store, "t2m", "c/1/0", rank));
//   ShardIndexBuilder index(slots);
//   for each finished inner chunk: index.append(slot, bytes.size()); file.append(bytes);
//   file.append(index.index()); file.commit();
// A file dropped before commit() (an error, a stop) removes its temporary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/file_write.hpp"
#include "zpmpi/zarr/store_entry.hpp"

namespace zpmpi::zarr {

/// One owner appends in order; not for several threads at once.
class StreamedFile {
 public:
  /// Creates the temporary of the file `key` of `array` below `store` (the array's
  /// directory must exist; "c/1/0" makes "c", "c/1"). `durable`: synced before the rename,
  /// with the created levels and the directory (file_write.hpp); `fault`: a test hook,
  /// counting each append as one write. Errors as write_chunk's, naming the file.
  static Result<StreamedFile> create(const std::filesystem::path& store, const std::string& array,
                                     const std::string& key, int writer_id, bool durable = false,
                                     WriteFault* fault = nullptr);

  StreamedFile(StreamedFile&& other) noexcept;
  StreamedFile& operator=(StreamedFile&&) = delete;
  StreamedFile(const StreamedFile&) = delete;
  StreamedFile& operator=(const StreamedFile&) = delete;
  ~StreamedFile();

  /// Appends `bytes` at size(). Errors ("cannot write S/t2m/c/1/0: No space left on
  /// device") remove the temporary; the file can then only be dropped.
  Status append(std::span<const std::byte> bytes);
  /// Bytes appended so far: where the next piece starts.
  std::uint64_t size() const { return size_; }
  /// Puts the file in place (see above). Errors name the file; the temporary is gone.
  Status commit();

 private:
  StreamedFile(UniqueFd dir, UniqueFd file, std::filesystem::path path, std::string tmp, bool durable,
               WriteFault* fault);
  void discard();  ///< closes and removes the temporary, if still there

  UniqueFd dir_;
  UniqueFd file_;
  std::filesystem::path path_;  ///< where the file goes, for messages and its name
  std::string tmp_;
  bool durable_ = false;
  WriteFault* fault_ = nullptr;
  std::uint64_t size_ = 0;
};

}  // namespace zpmpi::zarr
