// time_recodings(): the variables along the concat dim whose CF time units differ between
// a file and the first (see multi_file_source.hpp).
#include <algorithm>

#include "multi_file/multi_file_source.hpp"

namespace zpmpi::source {
namespace {

const std::string* text_attribute(const model::Variable& v, const char* name) {
  const model::Attribute* a = v.find_attribute(name);
  return a && a->value.is_text() ? &std::get<std::string>(a->value.data) : nullptr;
}

/// `v`'s units or calendar as xarray decodes it: a bounds variable (named by the `bounds`
/// attribute of a variable with "since" in its units) without its own takes that
/// variable's (conventions._update_bounds_attributes); nullptr when none.
const std::string* time_attribute(const model::Dataset& ds, const model::Variable& v, const char* name) {
  if (const std::string* own = text_attribute(v, name)) return own;
  for (const auto& t : ds.variables) {
    const std::string* units = text_attribute(t, "units");
    const std::string* bounds = text_attribute(t, "bounds");
    if (units && bounds && *bounds == v.name && units->find("since") != std::string::npos)
      return text_attribute(t, name);
  }
  return nullptr;
}

/// Both absent, or present and the same text.
bool same_text(const std::string* a, const std::string* b) { return (!a && !b) || (a && b && *a == *b); }

}  // namespace

std::vector<TimeRecoded> time_recodings(const model::Dataset& first, const model::Dataset& file,
                                        const std::string& concat_dim) {
  std::vector<TimeRecoded> out;
  for (const auto& w : file.variables) {
    const model::Variable* v = first.find_variable(w.name);
    if (!v || v->text || w.text || std::find(w.dims.begin(), w.dims.end(), concat_dim) == w.dims.end()) continue;
    const std::string* to = time_attribute(first, *v, "units");
    const std::string* from = time_attribute(file, w, "units");
    const std::string* calendar = time_attribute(file, w, "calendar");
    if (!to || !from || *to == *from || !same_text(time_attribute(first, *v, "calendar"), calendar)) continue;
    auto recoding = model::TimeRecoding::between(*from, *to, calendar ? *calendar : "");
    if (recoding.ok()) out.push_back({w.name, std::move(recoding).value()});
  }
  return out;
}

const model::TimeRecoding* find_recoding(const std::vector<TimeRecoded>& recodings, const std::string& variable) {
  for (const auto& r : recodings)
    if (r.variable == variable) return &r.recoding;
  return nullptr;
}

}  // namespace zpmpi::source
