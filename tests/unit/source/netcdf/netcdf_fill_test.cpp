// _FillValue attributes whose type is not the variable's: kept only when an element of
// the variable can hold them exactly (NaN on a short cannot: nothing is missing).
#include <cmath>
#include <limits>

#include "netcdf_fixture.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {
namespace {

using testing::NetcdfTest;

class NetcdfFillTest : public NetcdfTest {
 protected:
  /// A netCDF-3 file with short variable "v" whose _FillValue is the double `fill`.
  /// netCDF-C refuses a _FillValue of another type on put and when defining, but not a
  /// rename in data mode, which is one way files written by other tools come to hold one.
  std::optional<model::Scalar> fill_of_short(double fill) {
    const std::string p = path("f.nc");
    int ncid, x, v;
    EXPECT_EQ(nc_create(p.c_str(), NC_CLOBBER, &ncid), NC_NOERR);
    EXPECT_EQ(nc_def_dim(ncid, "x", 4, &x), NC_NOERR);
    EXPECT_EQ(nc_def_var(ncid, "v", NC_SHORT, 1, &x, &v), NC_NOERR);
    EXPECT_EQ(nc_put_att_double(ncid, v, "_FillValu_", NC_DOUBLE, 1, &fill), NC_NOERR);
    EXPECT_EQ(nc_close(ncid), NC_NOERR);
    EXPECT_EQ(nc_open(p.c_str(), NC_WRITE, &ncid), NC_NOERR);
    EXPECT_EQ(nc_rename_att(ncid, v, "_FillValu_", "_FillValue"), NC_NOERR);  // same length: data mode
    EXPECT_EQ(nc_close(ncid), NC_NOERR);
    return testing::variable(open(p), "v").fill_value;
  }
};

TEST_F(NetcdfFillTest, NanOnAShortIsNoFill) {
  // Was Scalar{0}: every genuine 0 then read back as missing.
  EXPECT_FALSE(fill_of_short(std::numeric_limits<double>::quiet_NaN()).has_value());
}

TEST_F(NetcdfFillTest, OutOfRangeOrFractionalIsNoFill) {
  EXPECT_FALSE(fill_of_short(1e20).has_value());  // was an error: NC_ERANGE
  EXPECT_FALSE(fill_of_short(-32769).has_value());
  EXPECT_FALSE(fill_of_short(0.5).has_value());
  EXPECT_FALSE(fill_of_short(std::numeric_limits<double>::infinity()).has_value());
}

TEST_F(NetcdfFillTest, ARepresentableDoubleIsTheShortFill) {
  EXPECT_EQ(fill_of_short(-32767.0), model::Scalar{std::int64_t{-32767}});
  EXPECT_EQ(fill_of_short(0.0), model::Scalar{std::int64_t{0}});
}

}  // namespace
}  // namespace zpmpi::source
