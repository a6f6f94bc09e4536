// zpmpi's own decoding of netCDF-4 chunks (hdf5_chunks.hpp) against netCDF-C's, chunk by
// chunk, on files written by netCDF4-python and h5py: zlib levels 1 and 9, with and without
// shuffle, int16/uint8/int64/float32/float64, big-endian, partial edge chunks, unallocated
// chunks, a chunk stored with a filter skipped (non-zero filter mask), 2-D and 4-D, a group,
// a variable named like a dim it is not the coordinate of; which variables netCDF-C keeps
// (contiguous, fletcher32, shorter than its unlimited dim); a corrupt chunk's error.
#include <gtest/gtest.h>

#include <fstream>

#include "../../common/run_python.hpp"
#include "../../common/thread_runner.hpp"
#include "netcdf_fixture.hpp"

namespace zpmpi::source {
namespace {

using model::Box;
using model::Index;
using model::Shape;
using zpmpi::testing::ThreadRunner;

// Variables and what decodes them; `mask` gets its chunk (1, 1) rewritten by h5py with the
// deflate filter skipped (stored only shuffled).
constexpr const char* kMakeFile = R"PY(
import sys, numpy as np, netCDF4, h5py
path = sys.argv[1]
rng = np.random.default_rng(7)
d = netCDF4.Dataset(path, "w")
d.createDimension("t", None)
for name, n in (("z", 3), ("y", 13), ("x", 10)):
    d.createDimension(name, n)
def var(name, dtype, dims, data=None, **kw):
    v = d.createVariable(name, dtype, dims, **kw)
    if data is not None:
        v[...] = data
    return v
f = lambda *shape: rng.standard_normal(shape).astype("f4") * 100
var("f32_z1_shuffle", "f4", ("t", "y", "x"), f(7, 13, 10), zlib=True, complevel=1, shuffle=True, chunksizes=(3, 5, 4))
var("f32_z9", "f4", ("t", "y", "x"), f(7, 13, 10), zlib=True, complevel=9, shuffle=False, chunksizes=(2, 13, 3))
var("i16_z1", "i2", ("y", "x"), rng.integers(-3000, 3000, (13, 10)), zlib=True, complevel=1, chunksizes=(4, 4))
var("u8_shuffle", "u1", ("y", "x"), rng.integers(0, 255, (13, 10)), zlib=True, chunksizes=(6, 6))
var("i64", "i8", ("y", "x"), rng.integers(-2**40, 2**40, (13, 10)), zlib=True, chunksizes=(5, 7))
var("f64_big", "f8", ("y", "x"), rng.standard_normal((13, 10)), zlib=True, shuffle=True, endian="big", chunksizes=(5, 3))
var("i16_big_raw", "i2", ("y", "x"), rng.integers(-3000, 3000, (13, 10)), endian="big", chunksizes=(4, 4))
var("i16_big_z", "i2", ("y", "x"), rng.integers(-3000, 3000, (13, 10)), zlib=True, endian="big", chunksizes=(4, 4))
var("f32_4d", "f4", ("t", "z", "y", "x"), f(7, 3, 13, 10), zlib=True, chunksizes=(2, 2, 6, 4))
sparse = var("f32_sparse", "f4", ("y", "x"), None, zlib=True, chunksizes=(4, 4), fill_value=-7.5)
sparse[0:4, 0:4] = 1.0
sparse[8:12, 4:8] = 2.0
var("f32_never_written", "f4", ("y", "x"), None, zlib=True, chunksizes=(4, 4))
var("f32_raw", "f4", ("y", "x"), f(13, 10), chunksizes=(4, 3))
var("mask", "f4", ("y", "x"), f(13, 10), zlib=True, shuffle=True, chunksizes=(4, 4))
var("x", "f4", ("y",), f(13), zlib=True, chunksizes=(5,))
var("f32_contiguous", "f4", ("y", "x"), f(13, 10))
var("f32_fletcher", "f4", ("y", "x"), f(13, 10), zlib=True, fletcher32=True, chunksizes=(4, 4))
var("f32_short", "f4", ("t", "x"), f(3, 10), zlib=True, chunksizes=(2, 4))
g = d.createGroup("g")
g.createVariable("inner", "f4", ("y", "x"), zlib=True, chunksizes=(7, 7))[...] = f(13, 10)
d.close()

with h5py.File(path, "r+") as h:
    ds = h["mask"]
    plist = ds.id.get_create_plist()
    ids = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    values = ds[4:8, 4:8].astype("<f4")
    raw = np.ascontiguousarray(values).view("u1").reshape(16, 4).T.copy().tobytes()  # shuffled
    ds.id.write_direct_chunk((4, 4), raw, filter_mask=1 << ids.index(1))  # deflate skipped
)PY";

class NetcdfOwnDecodeTest : public testing::NetcdfTest {
 protected:
  void SetUp() override {
    NetcdfTest::SetUp();
    file_ = path("sources.nc");
    ASSERT_EQ(zpmpi::testing::run_python(kMakeFile, {file_}), 0);
  }

