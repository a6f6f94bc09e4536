// Text, enum, user-type attributes and groups: what xarray's open_dataset shows of them
// (checked against Debian's xarray 2023.01 / netCDF4 1.6.2 on the same files).
#include "../../common/run_python.hpp"
#include "netcdf_fixture.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {
namespace {

using model::Shape;
using model::TextType;
using testing::attribute;
using testing::NetcdfTest;

class NetcdfTextTest : public NetcdfTest {
 protected:
  std::vector<std::string> text(const std::string& name) {
    auto values = source_->read_text(name);
    if (!values.ok()) throw std::runtime_error(values.error().message);
    return *values;
  }
};
using testing::variable;

TEST_F(NetcdfTextTest, CharArraysFoldTheirLastDimAndKeepTheirBytes) {
  const std::string p = path("chars.nc");
  int ncid, t, st, len, names, crs;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "time", 2, &t));
  NC_OK(nc_def_dim(ncid, "station", 3, &st));
  NC_OK(nc_def_dim(ncid, "strlen", 4, &len));
  const int dims[3] = {t, st, len};
  NC_OK(nc_def_var(ncid, "names", NC_CHAR, 3, dims, &names));
  NC_OK(nc_def_var(ncid, "crs", NC_CHAR, 0, nullptr, &crs));
  NC_OK(nc_put_att_text(ncid, crs, "grid_mapping_name", 18, "latitude_longitude"));
  NC_OK(nc_enddef(ncid));
  // "ab", "Z\xfc" (a latin-1 byte: kept as is), "wxyz" (full width), then row 2.
  const char data[] = "ab\0\0Z\xfc\0\0wxyzc\0\0\0dd\0\0eeee";
  NC_OK(nc_put_var_text(ncid, names, data));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  const model::Variable& v = variable(ds, "names");
  EXPECT_EQ(v.text, (TextType{TextType::Kind::fixed_bytes, 4}));
  EXPECT_EQ(v.dims, (std::vector<std::string>{"time", "station"}));
  EXPECT_EQ(v.shape, (Shape{2, 3}));
  EXPECT_EQ(v.source_chunks, (Shape{2, 3}));
  EXPECT_FALSE(v.fill_value);
  EXPECT_EQ(text("names"), (std::vector<std::string>{std::string("ab\0\0", 4), std::string("Z\xfc\0\0", 4), "wxyz",
                                                     std::string("c\0\0\0", 4), std::string("dd\0\0", 4), "eeee"}));
  const model::Variable& c = variable(ds, "crs");
  EXPECT_EQ(c.text, (TextType{TextType::Kind::fixed_bytes, 1}));  // "|S1", as xarray
  EXPECT_TRUE(c.dims.empty());
  EXPECT_EQ(text("crs"), std::vector<std::string>{std::string(1, '\0')});
  EXPECT_EQ(std::get<std::string>(attribute(c, "grid_mapping_name").value.data), "latitude_longitude");
}

/// Issue 25.3: xarray folds a char dim only when it is "stackable" (conventions.
/// decode_cf_variables): no variable named like it, every variable using it a char array
/// with it last. Otherwise each char is an element ("|S1"): char fl_dmn(fl_dmn), as in
/// netCDF-C's ref_nccopy3_subset.nc, stays 1-D. A char _FillValue moves to the type.
TEST_F(NetcdfTextTest, CharDimsFoldOnlyWhereXarrayStacksThem) {
  const std::string p = path("stackable.nc");
  int ncid, fl, st, len, n, fl_var, name, counts, other, masked;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_CLASSIC_MODEL | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "fl_dmn", 3, &fl));
  NC_OK(nc_def_dim(ncid, "station", 2, &st));
  NC_OK(nc_def_dim(ncid, "strlen", 2, &len));
  NC_OK(nc_def_dim(ncid, "nlen", 3, &n));
  NC_OK(nc_def_var(ncid, "fl_dmn", NC_CHAR, 1, &fl, &fl_var));
  const int st_len[2] = {st, len}, st_n[2] = {st, n};
  NC_OK(nc_def_var(ncid, "name", NC_CHAR, 2, st_len, &name));
  NC_OK(nc_def_var(ncid, "counts", NC_INT, 1, &len, &counts));  // a number on strlen: not stackable
  NC_OK(nc_def_var(ncid, "other", NC_CHAR, 2, st_n, &other));
  NC_OK(nc_def_var(ncid, "masked", NC_CHAR, 2, st_n, &masked));
  NC_OK(nc_put_att_text(ncid, masked, "_FillValue", 1, "x"));
  int nul;
  NC_OK(nc_def_var(ncid, "nul", NC_CHAR, 2, st_n, &nul));
  NC_OK(nc_put_att_text(ncid, nul, "_FillValue", 1, "\0"));
  NC_OK(nc_enddef(ncid));
  NC_OK(nc_put_var_text(ncid, fl_var, "abc"));
  NC_OK(nc_put_var_text(ncid, name, "abcd"));
  NC_OK(nc_put_var_text(ncid, other, "efghij"));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  const model::Variable& f = variable(ds, "fl_dmn");
  EXPECT_EQ(f.text, (TextType{TextType::Kind::fixed_bytes, 1}));
  EXPECT_EQ(f.dims, (std::vector<std::string>{"fl_dmn"}));
  EXPECT_EQ(text("fl_dmn"), (std::vector<std::string>{"a", "b", "c"}));
  const model::Variable& v = variable(ds, "name");
  EXPECT_EQ(v.dims, (std::vector<std::string>{"station", "strlen"}));
  EXPECT_EQ(text("name"), (std::vector<std::string>{"a", "b", "c", "d"}));
  const model::Variable& o = variable(ds, "other");  // nlen: only char arrays, last: folded
  EXPECT_EQ(o.text, (TextType{TextType::Kind::fixed_bytes, 3}));
  EXPECT_EQ(o.dims, (std::vector<std::string>{"station"}));
  EXPECT_EQ(text("other"), (std::vector<std::string>{"efg", "hij"}));
  const model::Variable& m = variable(ds, "masked");
  EXPECT_EQ(m.text, (TextType{TextType::Kind::fixed_bytes, 3, "x"}));
  EXPECT_FALSE(m.find_attribute("_FillValue"));
  EXPECT_EQ(variable(ds, "nul").text, (TextType{TextType::Kind::fixed_bytes, 3, std::string(1, '\0')}));
}

