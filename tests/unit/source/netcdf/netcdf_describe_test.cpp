// describe(): dims, variables, source chunking, attributes, fill values and skipped
// variables of netCDF-3 and netCDF-4 files written here with the netCDF-C API.
#include <cmath>
#include <limits>

#include "netcdf_fixture.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {
namespace {

using model::DType;
using model::Shape;
using testing::attribute;
using testing::NetcdfTest;

class NetcdfDescribeTest : public NetcdfTest {};
using testing::variable;

TEST_F(NetcdfDescribeTest, DimensionsInOrderWithUnlimited) {
  const std::string p = path("dims.nc");
  int ncid, time, lat, lon, var;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "time", NC_UNLIMITED, &time));
  NC_OK(nc_def_dim(ncid, "latitude", 4, &lat));
  NC_OK(nc_def_dim(ncid, "longitude", 5, &lon));
  const int dims[3] = {time, lat, lon};
  NC_OK(nc_def_var(ncid, "t2m", NC_FLOAT, 3, dims, &var));
  const std::vector<float> data(2 * 4 * 5, 1.5f);
  const size_t start[3] = {0, 0, 0}, count[3] = {2, 4, 5};
  NC_OK(nc_put_vara_float(ncid, var, start, count, data.data()));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  ASSERT_EQ(ds.dims.size(), 3u);
  EXPECT_EQ(ds.dims[0].name, "time");
  EXPECT_EQ(ds.dims[0].length, 2u);
  EXPECT_TRUE(ds.dims[0].unlimited);
  EXPECT_EQ(ds.dims[1].name, "latitude");
  EXPECT_EQ(ds.dims[1].length, 4u);
  EXPECT_FALSE(ds.dims[1].unlimited);
  EXPECT_EQ(ds.dims[2].name, "longitude");
  EXPECT_EQ(ds.dims[2].length, 5u);
  const model::Variable& v = variable(ds, "t2m");
  EXPECT_EQ(v.dtype, DType::f4);
  EXPECT_EQ(v.dims, (std::vector<std::string>{"time", "latitude", "longitude"}));
  EXPECT_EQ(v.shape, (Shape{2, 4, 5}));
}

TEST_F(NetcdfDescribeTest, Netcdf4ChunkedReportsChunkShape) {
  const std::string p = path("chunked.nc");
  int ncid, dims[3], var, grown;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "time", 10, &dims[0]));
  NC_OK(nc_def_dim(ncid, "y", 6, &dims[1]));
  NC_OK(nc_def_dim(ncid, "x", 8, &dims[2]));
  NC_OK(nc_def_var(ncid, "v", NC_SHORT, 3, dims, &var));
  const size_t chunks[3] = {3, 6, 4};
  NC_OK(nc_def_var_chunking(ncid, var, NC_CHUNKED, chunks));
  NC_OK(nc_def_var_deflate(ncid, var, 1, 1, 4));
  // A chunk longer than its (unlimited) dim is capped to the dim length.
  int record;
  NC_OK(nc_def_dim(ncid, "record", NC_UNLIMITED, &record));
  NC_OK(nc_def_var(ncid, "grown", NC_DOUBLE, 1, &record, &grown));
  const size_t grown_chunk[1] = {100};
  NC_OK(nc_def_var_chunking(ncid, grown, NC_CHUNKED, grown_chunk));
  const double values[3] = {1, 2, 3};
  const size_t start[1] = {0}, count[1] = {3};
  NC_OK(nc_put_vara_double(ncid, grown, start, count, values));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  const model::Variable& v = variable(ds, "v");
  EXPECT_TRUE(v.chunked);
  EXPECT_TRUE(v.compressed);  // zlib
  EXPECT_EQ(v.source_chunks, (Shape{3, 6, 4}));
  const model::Variable& g = variable(ds, "grown");
  EXPECT_TRUE(g.chunked);
  EXPECT_FALSE(g.compressed);
  EXPECT_EQ(g.shape, (Shape{3}));
  EXPECT_EQ(g.source_chunks, (Shape{3}));
}

TEST_F(NetcdfDescribeTest, Netcdf4ContiguousReportsWholeShape) {
  const std::string p = path("contiguous.nc");
  int ncid, dims[2], var;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "y", 6, &dims[0]));
  NC_OK(nc_def_dim(ncid, "x", 8, &dims[1]));
  NC_OK(nc_def_var(ncid, "v", NC_FLOAT, 2, dims, &var));
  NC_OK(nc_def_var_chunking(ncid, var, NC_CONTIGUOUS, nullptr));
  NC_OK(nc_close(ncid));

  const model::Variable& v = variable(open(p), "v");
  EXPECT_FALSE(v.chunked);
  EXPECT_EQ(v.source_chunks, (Shape{6, 8}));
}

