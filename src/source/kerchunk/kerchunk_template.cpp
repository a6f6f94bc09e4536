#include "kerchunk/kerchunk_template.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace zpmpi::source::kerchunk {
namespace {

/// A recursive-descent evaluator of one "{{...}}" body. A bare name that is text renders
/// as that text; anything with operators is integer arithmetic.
class Expression {
 public:
  Expression(std::string_view text, const TemplateLookup& lookup) : s_(text), lookup_(lookup) {}

  Status render(std::string& out) {
    skip();
    // A lone name may be text (a url template).
    std::size_t p = pos_;
    if (p < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[p])) || s_[p] == '_')) {
      std::size_t e = p;
      while (e < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
      std::size_t after = e;
      while (after < s_.size() && s_[after] == ' ') ++after;
      if (after == s_.size()) {
        auto v = lookup_(s_.substr(p, e - p));
        if (!v) return fail("unknown name '" + std::string(s_.substr(p, e - p)) + "'");
        if (!v->is_integer) {
          out += v->text;
          return {};
        }
      }
    }
    ZPMPI_ASSIGN_OR_RETURN(std::int64_t value, sum());
    skip();
    if (pos_ != s_.size()) return fail("unexpected '" + std::string(s_.substr(pos_, 1)) + "'");
    out += std::to_string(value);
    return {};
  }

 private:
  Error fail(const std::string& why) const {
    return usage_error("template {{" + std::string(s_) + "}}: " + why);
  }
  /// Python's integers have no bound, so a value past int64 would be another number here:
  /// an error (fsspec refuses such an offset too).
  Error overflow() const { return fail("the value does not fit in 64 bits"); }
  /// Decimal digits as an integer.
  Result<std::int64_t> integer(std::string_view digits) const {
    std::int64_t v = 0;
    for (char d : digits)
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d - '0', &v)) return overflow();
    return v;
  }
  void skip() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  Result<std::int64_t> sum() {
    ZPMPI_ASSIGN_OR_RETURN(std::int64_t v, product());
    for (;;) {
      skip();
      if (pos_ >= s_.size() || (s_[pos_] != '+' && s_[pos_] != '-')) return v;
      const char op = s_[pos_++];
      ZPMPI_ASSIGN_OR_RETURN(std::int64_t r, product());
      if (op == '+' ? __builtin_add_overflow(v, r, &v) : __builtin_sub_overflow(v, r, &v)) return overflow();
    }
  }
  Result<std::int64_t> product() {
    ZPMPI_ASSIGN_OR_RETURN(std::int64_t v, unary());
    for (;;) {
      skip();
      if (pos_ >= s_.size() || (s_[pos_] != '*' && s_[pos_] != '/' && s_[pos_] != '%')) return v;
      const char op = s_[pos_++];
      if (op == '/' && pos_ < s_.size() && s_[pos_] == '/') ++pos_;
      ZPMPI_ASSIGN_OR_RETURN(std::int64_t r, unary());
      if (op == '*') {
        if (__builtin_mul_overflow(v, r, &v)) return overflow();
        continue;
      }
      if (r == 0) return fail("division by zero");
      if (r == -1 && v == INT64_MIN) {
        if (op == '%') {
          v = 0;
          continue;
        }
        return overflow();
      }
      // Python's floor division and modulo.
      std::int64_t q = v / r, m = v % r;
      if (m != 0 && ((m < 0) != (r < 0))) {
        --q;
        m += r;
      }
      v = op == '%' ? m : q;
    }
  }
  Result<std::int64_t> unary() {
    skip();
    if (pos_ < s_.size() && s_[pos_] == '-') {
      ++pos_;
      ZPMPI_ASSIGN_OR_RETURN(std::int64_t v, unary());
      if (v == INT64_MIN) return overflow();
      return -v;
    }
    if (pos_ < s_.size() && s_[pos_] == '+') {
      ++pos_;
      return unary();
    }
    return atom();
  }
  Result<std::int64_t> atom() {
    skip();
    if (pos_ >= s_.size()) return fail("expression ends early");
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      ZPMPI_ASSIGN_OR_RETURN(std::int64_t v, sum());
      skip();
      if (pos_ >= s_.size() || s_[pos_] != ')') return fail("missing ')'");
      ++pos_;
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      const std::size_t b = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      return integer(s_.substr(b, pos_ - b));
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t b = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
      const std::string_view name = s_.substr(b, pos_ - b);
      auto v = lookup_(name);
      if (!v) return fail("unknown name '" + std::string(name) + "'");
      if (v->is_integer) return v->integer;
      // A text template used in arithmetic must hold an integer.
      const bool digits = !v->text.empty() && std::all_of(v->text.begin(), v->text.end(), [](char d) {
        return std::isdigit(static_cast<unsigned char>(d)) != 0;
      });
      if (!digits) return fail(std::string(name).append(" is not an integer"));
      return integer(v->text);
    }
    return fail("unexpected '" + std::string(1, c) + "'");
  }

  std::string_view s_;
  const TemplateLookup& lookup_;
  std::size_t pos_ = 0;
};

}  // namespace

bool has_template(std::string_view text) { return text.find("{{") != std::string_view::npos; }

Status render_template(std::string_view text, const TemplateLookup& lookup, std::string& out) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      return usage_error("template '" + std::string(text) + "': '{{' without '}}'");
    Expression e(text.substr(open + 2, close - open - 2), lookup);
    ZPMPI_RETURN_IF_ERROR(e.render(out));
    pos = close + 2;
  }
  return {};
}

}  // namespace zpmpi::source::kerchunk