TEST_F(NetcdfTextTest, StringsAndUtf8CharsAreUtf8TextWithoutEncodingAttribute) {
  const std::string p = path("strings.nc");
  int ncid, x, len, s, u;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 3, &x));
  NC_OK(nc_def_dim(ncid, "len", 8, &len));
  NC_OK(nc_def_var(ncid, "label", NC_STRING, 1, &x, &s));
  const int dims[2] = {x, len};
  NC_OK(nc_def_var(ncid, "utf8", NC_CHAR, 2, dims, &u));
  NC_OK(nc_put_att_text(ncid, u, "_Encoding", 5, "utf-8"));
  NC_OK(nc_put_att_text(ncid, u, "long_name", 4, "name"));
  NC_OK(nc_enddef(ncid));
  const std::size_t start = 0, count = 2;
  const char* strings[2] = {"\xCE\xB3\xCE\xAC", "caf\xE9"};  // "γά", and a latin-1 byte
  NC_OK(nc_put_vara_string(ncid, s, &start, &count, strings));  // the third is never written
  NC_OK(nc_put_var_text(ncid, u, "Z\xC3\xBCrich\0" "\0\0\0\0\0\0\0\0" "a\0b\0\0\0\0\0"));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  EXPECT_EQ(variable(ds, "label").text, (TextType{TextType::Kind::utf8, 0}));
  EXPECT_EQ(text("label"), (std::vector<std::string>{"\xCE\xB3\xCE\xAC", "caf\xEF\xBF\xBD", ""}));
  const model::Variable& u8 = variable(ds, "utf8");
  EXPECT_EQ(u8.text, (TextType{TextType::Kind::utf8, 0}));
  EXPECT_EQ(u8.shape, Shape{3});
  EXPECT_FALSE(u8.find_attribute("_Encoding"));  // xarray moves it to .encoding
  EXPECT_TRUE(u8.find_attribute("long_name"));
  // Trailing NULs go (NumPy's "S"), inner ones stay.
  EXPECT_EQ(text("utf8"), (std::vector<std::string>{"Z\xC3\xBCrich", "", std::string("a\0b", 3)}));
}

TEST_F(NetcdfTextTest, OtherEncodingIsSkippedWithAWarning) {
  const std::string p = path("enc.nc");
  int ncid, x, v;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 3, &x));
  NC_OK(nc_def_var(ncid, "name", NC_CHAR, 1, &x, &v));
  NC_OK(nc_put_att_text(ncid, v, "_Encoding", 9, "shift_jis"));
  NC_OK(nc_close(ncid));
  const model::Dataset& ds = open(p);
  EXPECT_TRUE(ds.variables.empty());
  ASSERT_EQ(ds.skipped.size(), 1u);
  EXPECT_NE(ds.skipped[0].find("variable name (char with _Encoding 'shift_jis"), std::string::npos) << ds.skipped[0];
}