TEST_F(NetcdfDescribeTest, Netcdf3RecordDimHasChunkOne) {
  for (int mode : {NC_CLASSIC_MODEL, NC_64BIT_OFFSET, NC_64BIT_DATA}) {
    SCOPED_TRACE(mode);
    const std::string p = path("classic" + std::to_string(mode) + ".nc");
    int ncid, time, y, x, rec, fixed;
    NC_OK(nc_create(p.c_str(), NC_CLOBBER | mode, &ncid));
    NC_OK(nc_def_dim(ncid, "time", NC_UNLIMITED, &time));
    NC_OK(nc_def_dim(ncid, "y", 3, &y));
    NC_OK(nc_def_dim(ncid, "x", 4, &x));
    const int rec_dims[3] = {time, y, x}, fixed_dims[2] = {y, x};
    NC_OK(nc_def_var(ncid, "rec", NC_INT, 3, rec_dims, &rec));
    NC_OK(nc_def_var(ncid, "fixed", NC_INT, 2, fixed_dims, &fixed));
    NC_OK(nc_enddef(ncid));
    const std::vector<int> data(5 * 3 * 4, 1);
    const size_t start[3] = {0, 0, 0}, count[3] = {5, 3, 4};
    NC_OK(nc_put_vara_int(ncid, rec, start, count, data.data()));
    NC_OK(nc_close(ncid));

    const model::Dataset& ds = open(p);
    EXPECT_TRUE(ds.find_dim("time")->unlimited);
    EXPECT_EQ(ds.find_dim("time")->length, 5u);
    const model::Variable& r = variable(ds, "rec");
    EXPECT_FALSE(r.chunked);
    EXPECT_EQ(r.shape, (Shape{5, 3, 4}));
    EXPECT_EQ(r.source_chunks, (Shape{1, 3, 4}));
    const model::Variable& f = variable(ds, "fixed");
    EXPECT_FALSE(f.chunked);
    EXPECT_EQ(f.source_chunks, (Shape{3, 4}));
  }
}

TEST_F(NetcdfDescribeTest, EmptyDimHasChunkOne) {
  const std::string p = path("empty_dim.nc");
  int ncid, time, x, var;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "time", NC_UNLIMITED, &time));
  NC_OK(nc_def_dim(ncid, "x", 4, &x));
  const int dims[2] = {time, x};
  NC_OK(nc_def_var(ncid, "v", NC_FLOAT, 2, dims, &var));
  NC_OK(nc_close(ncid));

  const model::Variable& v = variable(open(p), "v");
  EXPECT_EQ(v.shape, (Shape{0, 4}));
  EXPECT_EQ(v.source_chunks[0], 1u);
  EXPECT_LE(v.source_chunks[1], 4u);
}

TEST_F(NetcdfDescribeTest, ScalarVariableHasEmptyShape) {
  const std::string p = path("scalar.nc");
  int ncid, var;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_var(ncid, "crs", NC_INT, 0, nullptr, &var));
  NC_OK(nc_put_att_text(ncid, var, "grid_mapping_name", 22, "latitude_longitude\0\0\0\0"));
  NC_OK(nc_close(ncid));

  const model::Variable& v = variable(open(p), "crs");
  EXPECT_EQ(v.dtype, DType::i4);
  EXPECT_TRUE(v.dims.empty());
  EXPECT_TRUE(v.shape.empty());
  EXPECT_TRUE(v.source_chunks.empty());
  EXPECT_FALSE(v.chunked);
  // Trailing NULs written by C programs are not part of the text.
  EXPECT_EQ(std::get<std::string>(attribute(v, "grid_mapping_name").value.data),
            "latitude_longitude");
}

