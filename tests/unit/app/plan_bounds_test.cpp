// The planner counts a worker's encoded-chunk buffer with the bound the job's codec
// publishes: exactly what the codec's encode may need, for every codec.
#include "zpmpi/app/plan_bounds.hpp"

#include <gtest/gtest.h>

namespace zpmpi::app {
namespace {

TEST(OwnerBounds, EncodedSizeIsTheJobCodecsOwnBound) {
  codec::CodecSpec gzip{codec::CodecId::kGzip}, blosc{codec::CodecId::kBlosc};
  gzip.level = 9;
  blosc.cname = codec::BloscName::kZstd;
  blosc.shuffle = codec::kBitShuffle;
  for (const codec::CodecSpec& spec : {codec::CodecSpec{codec::CodecId::kZstd, 3}, codec::CodecSpec{codec::CodecId::kLz4},
                                       gzip, blosc, codec::CodecSpec{codec::CodecId::kNone}}) {
    const auto bound = owner_bounds(spec).encoded_size;
    const auto coder = codec::make_codec(spec);
    for (std::uint64_t n : {0ULL, 1ULL, 4096ULL, 1'000'003ULL, 1ULL << 31})
      EXPECT_EQ(bound(n), coder->max_encoded_size(n)) << static_cast<int>(spec.id) << " " << n;
  }
  // blosc's worst case is a copy behind its 16-byte header; gzip's is stored blocks.
  EXPECT_EQ(owner_bounds(blosc).encoded_size(1'000'000), 1'000'016u);
  EXPECT_GT(owner_bounds(gzip).encoded_size(1'000'000), 1'000'018u);
}

}  // namespace
}  // namespace zpmpi::app
