// describe_files(): rank 0 describes every file of a multi-file source once, one file open
// at a time, and checks that each agrees with the first (see multi_file_source.hpp).
#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "multi_file/multi_file_source.hpp"
#include "zpmpi/model/same_value.hpp"

namespace zpmpi::source {
namespace {

/// Attributes xarray decodes each file with (so files that differ in them would decode
/// differently, while zpmpi writes the first file's).
constexpr const char* kDecodingAttributes[] = {"scale_factor", "add_offset", "_FillValue",
                                               "missing_value", "units",     "calendar"};

std::string show(const model::Shape& s) { return model::to_string(s); }

std::string show(const model::Variable& v) {
  if (v.text) return model::text_typestr(*v.text);
  return std::string(model::dtype_name(v.dtype));
}

std::string show(const model::AttrValue& a) {
  if (const auto* s = std::get_if<std::string>(&a.data)) return "'" + *s + "'";
  std::ostringstream out;
  auto list = [&](const auto& values) {
    for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  };
  std::visit([&](const auto& values) {
    if constexpr (!std::is_same_v<std::decay_t<decltype(values)>, std::string>) list(values);
  }, a.data);
  return out.str();
}

/// Shape and chunks without the concat dim (at `p`, if any).
model::Shape without(model::Shape s, std::optional<std::size_t> p) {
  if (p) s.erase(s.begin() + static_cast<std::ptrdiff_t>(*p));
  return s;
}

/// The first way `b` (file `nb`) differs from `a` (file `na`) that the combined dataset
/// cannot absorb, or nullopt. The units of the `recoded` variables are absorbed.
std::optional<std::string> difference(const model::Dataset& a, const std::string& na, const model::Dataset& b,
                                      const std::string& nb, const std::string& concat_dim,
                                      const std::vector<TimeRecoded>& recoded) {
  for (const auto& d : a.dims) {
    const model::Dimension* e = b.find_dim(d.name);
    if (!e) return "dimension " + d.name + " is missing from " + nb;
    if (d.name != concat_dim && e->length != d.length)
      return "dimension " + d.name + " has length " + std::to_string(d.length) + " in " + na + ", " +
             std::to_string(e->length) + " in " + nb;
  }
  for (const auto& e : b.dims)
    if (!a.find_dim(e.name)) return "dimension " + e.name + " is in " + nb + " only";
  for (const auto& v : a.variables) {
    const model::Variable* w = b.find_variable(v.name);
    if (!w) return "variable " + v.name + " is missing from " + nb;
    const std::string var = "variable " + v.name + " ";
    if (v.text != w->text || (!v.text && v.dtype != w->dtype))
      return var + "is " + show(v) + " in " + na + ", " + show(*w) + " in " + nb;
    if (v.dims != w->dims) return var + "has other dims in " + nb;
    const auto p = std::find(v.dims.begin(), v.dims.end(), concat_dim) == v.dims.end()
                       ? std::nullopt
                       : std::optional<std::size_t>(std::find(v.dims.begin(), v.dims.end(), concat_dim) - v.dims.begin());
    if (without(v.source_chunks, p) != without(w->source_chunks, p) || v.chunked != w->chunked ||
        v.compressed != w->compressed)
      return var + "is stored in chunks " + show(v.source_chunks) + (v.compressed ? " compressed" : "") + " in " +
             na + ", " + show(w->source_chunks) + (w->compressed ? " compressed" : "") + " in " + nb;
    // Along the concat dim the chunk is capped at each file's length (at least 1); otherwise
    // it must agree.
    if (p && v.chunked && v.source_chunks[*p] != w->source_chunks[*p] && v.source_chunks[*p] < v.shape[*p] &&
        w->source_chunks[*p] < w->shape[*p])
      return var + "is stored in chunks " + show(v.source_chunks) + " in " + na + ", " + show(w->source_chunks) +
             " in " + nb;
    if (!model::same_value(v.fill_value, w->fill_value)) return var + "has another fill value in " + nb + " than in " + na;
    for (const char* name : kDecodingAttributes) {
      if (std::string_view(name) == "units" && find_recoding(recoded, v.name)) continue;
      const model::Attribute* x = v.find_attribute(name);
      const model::Attribute* y = w->find_attribute(name);
      if (!x && !y) continue;
      if (!x || !y || !model::same_value(x->value, y->value))
        return var + "has " + name + " " + (x ? show(x->value) : "(none)") + " in " + na + ", " +
               (y ? show(y->value) : "(none)") + " in " + nb + " (xarray decodes each file with its own)";
    }
  }
  for (const auto& w : b.variables)
    if (!a.find_variable(w.name)) return "variable " + w.name + " is in " + nb + " only";
  return std::nullopt;
}

/// A whole variable's values: bytes for a numeric one, the elements for a text one.
struct Values {
  std::vector<std::byte> bytes;
  std::vector<std::string> text;
};

/// The same values of `v`, NaN equal to NaN (xarray's fill value NaN in a coordinate).
bool same_values(const model::Variable& v, const Values& a, const Values& b) {
  if (v.text) return a.text == b.text;
  return a.bytes.size() == b.bytes.size() && !model::first_difference(v.dtype, a.bytes, b.bytes);
}

Result<Values> read_all(Source& source, const model::Variable& v) {
  Values values;
  if (v.text) {
    ZPMPI_ASSIGN_OR_RETURN(values.text, source.read_text(v.name));
    return values;
  }
  values.bytes.resize(model::num_elements(v.shape) * model::dtype_size(v.dtype));
  ZPMPI_RETURN_IF_ERROR(source.read(v.name, {model::Shape(v.shape.size(), 0), v.shape}, values.bytes));
  return values;
}

/// The concat coordinate of one file, as doubles: first, last and the largest step inside.
struct Extent {
  double first = 0, last = 0;
  std::optional<double> max_step;
};

/// `recoded`: the variables of this file read in the first file's time units.
Result<std::optional<Extent>> concat_extent(Source& source, const std::string& concat_dim,
                                            const std::vector<TimeRecoded>& recoded = {}) {
  const model::Dataset& ds = source.dataset();
  const model::Variable* v = ds.find_variable(concat_dim);
  if (!v || v->text || !ds.is_dimension_coordinate(*v) || v->shape[0] == 0) return std::optional<Extent>();
  ZPMPI_ASSIGN_OR_RETURN(Values values, read_all(source, *v));
  if (const model::TimeRecoding* r = find_recoding(recoded, v->name)) ZPMPI_RETURN_IF_ERROR(r->apply(*v, values.bytes));
  const std::size_t size = model::dtype_size(v->dtype);
  std::vector<double> x(v->shape[0]);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = std::visit([](auto s) { return static_cast<double>(s); }, model::load_scalar(v->dtype, values.bytes.data() + i * size));
  Extent e{x.front(), x.back(), std::nullopt};
  for (std::size_t i = 1; i < x.size(); ++i) e.max_step = std::max(e.max_step.value_or(x[i] - x[i - 1]), x[i] - x[i - 1]);
  return std::optional<Extent>(e);
}

/// Re-expresses every value of the `recoded` variables of `source` in the first file's
/// units: the first that does not convert, as "variable time: its value ...", or nullopt.
Result<std::optional<std::string>> unconvertible(Source& source, const std::vector<TimeRecoded>& recoded) {
  for (const auto& r : recoded) {
    const model::Variable& v = *source.dataset().find_variable(r.variable);
    ZPMPI_ASSIGN_OR_RETURN(Values values, read_all(source, v));
    if (auto done = r.recoding.apply(v, values.bytes); !done.ok())
      return std::optional<std::string>("variable " + v.name + ": " + done.error().message);
  }
  return std::optional<std::string>();
}

std::string number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

/// The concat coordinate goes on from file `pa` (extent `a`) to file `nb` (extent `b`): an
/// overlap is an error, a gap a warning added to `warnings`.
Status check_order(const Extent& a, const std::string& pa, const Extent& b, const std::string& nb,
                   const std::string& dim, std::vector<std::string>& warnings) {
  if (!(b.first > a.last))
    return usage_error("source.uri: " + nb + " overlaps " + pa + " along " + dim + ": its first " + dim + " value " +
                       number(b.first) + " is not after " + pa + "'s last, " + number(a.last) +
                       " (the files must be listed in increasing " + dim + ")");
  const std::optional<double> inside =
      a.max_step && b.max_step ? std::max(*a.max_step, *b.max_step) : (a.max_step ? a.max_step : b.max_step);
  const double between = b.first - a.last;
  if (inside && between > *inside)
    warnings.push_back("source: a gap along " + dim + " between " + pa + " (last value " + number(a.last) + ") and " +
                       nb + " (first value " + number(b.first) + "): a step of " + number(between) +
                       ", the steps inside the files are at most " + number(*inside));
  return {};
}

}  // namespace

Result<SourceSpec> describe_files(const SourceSpec& spec) {
  SourceSpec out = spec;
  out.lengths.clear();
  out.warnings.clear();
  ZPMPI_ASSIGN_OR_RETURN(auto first_source, open_netcdf(spec.uris[0], spec.group));
  const model::Dataset first = first_source->dataset();
  if (out.concat_dim.empty()) {
    const auto record = std::find_if(first.dims.begin(), first.dims.end(), [](const auto& d) { return d.unlimited; });
    out.concat_dim = record != first.dims.end() ? record->name : "time";
  }
  const std::string& dim = out.concat_dim;
  auto no_dim = [&](const std::string& uri) {
    return usage_error("source.concat_dim: " + uri + " has no dimension '" + dim + "' to concatenate along");
  };
  if (!first.find_dim(dim)) return no_dim(spec.uris[0]);

  // The coordinates without the concat dim: every file must hold the first file's values.
  const auto aux = first.auxiliary_coordinate_names();
  std::vector<std::pair<const model::Variable*, Values>> fixed;
  for (const auto& v : first.variables) {
    const bool coordinate = first.is_dimension_coordinate(v) || std::find(aux.begin(), aux.end(), v.name) != aux.end();
    if (!coordinate || std::find(v.dims.begin(), v.dims.end(), dim) != v.dims.end()) continue;
    ZPMPI_ASSIGN_OR_RETURN(Values values, read_all(*first_source, v));
    fixed.emplace_back(&v, std::move(values));
  }
  ZPMPI_ASSIGN_OR_RETURN(auto extent, concat_extent(*first_source, dim));
  std::string extent_uri = spec.uris[0];  // the last file with concat coordinate values
  out.lengths.push_back(first.find_dim(dim)->length);
  first_source.reset();

  for (std::size_t i = 1; i < spec.uris.size(); ++i) {
    const std::string& previous = extent_uri;
    const std::string& uri = spec.uris[i];
    ZPMPI_ASSIGN_OR_RETURN(auto source, open_netcdf(uri, spec.group));  // closed at the end of the loop
    const model::Dataset& ds = source->dataset();
    if (!ds.find_dim(dim)) return no_dim(uri);
    auto mismatch = [&](const std::string& what) {
      return usage_error("source.uri: " + spec.uris[0] + " and " + uri + " do not agree: " + what);
    };
    const auto recoded = time_recodings(first, ds, dim);
    if (auto what = difference(first, spec.uris[0], ds, uri, dim, recoded)) return mismatch(*what);
    ZPMPI_ASSIGN_OR_RETURN(auto refused, unconvertible(*source, recoded));
    if (refused) return mismatch(*refused + " (the first file's units are kept, as xarray does)");
    for (const auto& [v, values] : fixed) {
      ZPMPI_ASSIGN_OR_RETURN(Values other, read_all(*source, *v));
      if (!same_values(*v, values, other)) return mismatch("coordinate " + v->name + " holds other values");
    }
    ZPMPI_ASSIGN_OR_RETURN(auto next, concat_extent(*source, dim, recoded));
    if (extent && next) ZPMPI_RETURN_IF_ERROR(check_order(*extent, previous, *next, uri, dim, out.warnings));
    if (next) {  // an empty file (no values) leaves the previous extent to compare with
      extent = next;
      extent_uri = uri;
    }
    out.lengths.push_back(ds.find_dim(dim)->length);
  }
  return out;
}

}  // namespace zpmpi::source
