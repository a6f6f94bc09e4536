// Re-expressing CF time values in other units (see time_recoding.hpp).
#include "zpmpi/model/time_recoding.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "zpmpi/model/cf_time.hpp"
#include "zpmpi/model/same_value.hpp"

namespace zpmpi::model {
namespace {

using Wide = __int128;  // v * 86400 + an offset of up to 3.2e14 s cannot overflow it
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::string shortest(double x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

std::string show(const Scalar& s) {
  return std::visit([](auto x) {
    if constexpr (std::is_same_v<decltype(x), double>) return shortest(x);
    else return std::to_string(x);
  }, s);
}

/// The _FillValue and missing_value of `v` as elements of its dtype (xarray masks both).
std::vector<Scalar> kept_values(const Variable& v) {
  std::vector<Scalar> kept;
  if (v.fill_value) kept.push_back(*v.fill_value);
  if (const Attribute* m = v.find_attribute("missing_value"))
    std::visit([&](const auto& list) {
      using L = std::decay_t<decltype(list)>;
      if constexpr (!std::is_same_v<L, std::string> && !std::is_same_v<L, std::vector<std::string>>)
        for (auto x : list)
          if (auto e = exact_in(v.dtype, Scalar{x})) kept.push_back(*e);
    }, m->value.data);
  return kept;
}

bool is_kept(const Scalar& x, const std::vector<Scalar>& kept) {
  for (const Scalar& k : kept)
    if (same_value(x, k)) return true;
  return false;
}

/// A 128-bit integer as a Scalar, or nullopt beyond 64 bits.
std::optional<Scalar> narrow(Wide q) {
  if (q >= std::numeric_limits<std::int64_t>::min() && q <= std::numeric_limits<std::int64_t>::max())
    return Scalar{static_cast<std::int64_t>(q)};
  if (q > 0 && q <= static_cast<Wide>(std::numeric_limits<std::uint64_t>::max()))
    return Scalar{static_cast<std::uint64_t>(q)};
  return std::nullopt;
}

/// xarray's decode (value * unit nanoseconds in float64, truncated to int64, + reference)
/// then encode (nanoseconds / target unit nanoseconds in float64).
double float_recoded(double v, std::int64_t from_unit, std::int64_t offset, std::int64_t to_unit) {
  constexpr double kInt64 = 9.2e18;  // below 2^63, so the truncation is defined
  const double ns = v * static_cast<double>(from_unit * kNanosPerSecond);
  if (std::fabs(ns) < kInt64) {
    const Wide total = static_cast<Wide>(static_cast<std::int64_t>(ns)) + static_cast<Wide>(offset) * kNanosPerSecond;
    if (std::fabs(static_cast<double>(total)) < kInt64)
      return static_cast<double>(static_cast<std::int64_t>(total)) / static_cast<double>(to_unit * kNanosPerSecond);
  }
  return static_cast<double>((static_cast<long double>(v) * from_unit + offset) / to_unit);
}

}  // namespace

Result<TimeRecoding> TimeRecoding::between(std::string_view from, std::string_view to, std::string_view calendar) {
  ZPMPI_ASSIGN_OR_RETURN(CfTimeUnits a, CfTimeUnits::parse(from, calendar));
  ZPMPI_ASSIGN_OR_RETURN(CfTimeUnits b, CfTimeUnits::parse(to, calendar));
  // Reference seconds are whole numbers below 2^53 unless a date has fractional seconds.
  const double offset = a.reference_seconds() - b.reference_seconds();
  if (std::trunc(offset) != offset)
    return usage_error("the reference dates of '" + std::string(from) + "' and '" + std::string(to) +
                       "' differ by a fraction of a second");
  TimeRecoding r;
  r.from_ = std::string(from);
  r.to_ = std::string(to);
  r.from_unit_ = static_cast<std::int64_t>(a.seconds_per_unit());
  r.to_unit_ = static_cast<std::int64_t>(b.seconds_per_unit());
  r.offset_ = static_cast<std::int64_t>(offset);
  return r;
}

Status TimeRecoding::apply(const Variable& v, std::span<std::byte> values) const {
  const std::size_t size = dtype_size(v.dtype);
  const std::vector<Scalar> kept = kept_values(v);
  for (std::size_t at = 0; at + size <= values.size(); at += size) {
    const Scalar x = load_scalar(v.dtype, values.data() + at);
    if (is_kept(x, kept)) continue;
    auto fail = [&](const std::string& result, const std::string& why) {
      return usage_error("its value " + show(x) + " (" + from_ + ") is " + result + " " + to_ + ", " + why);
    };
    std::optional<Scalar> y;
    if (const double* d = std::get_if<double>(&x)) {
      y = Scalar{float_recoded(*d, from_unit_, offset_, to_unit_)};
    } else {
      const Wide seconds = std::visit([](auto i) { return static_cast<Wide>(i); }, x) * from_unit_ + offset_;
      const std::string exact = shortest(static_cast<double>(seconds) / static_cast<double>(to_unit_));
      if (seconds % to_unit_ != 0)
        return fail(exact, "not a whole number as its dtype " + std::string(dtype_name(v.dtype)) + " needs");
      const auto q = narrow(seconds / to_unit_);
      y = q ? exact_in(v.dtype, *q) : std::nullopt;
      if (!y) return fail(exact, "more than its dtype " + std::string(dtype_name(v.dtype)) + " holds");
    }
    if (is_kept(*y, kept)) return fail(show(*y), "its fill value: it would read as missing");
    store_scalar(v.dtype, *y, values.data() + at);
  }
  return {};
}

}  // namespace zpmpi::model
