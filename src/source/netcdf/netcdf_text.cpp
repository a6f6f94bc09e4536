// Text variables of a NetcdfSource, as xarray's open_dataset decodes them (see
// model/text.hpp): a char variable's last dim folds into fixed-width bytes ("|S<n>"; a 0-d
// char is "|S1") when xarray's rule allows (stackable_char_dims), else each char is an
// element ("|S1"); a char variable with _Encoding "utf-8" and an NC_STRING variable become
// UTF-8 strings ("|O"). _Encoding and a char _FillValue are not attributes in xarray's view
// (they move to the variable's encoding), so they are dropped here too.
#include <netcdf.h>

#include <algorithm>
#include <cctype>

#include "netcdf/netcdf_source.hpp"
#include "netcdf/utf8.hpp"

namespace zpmpi::source {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

Result<std::set<int>> NetcdfSource::stackable_char_dims() const {
  int nvars = 0;
  if (int rc = nc_inq_varids(grpid_, &nvars, nullptr); rc != NC_NOERR) return file_error(nc_strerror(rc));
  std::vector<int> varids(static_cast<std::size_t>(nvars));
  if (int rc = nc_inq_varids(grpid_, &nvars, varids.data()); rc != NC_NOERR) return file_error(nc_strerror(rc));
  std::set<int> candidates, refused;
  for (int varid : varids) {
    char name[NC_MAX_NAME + 1] = {};
    nc_type type = NC_NAT;
    int rank = 0;
    int dimids[NC_MAX_VAR_DIMS] = {};
    if (int rc = nc_inq_var(grpid_, varid, name, &type, &rank, dimids, nullptr); rc != NC_NOERR)
      return file_error(nc_strerror(rc));
    if (int dimid = -1; nc_inq_dimid(grpid_, name, &dimid) == NC_NOERR) refused.insert(dimid);  // a variable named like it
    for (int d = 0; d < rank; ++d)
      (type == NC_CHAR && d == rank - 1 ? candidates : refused).insert(dimids[d]);
  }
  std::set<int> stackable;
  for (int id : candidates)
    if (!refused.count(id)) stackable.insert(id);
  return stackable;
}

Status NetcdfSource::describe_text(int varid, nc_type type, bool fold, model::Variable& v, bool& skip) {
  model::TextType text;
  if (type == NC_STRING) {
    if (const std::string held = hdf5_not_a_string(v.name); !held.empty()) {
      dataset_.skipped.push_back("variable " + v.name + " (" + held + ", which netCDF-C calls string)");
      skip = true;
      return {};
    }
    text.kind = model::TextType::Kind::utf8;
  } else if (!fold) {
    text.width = 1;
  } else {
    text.width = std::max<model::Index>(v.shape.back(), 1);
    v.dims.pop_back();
    v.shape.pop_back();
  }
  const auto encoding = std::find_if(v.attributes.begin(), v.attributes.end(),
                                     [](const model::Attribute& a) { return a.name == "_Encoding"; });
  if (encoding != v.attributes.end()) {
    const std::string name = encoding->value.is_text() ? lower(std::get<std::string>(encoding->value.data)) : "";
    if (name != "utf-8" && name != "utf8" && name != "ascii" && name != "us-ascii") {
      dataset_.skipped.push_back("variable " + v.name + " (" + (type == NC_CHAR ? "char" : "string") +
                                 " with _Encoding '" + name + "'; zpmpi decodes utf-8 only)");
      skip = true;
      return {};
    }
    if (type == NC_CHAR) text = {model::TextType::Kind::utf8, 0};
    v.attributes.erase(encoding);
  }
  const auto fill = std::find_if(v.attributes.begin(), v.attributes.end(),
                                 [](const model::Attribute& a) { return a.name == "_FillValue" && a.value.is_text(); });
  if (fill != v.attributes.end() && text.kind == model::TextType::Kind::fixed_bytes) {
    // xarray masks the elements equal to it. Its bytes as stored: a NUL fill is "\0", which
    // the attribute's text (NULs stripped, as netCDF4-python decodes text) has lost.
    std::size_t len = 0;
    int rc = nc_inq_attlen(grpid_, varid, "_FillValue", &len);
    text.fill = std::string(len, '\0');
    if (rc == NC_NOERR) rc = nc_get_att_text(grpid_, varid, "_FillValue", text.fill->data());
    if (rc != NC_NOERR) return runtime_error(std::string("attribute _FillValue: ") + nc_strerror(rc));
    v.attributes.erase(fill);
  }
  v.text = text;
  v.dtype = model::DType::u1;  // unused for text
  v.source_chunks = v.shape;
  for (auto& c : v.source_chunks) c = std::max<model::Index>(c, 1);
  v.chunked = false;
  v.compressed = false;
  v.fill_value.reset();
  return {};
}

Result<std::vector<std::string>> NetcdfSource::read_text(const std::string& variable) {
  auto fail = [&](const std::string& why) { return runtime_error(path_ + ": " + variable + ": " + why); };
  const auto id = varids_.find(variable);
  const model::Variable* v = dataset_.find_variable(variable);
  if (id == varids_.end() || !v || !v->text) return fail("no such text variable");
  std::size_t elements = 1;
  for (model::Index n : v->shape) elements *= n;
  std::vector<std::string> values;
  if (elements == 0) return values;
  values.reserve(elements);

  nc_type type = NC_NAT;
  if (int rc = nc_inq_vartype(grpid_, id->second, &type); rc != NC_NOERR) return fail(nc_strerror(rc));
  if (type == NC_STRING) {
    std::vector<char*> strings(elements, nullptr);
    if (int rc = nc_get_var_string(grpid_, id->second, strings.data()); rc != NC_NOERR)
      return fail(nc_strerror(rc));
    for (char* s : strings) values.push_back(utf8_replace_invalid(s ? s : ""));  // unwritten: ""
    nc_free_string(elements, strings.data());
    return values;
  }
  // A char variable: `width` bytes per element (the folded dim; 1 for a 0-d variable or one
  // whose last dim xarray does not fold).
  std::size_t width = 1;
  int ndims = 0;
  if (int rc = nc_inq_varndims(grpid_, id->second, &ndims); rc != NC_NOERR) return fail(nc_strerror(rc));
  if (static_cast<std::size_t>(ndims) > v->shape.size()) {
    std::vector<int> dimids(static_cast<std::size_t>(ndims));
    if (int rc = nc_inq_vardimid(grpid_, id->second, dimids.data()); rc != NC_NOERR) return fail(nc_strerror(rc));
    if (int rc = nc_inq_dimlen(grpid_, dimids[ndims - 1], &width); rc != NC_NOERR) return fail(nc_strerror(rc));
  }
  std::string raw(elements * width, '\0');
  if (width > 0)
    if (int rc = nc_get_var_text(grpid_, id->second, raw.data()); rc != NC_NOERR) return fail(nc_strerror(rc));
  const bool utf8 = v->text->kind == model::TextType::Kind::utf8;
  const std::size_t out_width = std::max<std::size_t>(width, 1);  // a char dim of length 0: "|S1"
  for (std::size_t i = 0; i < elements; ++i) {
    std::string element = raw.substr(i * width, width);
    if (utf8) {
      // NumPy's "S" strips trailing NULs before xarray decodes the bytes.
      while (!element.empty() && element.back() == '\0') element.pop_back();
      values.push_back(utf8_replace_invalid(element));
    } else {
      element.resize(out_width, '\0');
      values.push_back(std::move(element));
    }
  }
  return values;
}

}  // namespace zpmpi::source