TEST_F(NetcdfDescribeTest, AttributesOfEveryKind) {
  const std::string p = path("attrs.nc");
  int ncid, x, var;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 2, &x));
  NC_OK(nc_def_var(ncid, "v", NC_SHORT, 1, &x, &var));
  NC_OK(nc_put_att_text(ncid, var, "units", 1, "K"));
  const float scale = 0.5f;
  NC_OK(nc_put_att_float(ncid, var, "scale_factor", NC_FLOAT, 1, &scale));
  const double offset = 273.15;
  NC_OK(nc_put_att_double(ncid, var, "add_offset", NC_DOUBLE, 1, &offset));
  const int valid_range[2] = {-100, 100};
  NC_OK(nc_put_att_int(ncid, var, "valid_range", NC_INT, 2, valid_range));
  const unsigned long long big = std::numeric_limits<unsigned long long>::max();
  NC_OK(nc_put_att_ulonglong(ncid, var, "big", NC_UINT64, 1, &big));
  const signed char flags[3] = {1, 2, 4};
  NC_OK(nc_put_att_schar(ncid, var, "flag_masks", NC_BYTE, 3, flags));
  const char* one[1] = {"a single string"};
  NC_OK(nc_put_att_string(ncid, var, "comment", 1, one));
  const char* two[2] = {"first", "second"};
  NC_OK(nc_put_att_string(ncid, var, "history", 2, two));
  NC_OK(nc_put_att_text(ncid, NC_GLOBAL, "title", 4, "test"));
  const double version = 1.25;
  NC_OK(nc_put_att_double(ncid, NC_GLOBAL, "version", NC_DOUBLE, 1, &version));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  const model::Variable& v = variable(ds, "v");
  ASSERT_EQ(v.attributes.size(), 8u);
  EXPECT_EQ(v.attributes[0].name, "units");  // netCDF order is kept

  const auto& units = attribute(v, "units").value;
  EXPECT_TRUE(units.is_text());
  EXPECT_FALSE(units.dtype.has_value());
  EXPECT_EQ(std::get<std::string>(units.data), "K");

  const auto& sf = attribute(v, "scale_factor").value;
  EXPECT_EQ(sf.dtype, DType::f4);
  EXPECT_EQ(std::get<std::vector<double>>(sf.data), std::vector<double>{0.5});

  const auto& ao = attribute(v, "add_offset").value;
  EXPECT_EQ(ao.dtype, DType::f8);
  EXPECT_EQ(std::get<std::vector<double>>(ao.data), std::vector<double>{273.15});

  const auto& vr = attribute(v, "valid_range").value;
  EXPECT_EQ(vr.dtype, DType::i4);
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(vr.data), (std::vector<std::int64_t>{-100, 100}));

  const auto& b = attribute(v, "big").value;
  EXPECT_EQ(b.dtype, DType::u8);
  EXPECT_EQ(std::get<std::vector<std::uint64_t>>(b.data), std::vector<std::uint64_t>{big});

  const auto& fm = attribute(v, "flag_masks").value;
  EXPECT_EQ(fm.dtype, DType::i1);
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(fm.data), (std::vector<std::int64_t>{1, 2, 4}));

  EXPECT_EQ(std::get<std::string>(attribute(v, "comment").value.data), "a single string");
  EXPECT_EQ(std::get<std::vector<std::string>>(attribute(v, "history").value.data),
            (std::vector<std::string>{"first", "second"}));

  ASSERT_EQ(ds.attributes.size(), 2u);
  EXPECT_EQ(ds.attributes[0].name, "title");
  EXPECT_EQ(std::get<std::string>(ds.attributes[0].value.data), "test");
  EXPECT_EQ(ds.attributes[1].name, "version");
  EXPECT_EQ(ds.attributes[1].value.dtype, DType::f8);
  EXPECT_EQ(std::get<std::vector<double>>(ds.attributes[1].value.data), std::vector<double>{1.25});
}

TEST_F(NetcdfDescribeTest, Netcdf3AttributesAndGlobals) {
  const std::string p = path("attrs3.nc");
  int ncid, x, var;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_64BIT_OFFSET, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 2, &x));
  NC_OK(nc_def_var(ncid, "v", NC_BYTE, 1, &x, &var));
  const short valid[2] = {-5, 5};
  NC_OK(nc_put_att_short(ncid, var, "valid_range", NC_SHORT, 2, valid));
  NC_OK(nc_put_att_text(ncid, NC_GLOBAL, "Conventions", 6, "CF-1.8"));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  const auto& vr = attribute(variable(ds, "v"), "valid_range").value;
  EXPECT_EQ(vr.dtype, DType::i2);
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(vr.data), (std::vector<std::int64_t>{-5, 5}));
  ASSERT_EQ(ds.attributes.size(), 1u);
  EXPECT_EQ(std::get<std::string>(ds.attributes[0].value.data), "CF-1.8");
}

