#include "strict_json.hpp"

#include <string>
#include <unordered_set>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

namespace zpmpi::app {
namespace json = boost::json;
namespace {

/// Line and column (1-based) of byte `offset` in `text`.
std::string position(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

/// Builds nothing: follows the key path and stops (returning false with `problem` set) at
/// the first repeated key or NUL byte. Strings may arrive in parts; keys are gathered
/// whole to compare them, values are only scanned.
class Checker {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  std::string problem;  ///< "<key path>: <what>", set when a handler returned false

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return open(false); }
  bool on_array_end(std::size_t, json::error_code&) { return close(); }
  bool on_object_begin(json::error_code&) { return open(true); }
  bool on_object_end(std::size_t, json::error_code&) { return close(); }
  bool on_string_part(json::string_view s, std::size_t, json::error_code& ec) { return no_nul(s, ec); }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) { return no_nul(s, ec) && value(); }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    Frame& f = frames_.back();
    f.key = std::move(key_);
    key_.clear();
    if (f.key.find('\0') != std::string::npos) return fail("a key contains a NUL byte", path(1), ec);
    if (!f.keys.insert(f.key).second) return fail("is given twice", path(0), ec, /*at=*/true);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return value(); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return value(); }
  bool on_double(double, json::string_view, json::error_code&) { return value(); }
  bool on_bool(bool, json::error_code&) { return value(); }
  bool on_null(json::error_code&) { return value(); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  bool wants_position() const { return want_position_; }

 private:
  struct Frame {
    bool object = false;
    std::size_t index = 0;  ///< arrays: the element being read
    std::string key;        ///< objects: the key being read
    std::unordered_set<std::string> keys;
  };

  bool open(bool object) {
    frames_.push_back(Frame{object, 0, {}, {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return value();
  }
  /// A value ended: the next one in an array has the next index.
  bool value() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return true;
  }
  bool no_nul(json::string_view s, json::error_code& ec) {
    return s.find('\0') == json::string_view::npos || fail("contains a NUL byte", path(0), ec);
  }
  bool fail(const std::string& what, const std::string& where, json::error_code& ec, bool at = false) {
    problem = (where.empty() ? "the document" : where) + ": " + what;
    want_position_ = at;
    ec = json::error::syntax;  // any error stops the parser; `problem` says which
    return false;
  }
  /// The key path of the value being read, without the innermost `skip` frames' keys:
  /// add_attrs.units, preprocessors[1].time[0].
  std::string path(std::size_t skip) const {
    std::string p;
    for (std::size_t i = 0; i + skip < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.object) {
        if (!p.empty()) p += '.';
        p += printable(f.key);
      } else {
        p += '[';
        p += std::to_string(f.index);
        p += ']';
      }
    }
    return p;
  }
  /// A key for a message: a NUL (only in a key being refused) as \u0000.
  static std::string printable(const std::string& key) {
    std::string out;
    for (char c : key) {
      if (c == '\0') out += "\\u0000";
      else out += c;
    }
    return out;
  }

  std::vector<Frame> frames_;
  std::string key_;
  bool want_position_ = false;
};

}  // namespace

Result<json::value> parse_strict_json(std::string_view text) {
  json::basic_parser<Checker> checker(json::parse_options{});
  json::error_code ec;
  const std::size_t used = checker.write_some(false, text.data(), text.size(), ec);
  const std::string& problem = checker.handler().problem;
  if (!problem.empty())
    return usage_error(problem +
                       (checker.handler().wants_position() ? " (again at " + position(text, used) + ")" : ""));
  if (ec) return usage_error(position(text, used) + ": malformed JSON (" + ec.message() + ")");
  json::value v = json::parse(text, ec);
  if (ec) return usage_error("malformed JSON (" + ec.message() + ")");  // the check above saw it first
  return v;
}

}  // namespace zpmpi::app