  static std::unique_ptr<Source> open_with(const std::string& p, bool own, const std::string& group = "") {
    auto s = open_netcdf(p, group, own);
    if (!s.ok()) throw std::runtime_error(s.error().message);
    return std::move(s).value();
  }

  /// Reads `box` of `name` through both decoders; expects the same bytes.
  static void expect_same(Source& own, Source& netcdf_c, const std::string& name, const Box& box,
                          const Shape& stride = {}, TaskRunner* runner = nullptr) {
    const model::Variable* v = own.dataset().find_variable(name);
    ASSERT_NE(v, nullptr) << name;
    const std::size_t bytes = box.num_elements() * model::dtype_size(v->dtype);
    std::vector<std::byte> a(bytes, std::byte{0xAB}), b(bytes, std::byte{0xCD});
    auto st = own.read(name, box, a, stride, runner);
    ASSERT_TRUE(st.ok()) << st.error().message;
    st = netcdf_c.read(name, box, b, stride, nullptr);
    ASSERT_TRUE(st.ok()) << st.error().message;
    ASSERT_TRUE(a == b) << name << " box start " << model::to_string(box.start) << " count "
                        << model::to_string(box.count);
  }

  std::string file_;
};

const std::vector<std::string> kOwn = {"f32_z1_shuffle", "f32_z9",     "i16_z1", "u8_shuffle", "i64",
                                       "f64_big",        "i16_big_z", "f32_4d",     "f32_sparse", "mask", "x", "f32_never_written"};
const std::vector<std::string> kNetcdfC = {"f32_contiguous", "f32_fletcher", "f32_short", "f32_raw", "i16_big_raw"};

TEST_F(NetcdfOwnDecodeTest, SaysWhichVariablesEachDecoderReads) {
  auto own = open_with(file_, true);
  auto all_c = open_with(file_, false);
  for (const auto& name : kOwn) {
    EXPECT_TRUE(testing::variable(own->dataset(), name).decoded_on_workers) << name;
    EXPECT_FALSE(testing::variable(all_c->dataset(), name).decoded_on_workers) << name;
  }
  for (const auto& name : kNetcdfC) EXPECT_FALSE(testing::variable(own->dataset(), name).decoded_on_workers) << name;
  EXPECT_TRUE(all_c->dataset().decoders.empty());
  std::string log;
  for (const auto& line : own->dataset().decoders) log += line + "\n";
  EXPECT_NE(log.find("decoded by zpmpi (zlib(level=1) <- shuffle(4)): f32_z1_shuffle"), std::string::npos) << log;
  EXPECT_NE(log.find("decoded by zpmpi (zlib(level=9)): f32_z9"), std::string::npos) << log;
  EXPECT_NE(log.find("read through netCDF-C (not chunked): f32_contiguous"), std::string::npos) << log;
  EXPECT_NE(log.find("read through netCDF-C (filter fletcher32): f32_fletcher"), std::string::npos) << log;
  EXPECT_NE(log.find("read through netCDF-C (uncompressed): i16_big_raw, f32_raw"), std::string::npos) << log;
  EXPECT_NE(log.find("read through netCDF-C (stored extent shorter than its dims): f32_short"), std::string::npos)
      << log;
}

TEST_F(NetcdfOwnDecodeTest, EveryChunkDecodesToNetcdfCsBytes) {
  auto own = open_with(file_, true);
  auto netcdf_c = open_with(file_, false);
  std::vector<std::string> names = kOwn;
  names.insert(names.end(), kNetcdfC.begin(), kNetcdfC.end());
  for (const auto& name : names) {
    const model::Variable& v = testing::variable(own->dataset(), name);
    const std::size_t rank = v.shape.size();
    // Each source chunk alone (edge chunks clipped to the shape), in C order.
    Shape at(rank, 0);
    for (;;) {
      Box box{Shape(rank), Shape(rank)};
      for (std::size_t d = 0; d < rank; ++d) {
        box.start[d] = at[d] * v.source_chunks[d];
        box.count[d] = std::min(v.source_chunks[d], v.shape[d] - box.start[d]);
      }
      expect_same(*own, *netcdf_c, name, box);
      if (::testing::Test::HasFatalFailure()) return;
      std::size_t d = rank;
      while (d > 0 && (at[d - 1] + 1) * v.source_chunks[d - 1] >= v.shape[d - 1]) at[--d] = 0;
      if (d == 0) break;
      ++at[d - 1];
    }
    // The whole variable on two workers, and a strided box across chunks.
    ThreadRunner two(2);
    expect_same(*own, *netcdf_c, name, Box{Shape(rank, 0), v.shape}, {}, &two);
    Box strided{Shape(rank, 1), Shape(rank)};
    Shape stride(rank);
    for (std::size_t d = 0; d < rank; ++d) {
      stride[d] = d % 2 ? 3 : 2;
      strided.count[d] = (v.shape[d] - 1 + stride[d] - 1) / stride[d];
    }
    expect_same(*own, *netcdf_c, name, strided, stride, &two);
  }
}

/// Runs the tasks of `reads` on two threads at once, interleaving the reads' tasks (as
/// the executor's batches in flight do); the first error.
Status run_interleaved(std::vector<std::unique_ptr<DeferredRead>>& reads) {
  std::vector<std::pair<DeferredRead*, std::size_t>> all;
  for (std::size_t t = 0;; ++t) {  // task t of every read, then t + 1
    bool any = false;
    for (auto& r : reads)
      if (t < r->tasks()) {
        all.emplace_back(r.get(), t);
        any = true;
      }
    if (!any) break;
  }
  ThreadRunner two(2);
  return two.run(all.size(), [&](std::size_t i, int worker) { return all[i].first->run(all[i].second, worker); });
}

TEST_F(NetcdfOwnDecodeTest, PreparedReadsDecodeOnWorkersToNetcdfCsBytes) {
  auto own = open_with(file_, true);
  auto netcdf_c = open_with(file_, false);
  for (const auto& name : kOwn) {
    SCOPED_TRACE(name);
    const model::Variable& v = testing::variable(own->dataset(), name);
    const std::size_t rank = v.shape.size(), esize = model::dtype_size(v.dtype);
    // Two reads in flight at once: the whole variable, and a box from 1 with steps 2 and 3.
    Box whole{Shape(rank, 0), v.shape}, strided{Shape(rank, 1), Shape(rank)};
    Shape stride(rank);
    for (std::size_t d = 0; d < rank; ++d) {
      stride[d] = d % 2 ? 3 : 2;
      strided.count[d] = (v.shape[d] - 1 + stride[d] - 1) / stride[d];
    }
    const std::vector<std::pair<Box, Shape>> boxes{{whole, {}}, {strided, stride}};
    std::vector<std::vector<std::byte>> got, want;
    std::vector<model::ByteBuffer> stored(boxes.size());
    std::vector<std::unique_ptr<DeferredRead>> reads;
    for (std::size_t i = 0; i < boxes.size(); ++i) {
      const auto& [box, step] = boxes[i];
      got.emplace_back(box.num_elements() * esize, std::byte{0xAB});
      want.emplace_back(box.num_elements() * esize, std::byte{0xCD});
      ASSERT_TRUE(netcdf_c->read(name, box, want.back(), step, nullptr).ok());
      auto read = own->prepare_read(name, box, got.back(), step, stored[i], 1u << 30, 2);
      ASSERT_TRUE(read.ok()) << read.error().message;
      ASSERT_NE(*read, nullptr);
      reads.push_back(std::move(read).value());
    }
    const Status st = run_interleaved(reads);
    ASSERT_TRUE(st.ok()) << st.error().message;
    for (std::size_t i = 0; i < boxes.size(); ++i) EXPECT_TRUE(got[i] == want[i]) << "box " << i;
  }
}

TEST_F(NetcdfOwnDecodeTest, AReadIsNotSplitBeyondItsStoredBytesBudgetOrThroughNetcdfC) {
  auto own = open_with(file_, true);
  std::vector<float> out(7 * 13 * 10);
  model::ByteBuffer stored;
  const Box whole{{0, 0, 0}, {7, 13, 10}};
  auto read = own->prepare_read("f32_z1_shuffle", whole, std::as_writable_bytes(std::span(out)), {}, stored, 100, 2);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, nullptr);  // its chunks take more than 100 stored bytes
  std::vector<float> contiguous(13 * 10);
  read = own->prepare_read("f32_contiguous", Box{{0, 0}, {13, 10}}, std::as_writable_bytes(std::span(contiguous)), {},
                           stored, 1u << 30, 2);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, nullptr);
  // A box outside the variable is the same error as read()'s.
  read = own->prepare_read("f32_z1_shuffle", Box{{1, 0, 0}, {7, 13, 10}}, std::as_writable_bytes(std::span(out)), {},
                           stored, 1u << 30, 2);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("outside the shape"), std::string::npos) << read.error().message;
}