TEST_F(NetcdfTextTest, CharAttributesDecodeLikeNetcdf4Python) {
  const std::string p = path("latin1.nc");
  int ncid, x, v;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 2, &x));
  NC_OK(nc_def_var(ncid, "v", NC_FLOAT, 1, &x, &v));
  NC_OK(nc_put_att_text(ncid, NC_GLOBAL, "institution", 6, "M\xE9t\xE9o"));
  NC_OK(nc_put_att_text(ncid, v, "nul", 5, "a\0b\0\0"));
  const char* bad = "bad \xE9 str";
  NC_OK(nc_put_att_string(ncid, v, "s", 1, &bad));
  NC_OK(nc_close(ncid));
  const model::Dataset& ds = open(p);
  // netCDF4-python: 'M\ufffdt\ufffdo', 'ab', 'bad \ufffd str'
  EXPECT_EQ(std::get<std::string>(ds.attributes.at(0).value.data), "M\xEF\xBF\xBDt\xEF\xBF\xBDo");
  EXPECT_EQ(std::get<std::string>(attribute(ds.variables[0], "nul").value.data), "ab");
  EXPECT_EQ(std::get<std::string>(attribute(ds.variables[0], "s").value.data), "bad \xEF\xBF\xBD str");
}

TEST_F(NetcdfTextTest, CompoundAttributeIsSkippedAndNamed) {
  const std::string p = path("cmp.nc");
  int ncid, x, v;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 2, &x));
  NC_OK(nc_def_var(ncid, "v", NC_FLOAT, 1, &x, &v));
  nc_type pair;
  NC_OK(nc_def_compound(ncid, 2 * sizeof(int), "pair", &pair));
  NC_OK(nc_insert_compound(ncid, pair, "a", 0, NC_INT));
  NC_OK(nc_insert_compound(ncid, pair, "b", sizeof(int), NC_INT));
  const int value[2] = {1, 2};
  NC_OK(nc_put_att(ncid, v, "calibration", pair, 1, value));
  NC_OK(nc_put_att(ncid, NC_GLOBAL, "global_pair", pair, 1, value));
  NC_OK(nc_put_att_text(ncid, v, "units", 1, "K"));
  NC_OK(nc_close(ncid));
  const model::Dataset& ds = open(p);
  EXPECT_EQ(ds.skipped, (std::vector<std::string>{"global attribute global_pair (compound)",
                                                  "attribute v:calibration (compound)"}));
  EXPECT_FALSE(ds.variables[0].find_attribute("calibration"));
  EXPECT_TRUE(ds.variables[0].find_attribute("units"));
}

TEST_F(NetcdfTextTest, EnumIsItsBaseTypeWithCfFlags) {
  const std::string p = path("enum.nc");
  int ncid, x, v;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 3, &x));
  nc_type cloud;
  NC_OK(nc_def_enum(ncid, NC_UBYTE, "cloud_t", &cloud));
  const unsigned char clear = 0, partly = 1, missing = 255;
  NC_OK(nc_insert_enum(ncid, cloud, "clear", &clear));
  NC_OK(nc_insert_enum(ncid, cloud, "partly cloudy", &partly));
  NC_OK(nc_insert_enum(ncid, cloud, "missing", &missing));
  NC_OK(nc_def_var(ncid, "cloud", cloud, 1, &x, &v));
  NC_OK(nc_put_att(ncid, v, "_FillValue", cloud, 1, &missing));
  NC_OK(nc_enddef(ncid));
  const unsigned char data[3] = {1, 255, 0};
  NC_OK(nc_put_var(ncid, v, data));
  NC_OK(nc_close(ncid));

  const model::Dataset& ds = open(p);
  const model::Variable& c = variable(ds, "cloud");
  EXPECT_EQ(c.dtype, model::DType::u1);
  EXPECT_FALSE(c.text);
  EXPECT_EQ(c.fill_value, model::Scalar{std::uint64_t{255}});
  const auto& values = attribute(c, "flag_values").value;
  EXPECT_EQ(values.dtype, model::DType::u1);
  EXPECT_EQ(std::get<std::vector<std::uint64_t>>(values.data), (std::vector<std::uint64_t>{0, 1, 255}));
  EXPECT_EQ(std::get<std::string>(attribute(c, "flag_meanings").value.data), "clear partly_cloudy missing");
  EXPECT_FALSE(c.find_attribute("_FillValue") && !c.find_attribute("_FillValue")->value.dtype);
  std::vector<unsigned char> got(3);
  ASSERT_TRUE(source_->read("cloud", model::Box{{0}, {3}}, testing::bytes_of(got)).ok());
  EXPECT_EQ(got, (std::vector<unsigned char>{1, 255, 0}));
}

