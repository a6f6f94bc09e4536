// The stored chunks of netCDF-4 variables, found through HDF5's chunk index, so that zpmpi
// decodes them itself (chunk_read.hpp) instead of netCDF-C: the raw bytes are read by HDF5,
// then inflated with libdeflate and unshuffled on every worker of the rank, straight into
// the batch's buffer. netCDF-C decodes on one thread, through HDF5's chunk buffer.
// The raw bytes are read with H5Dread_chunk on the reading thread (HDF5 1.10 has no fast way
// to learn a chunk's address: H5Dget_chunk_info_by_coord scans the index).
//
// A variable takes this path when all of these hold (else netCDF-C reads it, and
// Hdf5Chunks::variable says why, for the log):
//   * chunked storage (not contiguous or compact), no external storage;
//   * a filter pipeline of deflate and shuffle only (in any order, either or both; without
//     any filter netCDF-C already reads chunks straight into the caller's buffer); szip,
//     fletcher32, n-bit, scale-offset and plugin filters are not decoded here;
//   * an integer or float type of the variable's size, either byte order;
//   * the HDF5 extent equals the netCDF shape (a variable shorter than its unlimited dim
//     reads as fill past its end in netCDF-C);
//   * a fill value, or fill written at allocation: an unallocated chunk then reads as the
//     fill value (as HDF5 itself returns it).
// A chunk whose filter mask skips a filter decodes with the rest of the pipeline.
// HDF5 calls are made on the reading thread only (Debian's HDF5 is not thread-safe).
#pragma once

#include <hdf5.h>

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "chunk_read.hpp"
#include "zpmpi/model/dataset.hpp"

namespace zpmpi::source {

/// One variable read through its chunk index: the StoredArray and the ChunkLocator.
class Hdf5ChunkedVariable final : public ChunkLocator {
 public:
  ~Hdf5ChunkedVariable() override;
  Hdf5ChunkedVariable(const Hdf5ChunkedVariable&) = delete;
  Hdf5ChunkedVariable& operator=(const Hdf5ChunkedVariable&) = delete;

  const StoredArray& array() const { return array_; }

  /// The stored size (url kSelfRead), or missing for a chunk never written.
  Result<kerchunk::ChunkRef> locate(std::uint64_t index) override;
  /// H5Dread_chunk: the raw bytes and the filter mask they were stored with.
  Status read_stored(std::uint64_t index, kerchunk::ChunkRef& ref, std::span<std::byte> out) override;
  const std::string& url(std::uint32_t) const override { return path_; }
  const codec::DecodeChain* chain_for(const kerchunk::ChunkRef& ref) const override;
  std::string context() const override { return path_ + ": " + name_; }
  std::string chunk_name(std::uint64_t index) const override;
  std::string where(std::uint64_t index, const kerchunk::ChunkRef& ref) const override;

 private:
  friend class Hdf5Chunks;
  Hdf5ChunkedVariable() = default;
  /// The chain for chunks stored with `mask` (bit i set: filter i of the pipeline skipped),
  /// made on first use; its number goes in ChunkRef::url.
  Result<std::uint32_t> variant(unsigned mask);
  /// The first element of chunk `index` (C-order number), as HDF5 names a chunk.
  std::vector<hsize_t> element_offset(std::uint64_t index) const;

  std::string path_, name_;
  hid_t dataset_ = -1;
  StoredArray array_;
  std::string dtype_;                  ///< zarr dtype string of the stored type ("<f4", ">i2")
  std::vector<boost::json::object> filters_;  ///< the pipeline as codecs, in the order it encodes
  std::vector<unsigned> masks_;        ///< masks_[k]: the mask of variant k (0 first); guarded by masks_mutex_
  /// where() runs on a worker (a decode error) while the reading thread may add a variant.
  mutable std::mutex masks_mutex_;
  std::map<std::uint32_t, codec::DecodeChain> chains_;  ///< variants k > 0 (node-stable)
  model::Shape grid_;                  ///< chunks per dim
};

/// An HDF5 handle on a netCDF-4 file, opened read-only beside netCDF-C's own.
class Hdf5Chunks {
 public:
  static Result<std::unique_ptr<Hdf5Chunks>> open(const std::string& path);
  ~Hdf5Chunks();
  Hdf5Chunks(const Hdf5Chunks&) = delete;
  Hdf5Chunks& operator=(const Hdf5Chunks&) = delete;

  /// `v` (as netCDF-C describes it) of the group at `group` ("/" or "/g1/g2"), or nullptr
  /// with `why_not` saying why netCDF-C reads it ("contiguous storage", "filter szip").
  Result<std::unique_ptr<Hdf5ChunkedVariable>> variable(const std::string& group, const model::Variable& v,
                                                        std::string& why_not);
  /// What an HDF5 dataset that netCDF-C calls `string` really holds ("HDF5 16-byte
  /// float": a long double, which netCDF-C maps to NC_STRING and then reads as char
  /// pointers), or "" when it is a string (or HDF5 cannot tell).
  std::string not_a_string(const std::string& group, const std::string& variable) const;

 private:
  /// The dataset of `variable` in `group` (owned by the caller), or a negative id.
  hid_t open_dataset(const std::string& group, const std::string& variable) const;
  Hdf5Chunks(std::string path, hid_t file) : path_(std::move(path)), file_(file) {}
  std::string path_;
  hid_t file_;
};

}  // namespace zpmpi::source
