// Memory planning of arrays whose values change on the way (astype, clip, ...: a value
// stage): the hyperslab holds source elements, each worker's chunk and its encoding the
// output dtype, plus one strided row in the source type.
#include <cmath>

#include "plan_test_util.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

model::ArrayLayout with_stage(model::ArrayLayout s, model::DType source, model::DType out) {
  model::ValueStage st;
  st.source_dtype = source;
  st.masked_dtype = st.decoded_dtype = model::is_float(source) ? source : model::DType::f4;
  s.values = st;
  s.dtype = out;
  return s;
}

/// The plan's footprint of one array of one chunk (one batch of one chunk).
std::uint64_t footprint(const model::ArrayLayout& s) {
  auto p = make_plan({s}, opts(1, 1));
  EXPECT_TRUE(p.ok()) << p.error().message;
  return p.ok() ? p->arrays[0].batch_footprint : 0;
}

TEST(ValueStageSizes, Float16OutputHalvesTheChunkBuffers) {
  const auto f4 = spec("t", {10, 200}, {10, 200}, {10, 200});
  const auto f2 = with_stage(f4, model::DType::f4, model::DType::f2);
  const std::uint64_t hyper = 10 * 200 * 4;  // source float32, read straight
  const std::uint64_t chunk4 = 10 * 200 * 4, chunk2 = 10 * 200 * 2;
  EXPECT_EQ(footprint(f4), hyper + chunk4 + max_encoded_size(chunk4));
  EXPECT_EQ(footprint(f2), hyper + chunk2 + max_encoded_size(chunk2) + 200 * 4);  // + one float32 row
  EXPECT_LT(footprint(f2), footprint(f4));
}

TEST(ValueStageSizes, PackedShortDecodedToFloat32DoublesTheChunkBuffers) {
  const auto i2 = spec("d", {10, 200}, {10, 200}, {10, 200}, model::DType::i2);
  const auto f4 = with_stage(i2, model::DType::i2, model::DType::f4);
  const std::uint64_t hyper = 10 * 200 * 2;  // the hyperslab stays in shorts
  const std::uint64_t chunk2 = 10 * 200 * 2, chunk4 = 10 * 200 * 4;
  EXPECT_EQ(footprint(i2), hyper + chunk2 + max_encoded_size(chunk2));
  EXPECT_EQ(footprint(f4), hyper + chunk4 + max_encoded_size(chunk4) + 200 * 2);
}

TEST(ValueStageSizes, ThePlanRoundTripsTheStageAndTheOrder) {
  auto s = with_stage(spec("d", {100, 200}, {10, 200}, {10, 200}, model::DType::i2), model::DType::i2,
                      model::DType::f2);
  s.values->mask = {model::Scalar{std::int64_t{-32767}}};
  s.values->scale_factor = model::Scalar{0.0015};
  s.values->ops = {{"clip", model::Scalar{270.0}, std::nullopt}, {"fillna", model::Scalar{std::nan("")}, std::nullopt}};
  s.map.order = {1, 0};
  s.shape = {200, 100};
  s.chunks = {200, 10};
  s.alignment = {200, 10};
  auto p = make_plan({s}, opts(2, 2));
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto back = plan_from_json(plan_to_json(*p));
  ASSERT_TRUE(back.ok()) << back.error().message;
  const model::ArrayLayout& b = back->arrays[0].layout;
  EXPECT_EQ(b.map.order, s.map.order);
  ASSERT_TRUE(b.values.has_value());
  EXPECT_EQ(b.values->mask, s.values->mask);
  EXPECT_EQ(b.values->scale_factor, s.values->scale_factor);
  EXPECT_EQ(b.values->ops[0], s.values->ops[0]);
  EXPECT_TRUE(std::isnan(std::get<double>(*b.values->ops[1].a)));
  EXPECT_EQ(b.dtype, model::DType::f2);
}

}  // namespace
}  // namespace zpmpi::plan