class NetcdfGroupTest : public NetcdfTextTest {
 protected:
  /// Root: dim time and a time coordinate; /g1/g2: dim x, v(time, x); /other: w(y).
  std::string write() {
    const std::string p = path("groups.nc");
    int ncid, time, tv, g1, g2, x, v, other, y, w;
    EXPECT_EQ(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid), NC_NOERR);
    nc_def_dim(ncid, "time", NC_UNLIMITED, &time);
    nc_def_var(ncid, "time", NC_INT, 1, &time, &tv);
    nc_def_grp(ncid, "g1", &g1);
    nc_def_grp(g1, "g2", &g2);
    nc_def_dim(g2, "x", 4, &x);
    const int dims[2] = {time, x};
    nc_def_var(g2, "v", NC_FLOAT, 2, dims, &v);
    nc_put_att_text(g2, NC_GLOBAL, "summary", 4, "data");
    nc_def_grp(ncid, "other", &other);
    nc_def_dim(other, "y", 2, &y);
    nc_def_var(other, "w", NC_SHORT, 1, &y, &w);
    nc_enddef(ncid);
    const std::size_t start[2] = {0, 0}, count[2] = {2, 4};
    const std::vector<float> data = testing::iota_vector<float>(8);
    EXPECT_EQ(nc_put_vara_float(g2, v, start, count, data.data()), NC_NOERR);
    EXPECT_EQ(nc_close(ncid), NC_NOERR);
    return p;
  }
};

TEST_F(NetcdfGroupTest, RootNamesEveryOtherGroup) {
  const model::Dataset& ds = open(write());
  EXPECT_EQ(ds.group, "/");
  EXPECT_EQ(ds.other_groups, (std::vector<std::string>{"/g1", "/g1/g2", "/other"}));
  ASSERT_EQ(ds.variables.size(), 1u);  // only time
  EXPECT_EQ(ds.skipped.size(), 3u);
}

TEST_F(NetcdfGroupTest, AGroupSeesItsParentsDimsAndReads) {
  const std::string p = write();
  for (const std::string spelling : {"g1/g2", "/g1/g2", "/g1/g2/"}) {
    const model::Dataset& ds = open(p, spelling);
    EXPECT_EQ(ds.group, "/g1/g2");
    // The root holds a variable, so it is named; /g1 is only the way to /g1/g2.
    EXPECT_EQ(ds.other_groups, (std::vector<std::string>{"/", "/other"}));
    const model::Variable& v = variable(ds, "v");
    EXPECT_EQ(v.dims, (std::vector<std::string>{"time", "x"}));
    EXPECT_EQ(v.shape, (Shape{2, 4}));
    ASSERT_TRUE(ds.find_dim("time"));
    EXPECT_TRUE(ds.find_dim("time")->unlimited);
    EXPECT_EQ(std::get<std::string>(ds.attributes.at(0).value.data), "data");
    std::vector<float> got(8);
    ASSERT_TRUE(source_->read("v", model::Box{{0, 0}, {2, 4}}, testing::bytes_of(got)).ok());
    EXPECT_EQ(got, testing::iota_vector<float>(8));
  }
}

TEST_F(NetcdfGroupTest, UnknownGroupIsAUsageErrorListingTheGroups) {
  const std::string p = write();
  auto source = open_netcdf(p, "g9");
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().code, ExitCode::kUsage);
  EXPECT_EQ(source.error().message, "source.group: " + p + " has no group '/g9' (groups: /, /g1, /g1/g2, /other)");
}

TEST_F(NetcdfTextTest, AnHdf5FloatThatNetcdfCCallsStringIsSkippedNotReadAsPointers) {
  // PyTables' float.h5: netCDF-C maps a 16-byte float (long double) to NC_STRING and then
  // hands out its bytes as char pointers (zpmpi crashed in read_text, as ncdump does).
  const std::string p = path("longdouble.h5");
  ASSERT_EQ(zpmpi::testing::run_python(R"PY(
import sys, numpy as np, h5py
with h5py.File(sys.argv[1], "w") as h:
    h["ld"] = np.arange(6, dtype=np.longdouble).reshape(2, 3)
    h.create_dataset("s", data=np.array(["ab", "cde"], dtype=object), dtype=h5py.string_dtype())
    h["f"] = np.arange(3, dtype=np.float32)
)PY",
                                       {p}),
            0);
  const model::Dataset& ds = open(p);
  EXPECT_EQ(ds.find_variable("ld"), nullptr);
  ASSERT_EQ(ds.skipped.size(), 1u);
  EXPECT_EQ(ds.skipped[0], "variable ld (HDF5 16-byte float, which netCDF-C calls string)");
  EXPECT_EQ(text("s"), (std::vector<std::string>{"ab", "cde"}));
  EXPECT_NE(ds.find_variable("f"), nullptr);
}

}  // namespace
}  // namespace zpmpi::source
