// ChunkedReader on its own: a 1-D array of zstd chunks whose stored bytes a fake locator
// reads itself (as HDF5 chunks are read), so that each chunk's stored size is chosen.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "zpmpi/codec/codec.hpp"

#include "chunk_read.hpp"

namespace zpmpi::source {
namespace {

using kerchunk::ChunkRef;
using model::Box;

constexpr std::size_t kChunk = std::size_t{4} << 20;  // 4 MiB of u1: a budget of 8 MiB for one worker

/// Chunk i holds `random_bytes[i]` random bytes, then zeros: zstd stores about that many.
class FakeChunks final : public ChunkLocator {
 public:
  explicit FakeChunks(const std::vector<std::size_t>& random_bytes) {
    std::mt19937 gen(7);
    const auto codec = codec::make_codec({codec::CodecId::kZstd, 1, 1});
    for (std::size_t n : random_bytes) {
      std::vector<std::byte> chunk(kChunk, std::byte{0});
      for (std::size_t i = 0; i < n; ++i) chunk[i] = static_cast<std::byte>(gen());
      data.insert(data.end(), chunk.begin(), chunk.end());
      std::vector<std::byte> encoded(codec->max_encoded_size(kChunk));
      auto size = codec->encode(chunk, encoded);
      EXPECT_TRUE(size.ok());
      encoded.resize(size.ok() ? size.value() : 0);
      stored.push_back(std::move(encoded));
    }
  }
  Result<ChunkRef> locate(std::uint64_t index) override {
    ChunkRef ref;
    ref.length = static_cast<std::uint32_t>(stored.at(index).size());
    ref.url = ChunkRef::kSelfRead;
    return ref;
  }
  Status read_stored(std::uint64_t index, ChunkRef&, std::span<std::byte> out) override {
    std::memcpy(out.data(), stored.at(index).data(), out.size());
    return {};
  }
  const std::string& url(std::uint32_t) const override { return name_; }
  std::string context() const override { return "fake: v"; }
  std::string chunk_name(std::uint64_t index) const override { return std::to_string(index); }
  std::string where(std::uint64_t index, const ChunkRef&) const override { return "chunk " + std::to_string(index); }

  std::vector<std::byte> data;                 ///< every chunk, decoded
  std::vector<std::vector<std::byte>> stored;  ///< every chunk, as stored

 private:
  std::string name_ = "fake";
};

StoredArray u1_array(std::size_t chunks) {
  StoredArray a;
  a.dtype = model::DType::u1;
  a.shape = {chunks * kChunk};
  a.chunks = {kChunk};
  auto chain = codec::DecodeChain::from_zarr(boost::json::parse(R"({"id": "zstd", "level": 1})"), nullptr, "|u1");
  EXPECT_TRUE(chain.ok());
  a.chain = std::move(chain).value();
  a.fill = {std::byte{0}};
  return a;
}

// Chunks 0-2 make two groups (2.9 + 2.9 MiB, then 4 MiB: 9.8 MiB is over the budget),
// chunks 3-4 one group of 7.9 MiB. Sized to what its first group needed (6 MiB in 2 MiB
// pages), the buffer would grow to 8 MiB at the second read, leaving the 6 MiB block
// resident and touching 8 MiB more.
TEST(ChunkedReader, AReadOfSeveralGroupsSizesItsBufferOnceToTheBudget) {
  const std::size_t mib = std::size_t{1} << 20;
  FakeChunks chunks({29 * mib / 10, 29 * mib / 10, kChunk, kChunk, kChunk - mib / 10});
  const StoredArray array = u1_array(5);
  ChunkedReader reader(nullptr);
  std::vector<std::byte> out(3 * kChunk);
  ASSERT_TRUE(reader.read(array, chunks, Box{{0}, {3 * kChunk}}, {}, out, nullptr).ok());
  EXPECT_EQ(0, std::memcmp(out.data(), chunks.data.data(), out.size()));
  const std::size_t after_first = reader.fetched_capacity();
  EXPECT_EQ(after_first, 2 * kChunk);

  out.assign(2 * kChunk, std::byte{1});
  ASSERT_TRUE(reader.read(array, chunks, Box{{3 * kChunk}, {2 * kChunk}}, {}, out, nullptr).ok());
  EXPECT_EQ(0, std::memcmp(out.data(), chunks.data.data() + 3 * kChunk, out.size()));
  EXPECT_EQ(reader.fetched_capacity(), after_first) << "the stored-chunk buffer grew";
}

TEST(ChunkedReader, AReadOfOneGroupTakesOnlyItsStoredBytes) {
  const std::size_t mib = std::size_t{1} << 20;
  FakeChunks chunks({mib, mib});
  const StoredArray array = u1_array(2);
  ChunkedReader reader(nullptr);
  std::vector<std::byte> out(2 * kChunk);
  ASSERT_TRUE(reader.read(array, chunks, Box{{0}, {2 * kChunk}}, {}, out, nullptr).ok());
  EXPECT_EQ(0, std::memcmp(out.data(), chunks.data.data(), out.size()));
  EXPECT_LE(reader.fetched_capacity(), 4 * mib);  // about 2 MiB stored, rounded to 2 MiB pages
}

}  // namespace
}  // namespace zpmpi::source