TEST_F(NetcdfOwnDecodeTest, UnallocatedChunksReadAsTheFillValue) {
  auto own = open_with(file_, true);
  std::vector<float> out(13 * 10);
  ASSERT_TRUE(own->read("f32_sparse", Box{{0, 0}, {13, 10}}, std::as_writable_bytes(std::span(out)), {}, nullptr).ok());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[8 * 10 + 4], 2.0f);
  EXPECT_EQ(out[12 * 10 + 9], -7.5f);
  EXPECT_EQ(out[4 * 10 + 0], -7.5f);
}

TEST_F(NetcdfOwnDecodeTest, ReadsAVariableOfAGroup) {
  auto own = open_with(file_, true, "g");
  auto netcdf_c = open_with(file_, false, "g");
  EXPECT_TRUE(testing::variable(own->dataset(), "inner").decoded_on_workers);
  expect_same(*own, *netcdf_c, "inner", Box{{0, 0}, {13, 10}});
}

TEST_F(NetcdfOwnDecodeTest, ACorruptChunkIsAnErrorNamingFileVariableAndChunk) {
  // Garbage in the middle of chunk (1, 0) of i16_z1 (its deflate stream; the adler32 no longer matches).
  ASSERT_EQ(zpmpi::testing::run_python(R"PY(
import sys, h5py
with h5py.File(sys.argv[1], "r") as h:
    info = h["i16_z1"].id.get_chunk_info_by_coord((4, 0))
with open(sys.argv[1], "r+b") as f:
    f.seek(info.byte_offset + info.size // 2)
    f.write(b"\xff\x00\xff\x00\xff\x00")
)PY",
                                       {file_}),
            0);
  auto own = open_with(file_, true);
  std::vector<std::int16_t> out(13 * 10);
  auto st = own->read("i16_z1", Box{{0, 0}, {13, 10}}, std::as_writable_bytes(std::span(out)), {}, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(file_ + ": i16_z1: chunk (1, 0) ("), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("zlib"), std::string::npos) << st.error().message;
  // The same error from a prepared read's task.
  model::ByteBuffer stored;
  auto read = own->prepare_read("i16_z1", Box{{0, 0}, {13, 10}}, std::as_writable_bytes(std::span(out)), {}, stored,
                                1u << 30, 2);
  ASSERT_TRUE(read.ok() && *read) << (read.ok() ? "not split" : read.error().message);
  std::vector<std::unique_ptr<DeferredRead>> reads;
  reads.push_back(std::move(read).value());
  st = run_interleaved(reads);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(file_ + ": i16_z1: chunk (1, 0) ("), std::string::npos)
      << st.error().message;
}

}  // namespace
}  // namespace zpmpi::source
