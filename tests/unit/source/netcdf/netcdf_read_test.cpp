// read(): values of every numeric dtype, hyperslabs at offsets, rank-0 and empty boxes,
// and the errors that name the file and variable.
#include <limits>

#include "netcdf_fixture.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {
namespace {

using model::Box;
using model::DType;
using testing::bytes_of;
using testing::NetcdfTest;

std::unique_ptr<Source> open_or_throw(const std::string& p) {
  auto source = open_netcdf(p);
  if (!source.ok()) throw std::runtime_error(source.error().message);
  return std::move(source).value();
}

// ---- every numeric dtype -------------------------------------------------------------

template <class T, nc_type kNc, DType kDType>
struct Case {
  using Type = T;
  static constexpr nc_type nc = kNc;
  static constexpr DType dtype = kDType;
};

template <class C>
class NetcdfDtypeTest : public NetcdfTest {};

using DtypeCases = ::testing::Types<
    Case<std::int8_t, NC_BYTE, DType::i1>, Case<std::uint8_t, NC_UBYTE, DType::u1>,
    Case<std::int16_t, NC_SHORT, DType::i2>, Case<std::uint16_t, NC_USHORT, DType::u2>,
    Case<std::int32_t, NC_INT, DType::i4>, Case<std::uint32_t, NC_UINT, DType::u4>,
    Case<std::int64_t, NC_INT64, DType::i8>, Case<std::uint64_t, NC_UINT64, DType::u8>,
    Case<float, NC_FLOAT, DType::f4>, Case<double, NC_DOUBLE, DType::f8>>;
TYPED_TEST_SUITE(NetcdfDtypeTest, DtypeCases);

TYPED_TEST(NetcdfDtypeTest, RoundTripsThroughRead) {
  using T = typename TypeParam::Type;
  using Limits = std::numeric_limits<T>;
  // Netcdf-4 holds all ten types; CDF5 (netCDF-3 64-bit data) too, stored big-endian,
  // so the bytes read back also prove the conversion to native order.
  for (int mode : {NC_NETCDF4, NC_64BIT_DATA}) {
    SCOPED_TRACE(mode);
    const std::string p = this->path("dtype" + std::to_string(mode) + ".nc");
    const T seven = static_cast<T>(Limits::is_signed ? -7 : 7);
    const std::vector<T> values = {Limits::lowest(), T{0}, T{1}, Limits::max(), T{42}, seven};
    int ncid, x, var;
    NC_OK(nc_create(p.c_str(), NC_CLOBBER | mode, &ncid));
    NC_OK(nc_def_dim(ncid, "x", values.size(), &x));
    NC_OK(nc_def_var(ncid, "v", TypeParam::nc, 1, &x, &var));
    NC_OK(nc_enddef(ncid));
    NC_OK(nc_put_var(ncid, var, values.data()));
    NC_OK(nc_close(ncid));

    auto source = open_or_throw(p);
    const model::Variable* v = source->dataset().find_variable("v");
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->dtype, TypeParam::dtype);
    std::vector<T> out(values.size());
    auto status = source->read("v", {{0}, {values.size()}}, bytes_of(out));
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(out, values);
  }
}

// ---- hyperslabs ------------------------------------------------------------------------

class NetcdfReadTest : public NetcdfTest {
 protected:
  static constexpr size_t kT = 5, kY = 6, kX = 7;
  static int value_at(size_t t, size_t y, size_t x) {
    return static_cast<int>(t * 100 + y * 10 + x);
  }

  /// A (time, y, x) int variable "v" holding value_at(t, y, x), in the format `mode`,
  /// chunked (2, 4, 3) when netCDF-4 and `chunked`.
  std::string write_cube(const std::string& name, int mode, bool chunked) {
    const std::string p = path(name);
    int ncid, dims[3], var;
    EXPECT_EQ(nc_create(p.c_str(), NC_CLOBBER | mode, &ncid), NC_NOERR);
    nc_def_dim(ncid, "time", NC_UNLIMITED, &dims[0]);
    nc_def_dim(ncid, "y", kY, &dims[1]);
    nc_def_dim(ncid, "x", kX, &dims[2]);
    nc_def_var(ncid, "v", NC_INT, 3, dims, &var);
    if (chunked) {
      const size_t chunks[3] = {2, 4, 3};
      EXPECT_EQ(nc_def_var_chunking(ncid, var, NC_CHUNKED, chunks), NC_NOERR);
      EXPECT_EQ(nc_def_var_deflate(ncid, var, 1, 1, 1), NC_NOERR);
    }
    nc_enddef(ncid);
    std::vector<int> data;
    for (size_t t = 0; t < kT; ++t)
      for (size_t y = 0; y < kY; ++y)
        for (size_t x = 0; x < kX; ++x) data.push_back(value_at(t, y, x));
    const size_t start[3] = {0, 0, 0}, count[3] = {kT, kY, kX};
    EXPECT_EQ(nc_put_vara_int(ncid, var, start, count, data.data()), NC_NOERR);
    EXPECT_EQ(nc_close(ncid), NC_NOERR);
    return p;
  }

