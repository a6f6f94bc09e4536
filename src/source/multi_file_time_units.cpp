// time_recodings(): the variables along the concat dim whose CF time units differ between
// a file and the first (see multi_file_source.hpp).
#include <algorithm>

#include "multi_file_source.hpp"
#include "zpmpi/model/same_value.hpp"

namespace zpmpi::source {
namespace {

const std::string* text_attribute(const model::Variable& v, const char* name) {
  const model::Attribute* a = v.find_attribute(name);
  return a && a->value.is_text() ? &std::get<std::string>(a->value.data) : nullptr;
}

/// Both attributes absent, or present and the same value.
bool same_attribute(const model::Variable& a, const model::Variable& b, const char* name) {
  const model::Attribute* x = a.find_attribute(name);
  const model::Attribute* y = b.find_attribute(name);
  return (!x && !y) || (x && y && model::same_value(x->value, y->value));
}

}  // namespace

std::vector<TimeRecoded> time_recodings(const model::Dataset& first, const model::Dataset& file,
                                        const std::string& concat_dim) {
  std::vector<TimeRecoded> out;
  for (const auto& w : file.variables) {
    const model::Variable* v = first.find_variable(w.name);
    if (!v || v->text || w.text || std::find(w.dims.begin(), w.dims.end(), concat_dim) == w.dims.end()) continue;
    const std::string* to = text_attribute(*v, "units");
    const std::string* from = text_attribute(w, "units");
    if (!to || !from || *to == *from || !same_attribute(*v, w, "calendar")) continue;
    const std::string* calendar = text_attribute(w, "calendar");
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