TEST_F(NetcdfDescribeTest, FillValueConvertedToTheVariableType) {
  const std::string p = path("fill.nc");
  int ncid, x, f, s, u, none;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 2, &x));
  NC_OK(nc_def_var(ncid, "f", NC_FLOAT, 1, &x, &f));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  NC_OK(nc_def_var_fill(ncid, f, 0, &nan));
  NC_OK(nc_def_var(ncid, "s", NC_SHORT, 1, &x, &s));
  const short s_fill = -32767;
  NC_OK(nc_def_var_fill(ncid, s, 0, &s_fill));
  NC_OK(nc_def_var(ncid, "u", NC_UINT64, 1, &x, &u));
  const unsigned long long u_fill = std::numeric_limits<unsigned long long>::max() - 1;
  NC_OK(nc_def_var_fill(ncid, u, 0, &u_fill));
  NC_OK(nc_def_var(ncid, "none", NC_INT, 1, &x, &none));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  const auto& fv = variable(ds, "f").fill_value;
  ASSERT_TRUE(fv.has_value());
  ASSERT_TRUE(std::holds_alternative<double>(*fv));
  EXPECT_TRUE(std::isnan(std::get<double>(*fv)));
  EXPECT_EQ(variable(ds, "s").fill_value, model::Scalar{std::int64_t{-32767}});
  EXPECT_EQ(variable(ds, "u").fill_value, model::Scalar{std::uint64_t{u_fill}});
  // No _FillValue attribute: netCDF's default fill is not invented.
  EXPECT_FALSE(variable(ds, "none").fill_value.has_value());
  // _FillValue is also kept as an ordinary attribute of the variable's type.
  EXPECT_EQ(attribute(variable(ds, "s"), "_FillValue").value.dtype, DType::i2);
}

TEST_F(NetcdfDescribeTest, Netcdf3FillValue) {
  const std::string p = path("fill3.nc");
  int ncid, x, d;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 2, &x));
  NC_OK(nc_def_var(ncid, "d", NC_DOUBLE, 1, &x, &d));
  const double fill = -9999.5;
  NC_OK(nc_put_att_double(ncid, d, "_FillValue", NC_DOUBLE, 1, &fill));
  NC_OK(nc_close(ncid));

  EXPECT_EQ(variable(open(p), "d").fill_value, model::Scalar{-9999.5});
}

TEST_F(NetcdfDescribeTest, TextVariablesAreDescribedAndUserTypesSkipped) {
  const std::string p = path("skipped.nc");
  int ncid, x, len, name, label, comp, num;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 2, &x));
  NC_OK(nc_def_dim(ncid, "len", 8, &len));
  const int char_dims[2] = {x, len};
  NC_OK(nc_def_var(ncid, "station_name", NC_CHAR, 2, char_dims, &name));
  NC_OK(nc_def_var(ncid, "label", NC_STRING, 1, &x, &label));
  nc_type pair;
  NC_OK(nc_def_compound(ncid, 2 * sizeof(int), "pair", &pair));
  NC_OK(nc_insert_compound(ncid, pair, "a", 0, NC_INT));
  NC_OK(nc_insert_compound(ncid, pair, "b", sizeof(int), NC_INT));
  NC_OK(nc_def_var(ncid, "pairs", pair, 1, &x, &comp));
  NC_OK(nc_def_var(ncid, "number", NC_DOUBLE, 1, &x, &num));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  ASSERT_EQ(ds.variables.size(), 3u);
  const model::Variable& names = variable(ds, "station_name");
  EXPECT_EQ(names.text, (model::TextType{model::TextType::Kind::fixed_bytes, 8}));
  EXPECT_EQ(names.dims, std::vector<std::string>{"x"});  // the char dim is folded
  EXPECT_EQ(names.shape, Shape{2});
  EXPECT_EQ(variable(ds, "label").text, (model::TextType{model::TextType::Kind::utf8, 0}));
  EXPECT_FALSE(variable(ds, "number").text);
  EXPECT_EQ(ds.skipped, std::vector<std::string>{"variable pairs (compound)"});
}

TEST_F(NetcdfDescribeTest, Netcdf3CharVariableIsAZeroDimensionalString) {
  const std::string p = path("char3.nc");
  int ncid, len, name, num;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_CLASSIC_MODEL, &ncid));
  NC_OK(nc_def_dim(ncid, "len", 8, &len));
  NC_OK(nc_def_var(ncid, "name", NC_CHAR, 1, &len, &name));
  NC_OK(nc_def_var(ncid, "n", NC_FLOAT, 0, nullptr, &num));
  NC_OK(nc_enddef(ncid));
  NC_OK(nc_put_var_text(ncid, name, "ERA5\0\0\0\0"));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  EXPECT_TRUE(ds.skipped.empty());
  const model::Variable& v = variable(ds, "name");
  EXPECT_TRUE(v.dims.empty());
  EXPECT_EQ(v.text, (model::TextType{model::TextType::Kind::fixed_bytes, 8}));
  auto values = source_->read_text("name");
  ASSERT_TRUE(values.ok()) << values.error().message;
  EXPECT_EQ(*values, std::vector<std::string>{std::string("ERA5\0\0\0\0", 8)});
}

}  // namespace
}  // namespace zpmpi::source