  static void expect_box(Source& source, const Box& box) {
    std::vector<std::int32_t> out(box.num_elements(), -1);
    auto status = source.read("v", box, bytes_of(out));
    ASSERT_TRUE(status.ok()) << status.error().message;
    size_t i = 0;
    for (size_t t = 0; t < box.count[0]; ++t)
      for (size_t y = 0; y < box.count[1]; ++y)
        for (size_t x = 0; x < box.count[2]; ++x)
          ASSERT_EQ(out[i++], value_at(box.start[0] + t, box.start[1] + y, box.start[2] + x))
              << "at " << t << "," << y << "," << x;
  }
};

TEST_F(NetcdfReadTest, HyperslabsAtOffsets) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"netCDF-4 chunked", write_cube("chunked.nc", NC_NETCDF4, true)},
      {"netCDF-4 contiguous", write_cube("nc4.nc", NC_NETCDF4, false)},
      {"netCDF-3 records", write_cube("nc3.nc", NC_64BIT_OFFSET, false)},
  };
  for (const auto& [label, p] : files) {
    SCOPED_TRACE(label);
    auto source = open_or_throw(p);
    expect_box(*source, {{0, 0, 0}, {kT, kY, kX}});  // everything
    expect_box(*source, {{1, 2, 3}, {3, 3, 4}});     // interior, across chunks
    expect_box(*source, {{4, 5, 6}, {1, 1, 1}});     // last element
    expect_box(*source, {{2, 0, 1}, {1, kY, 5}});    // one record
    expect_box(*source, {{1, 3, 0}, {4, 1, kX}});    // a row over time
    // A chunk read in parts, as when a batch boundary cuts a source chunk.
    expect_box(*source, {{0, 0, 0}, {2, 2, 3}});
    expect_box(*source, {{0, 2, 0}, {2, 2, 3}});
  }
}

TEST_F(NetcdfReadTest, EmptyBoxReadsNothing) {
  auto source = open_or_throw(write_cube("cube.nc", NC_NETCDF4, true));
  std::vector<std::byte> none;
  EXPECT_TRUE(source->read("v", {{2, 0, 0}, {0, kY, kX}}, none).ok());
  EXPECT_TRUE(source->read("v", {{kT, kY, kX}, {0, 0, 0}}, none).ok());  // at the very end
}

TEST_F(NetcdfReadTest, ScalarVariable) {
  for (int mode : {NC_NETCDF4, NC_CLASSIC_MODEL}) {
    SCOPED_TRACE(mode);
    const std::string p = path("scalar" + std::to_string(mode) + ".nc");
    int ncid, var;
    NC_OK(nc_create(p.c_str(), NC_CLOBBER | mode, &ncid));
    NC_OK(nc_def_var(ncid, "s", NC_DOUBLE, 0, nullptr, &var));
    NC_OK(nc_enddef(ncid));
    const double value = 6371229.0;
    NC_OK(nc_put_var_double(ncid, var, &value));
    NC_OK(nc_close(ncid));

    auto source = open_or_throw(p);
    double out = 0;
    auto status = source->read("s", {}, std::as_writable_bytes(std::span(&out, 1)));
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(out, value);
  }
}

TEST_F(NetcdfReadTest, BoxOutsideTheShapeNamesFileAndVariable) {
  const std::string p = write_cube("cube.nc", NC_NETCDF4, true);
  auto source = open_or_throw(p);
  std::vector<std::int32_t> out(2 * 2 * 2);
  auto past_end = source->read("v", {{4, 0, 0}, {2, 2, 2}}, bytes_of(out));
  ASSERT_FALSE(past_end.ok());
  EXPECT_EQ(past_end.error().code, ExitCode::kRuntime);
  EXPECT_EQ(past_end.error().message,
            p + ": v: box start [4, 0, 0] count [2, 2, 2] is outside the shape [5, 6, 7]");
  // A start past the end with a huge count must not wrap around.
  auto wrap = source->read("v", {{6, 0, 0}, {~model::Index{0}, 1, 1}}, bytes_of(out));
  EXPECT_FALSE(wrap.ok());
  auto wrong_rank = source->read("v", {{0, 0}, {2, 4}}, bytes_of(out));
  ASSERT_FALSE(wrong_rank.ok());
  EXPECT_EQ(wrong_rank.error().message.rfind(p + ": v: ", 0), 0u) << wrong_rank.error().message;
}

TEST_F(NetcdfReadTest, WrongBufferSizeIsAnError) {
  const std::string p = write_cube("cube.nc", NC_CLASSIC_MODEL, false);
  auto source = open_or_throw(p);
  std::vector<std::int32_t> out(7);
  auto status = source->read("v", {{0, 0, 0}, {2, 2, 2}}, bytes_of(out));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ExitCode::kRuntime);
  EXPECT_EQ(status.error().message, p + ": v: buffer of 28 bytes for 8 elements of i4");
}

TEST_F(NetcdfReadTest, UnknownOrSkippedVariableIsAnError) {
  const std::string p = path("names.nc");
  int ncid, len, var;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "len", 4, &len));
  NC_OK(nc_def_var(ncid, "name", NC_CHAR, 1, &len, &var));
  NC_OK(nc_close(ncid));
  auto source = open_or_throw(p);
  std::vector<char> out(4);
  for (const char* name : {"name", "absent"}) {
    auto status = source->read(name, {{0}, {4}}, bytes_of(out));
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().message, p + ": " + name + ": no such numeric variable");
  }
}

}  // namespace
}  // namespace zpmpi::source
