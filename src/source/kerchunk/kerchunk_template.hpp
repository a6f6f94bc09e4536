// "{{...}}" templates of kerchunk reference sets, as kerchunk renders them with jinja2:
// "data/{{u}}_{{i}}.nc" with u a template text and i an integer. Inside the braces: a name,
// or an integer expression over names and literals with + - * / // % and parentheses
// ("{{(i + 1) * 1000}}"); '/' and '//' both divide as Python's floor division of integers
// (a template's offsets and indices are integers). Arithmetic is exact in int64: a value
// that leaves it (jinja2's Python integers would not wrap) is an error, as is anything
// else the grammar does not allow; errors name the template text.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "zpmpi/model/result.hpp"

namespace zpmpi::source::kerchunk {

/// What a name stands for: text (a template) or an integer (a gen dimension); nullopt when
/// unknown.
struct TemplateValue {
  std::string text;
  std::int64_t integer = 0;
  bool is_integer = false;
};
using TemplateLookup = std::function<std::optional<TemplateValue>(std::string_view name)>;

/// True when `text` holds a "{{".
bool has_template(std::string_view text);

/// `text` with every "{{...}}" replaced. Appends to `out` (reused by the caller).
Status render_template(std::string_view text, const TemplateLookup& lookup, std::string& out);

}  // namespace zpmpi::source::kerchunk
