// Shard index encoding and checking (see shard_index.hpp).
#include "zpmpi/zarr/shard_index.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "zpmpi/codec/crc32c.hpp"

namespace zpmpi::zarr {
namespace {

constexpr std::uint64_t kEntryBytes = 16;
constexpr std::uint64_t kCrcBytes = 4;

void put_le(std::uint64_t v, int bytes, std::byte* out) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}

std::uint64_t get_le(const std::byte* in, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | std::to_integer<std::uint64_t>(in[i]);
  return v;
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string chunk_text(std::uint64_t slot, const ShardEntry& e) {
  return std::to_string(slot) + " (bytes " + std::to_string(e.offset) + ".." +
         std::to_string(e.offset + e.nbytes - 1) + ")";
}

/// Each present entry alone: both fields set, not empty, inside the data before the index.
Status check_entry(std::uint64_t slot, const ShardEntry& e, std::uint64_t data_size) {
  if (e.absent()) return {};
  if (e.offset == kAbsentChunk || e.nbytes == kAbsentChunk)
    return runtime_error("inner chunk " + std::to_string(slot) + ": offset " +
                         (e.offset == kAbsentChunk ? "2^64-1" : std::to_string(e.offset)) + " with nbytes " +
                         (e.nbytes == kAbsentChunk ? "2^64-1" : std::to_string(e.nbytes)) +
                         " (an absent chunk has both 2^64-1)");
  if (e.nbytes == 0)
    return runtime_error("inner chunk " + std::to_string(slot) + " is empty (0 bytes at offset " +
                         std::to_string(e.offset) + ")");
  if (e.offset > data_size || e.nbytes > data_size - e.offset)
    return runtime_error("inner chunk " + chunk_text(slot, e) + " ends past the chunk data, which is " +
                         std::to_string(data_size) + " bytes before the index");
  return {};
}

/// Present entries pairwise: sorted by offset, each ends before the next begins.
Status check_no_overlap(const std::vector<ShardEntry>& entries) {
  std::vector<std::uint64_t> present;
  for (std::uint64_t s = 0; s < entries.size(); ++s)
    if (!entries[s].absent()) present.push_back(s);
  std::sort(present.begin(), present.end(),
            [&](std::uint64_t a, std::uint64_t b) { return entries[a].offset < entries[b].offset; });
  for (std::size_t i = 1; i < present.size(); ++i) {
    const ShardEntry& prev = entries[present[i - 1]];
    const ShardEntry& next = entries[present[i]];
    if (prev.offset + prev.nbytes > next.offset) {
      const auto [a, b] = std::minmax(present[i - 1], present[i]);
      return runtime_error("inner chunks " + chunk_text(a, entries[a]) + " and " + chunk_text(b, entries[b]) +
                           " overlap");
    }
  }
  return {};
}

}  // namespace

model::Shape chunks_per_shard(const model::Shape& shard_shape, const model::Shape& chunk_shape) {
  model::Shape per(shard_shape.size());
  for (std::size_t d = 0; d < per.size(); ++d) per[d] = shard_shape[d] / chunk_shape[d];
  return per;
}

model::Shape shard_of_chunk(const model::Shape& chunk_index, const model::Shape& per_shard) {
  model::Shape shard(chunk_index.size());
  for (std::size_t d = 0; d < shard.size(); ++d) shard[d] = chunk_index[d] / per_shard[d];
  return shard;
}

std::uint64_t shard_slot(const model::Shape& chunk_index, const model::Shape& per_shard) {
  std::uint64_t slot = 0;
  for (std::size_t d = 0; d < chunk_index.size(); ++d) slot = slot * per_shard[d] + chunk_index[d] % per_shard[d];
  return slot;
}

std::uint64_t shard_index_size(std::uint64_t slots) { return kEntryBytes * slots + kCrcBytes; }

std::vector<std::byte> encode_shard_index(std::span<const ShardEntry> entries) {
  std::vector<std::byte> out(shard_index_size(entries.size()));
  for (std::size_t s = 0; s < entries.size(); ++s) {
    put_le(entries[s].offset, 8, &out[kEntryBytes * s]);
    put_le(entries[s].nbytes, 8, &out[kEntryBytes * s + 8]);
  }
  const std::uint64_t body = kEntryBytes * entries.size();
  put_le(codec::crc32c(std::span(out).first(body)), kCrcBytes, &out[body]);
  return out;
}

Result<std::vector<ShardEntry>> decode_shard_index(std::span<const std::byte> index, std::uint64_t slots,
                                                   std::uint64_t file_size) {
  const std::uint64_t size = shard_index_size(slots);
  if (index.size() != size || file_size < size)
    return runtime_error("shard index has " + std::to_string(std::min<std::uint64_t>(index.size(), file_size)) +
                         " bytes, expected " + std::to_string(size) + " (" + std::to_string(slots) +
                         " inner chunks)");
  const std::uint64_t body = kEntryBytes * slots;
  const auto stored = static_cast<std::uint32_t>(get_le(&index[body], kCrcBytes));
  const std::uint32_t computed = codec::crc32c(index.first(body));
  if (stored != computed)
    return runtime_error("shard index crc32c is " + hex32(stored) + ", its bytes give " + hex32(computed));
  std::vector<ShardEntry> entries(slots);
  for (std::uint64_t s = 0; s < slots; ++s) {
    entries[s] = {get_le(&index[kEntryBytes * s], 8), get_le(&index[kEntryBytes * s + 8], 8)};
    ZPMPI_RETURN_IF_ERROR(check_entry(s, entries[s], file_size - size));
  }
  ZPMPI_RETURN_IF_ERROR(check_no_overlap(entries));
  return entries;
}

ShardIndexBuilder::ShardIndexBuilder(std::uint64_t slots) : entries_(slots) {}

Result<std::uint64_t> ShardIndexBuilder::append(std::uint64_t slot, std::uint64_t nbytes) {
  if (slot >= entries_.size())
    return runtime_error("inner chunk slot " + std::to_string(slot) + " is outside a shard of " +
                         std::to_string(entries_.size()) + " inner chunks");
  if (!entries_[slot].absent()) return runtime_error("inner chunk slot " + std::to_string(slot) + " appended twice");
  if (nbytes == 0) return runtime_error("inner chunk slot " + std::to_string(slot) + ": 0 bytes");
  entries_[slot] = {data_bytes_, nbytes};
  data_bytes_ += nbytes;
  return entries_[slot].offset;
}

std::vector<std::byte> ShardIndexBuilder::index() const { return encode_shard_index(entries_); }

}  // namespace zpmpi::zarr
