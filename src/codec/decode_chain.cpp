// DecodeChain: the .zarray's codecs parsed into decoding steps, and the plan of which
// buffer each step writes to, made once per chain so that decode() only runs it.
#include "zpmpi/codec/decode_chain.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "decode_scratch_state.hpp"
#include "decode_step.hpp"

namespace zpmpi::codec {
namespace {

namespace json = boost::json;

using Factory = Result<StepPtr> (*)(const json::object&);
struct Known {
  std::string_view id;
  Factory make;
};
constexpr std::array<Known, 8> kCodecs{{
    {"zlib", make_zlib_step},
    {"gzip", make_gzip_step},
    {"zstd", make_zstd_step},
    {"lz4", make_lz4_step},
    {"blosc", make_blosc_step},
    {"shuffle", make_shuffle_step},
    {"delta", make_delta_step},
    {"fixedscaleoffset", make_fixedscaleoffset_step},
}};

std::string supported_list() {
  std::string s;
  for (const auto& k : kCodecs) s += (s.empty() ? "" : ", ") + std::string(k.id);
  return s;
}

/// One codec's JSON ({"id": ..., fields}) as a step; nullptr when it has nothing to undo.
Result<StepPtr> parse_codec(const json::value& v) {
  const auto* obj = v.if_object();
  if (!obj) return usage_error("must be an object with an \"id\"");
  const auto* id = obj->if_contains("id");
  if (!id || !id->is_string()) return usage_error("id: missing (a codec object needs a string \"id\")");
  const std::string_view name = id->get_string();
  for (const auto& k : kCodecs) {
    if (k.id != name) continue;
    auto step = k.make(*obj);
    if (!step.ok()) return step.error().with_context("codec " + std::string(name));
    return step;
  }
  return usage_error("unknown codec '" + std::string(name) + "' (supported: " + supported_list() + ")");
}

/// The array dtype: its element size and the unit to byte-swap (0 = native order already).
struct ArrayType {
  std::size_t size = 0;
  std::size_t swap_unit = 0;
};

Result<ArrayType> parse_array_dtype(std::string_view s) {
  const auto bad = [&] {
    return usage_error("dtype: unsupported dtype '" + std::string(s) +
                       "' (supported: numeric b1, i1-i8, u1-u8, f2, f4, f8, c8, c16, M8, m8)");
  };
  if (s.size() < 3) return bad();
  const char order = s[0], kind = s[1];
  if (order != '<' && order != '>' && order != '|' && order != '=') return bad();
  std::string_view digits = s.substr(2);
  if (kind == 'M' || kind == 'm') {  // datetime64 / timedelta64: "<M8[ns]"
    const auto bracket = digits.find('[');
    if (bracket != std::string_view::npos && digits.back() != ']') return bad();
    digits = digits.substr(0, bracket);
  }
  std::size_t size = 0;
  for (char c : digits) {
    if (c < '0' || c > '9' || size > 64) return bad();
    size = size * 10 + static_cast<std::size_t>(c - '0');
  }
  bool ok = false;
  switch (kind) {
    case 'b': ok = size == 1; break;
    case 'i': case 'u': ok = size == 1 || size == 2 || size == 4 || size == 8; break;
    case 'f': ok = size == 2 || size == 4 || size == 8; break;
    case 'c': ok = size == 8 || size == 16; break;
    case 'M': case 'm': ok = size == 8; break;
    default: break;
  }
  if (!ok || (order == '|' && size != 1)) return bad();
  const bool big = order == '>' || (order == '=' && std::endian::native == std::endian::big);
  ArrayType t{size, 0};
  if (size > 1 && big != (std::endian::native == std::endian::big)) t.swap_unit = kind == 'c' ? size / 2 : size;
  return t;
}

}  // namespace

Result<long long> int_field(const json::object& config, std::string_view key, long long fallback) {
  const auto* v = config.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (v->is_int64()) return static_cast<long long>(v->get_int64());
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<long long>::max()))
    return static_cast<long long>(v->get_uint64());
  return usage_error(std::string(key) + ": must be an integer");
}

struct DecodeChain::Impl {
  struct Stage {
    StepPtr step;
    SizeRelation rel;
    int buffer = 0;  ///< where its output goes: 0 = `out`, 1 or 2 = scratch buffer 0 or 1
  };
  std::vector<Stage> stages;  ///< decoding order; stages[0] reads the stored bytes

  /// Chooses each stage's output buffer: the last writes `out`; a stage writes the buffer
  /// holding its input only if it runs in place; `out` takes nothing larger than itself.
  /// Of the valid plans, the one with the fewest, then smallest, scratch buffers wins.
  Status plan() {
    const std::size_t m = stages.size();
    if (m == 0) return {};
    std::vector<double> ratio(m);  // output size / chunk size
    ratio[m - 1] = 1;
    for (std::size_t j = m - 1; j > 0; --j)
      ratio[j - 1] = ratio[j] * static_cast<double>(stages[j].rel.in_unit) / static_cast<double>(stages[j].rel.out_unit);
    std::vector<int> pick(m, 0), best;
    double best_cost = std::numeric_limits<double>::infinity();
    std::function<void(std::size_t)> visit = [&](std::size_t j) {
      if (j == m) {
        std::array<double, 3> need{0, 0, 0};
        for (std::size_t k = 0; k < m; ++k) need[pick[k]] = std::max(need[pick[k]], ratio[k]);
        const double cost = (need[1] > 0) * 1e6 + (need[2] > 0) * 1e6 + need[1] + need[2];
        if (cost < best_cost) best_cost = cost, best = pick;
        return;
      }
      for (int b = 0; b < 3; ++b) {
        if (j == m - 1 && b != 0) continue;
        if (b == 0 && ratio[j] > 1) continue;
        if (j > 0 && pick[j - 1] == b && !stages[j].step->in_place()) continue;
        if (b == 2 && std::find(pick.begin(), pick.begin() + j, 1) == pick.begin() + j)
          continue;  // scratch buffer 1 only once buffer 0 is in use (no mirror-image plans)
        pick[j] = b;
        visit(j + 1);
      }
    };
    visit(0);
    if (best.empty()) return usage_error("filters: no way to decode this chain in two scratch buffers");
    for (std::size_t j = 0; j < m; ++j) stages[j].buffer = best[j];
    return {};
  }
};

DecodeChain::DecodeChain() : impl_(std::make_shared<Impl>()) {}
DecodeChain::~DecodeChain() = default;

Result<DecodeChain> DecodeChain::from_zarr(const json::value& compressor, const json::value& filters,
                                           std::string_view dtype) {
  ZPMPI_ASSIGN_OR_RETURN(const ArrayType array, parse_array_dtype(dtype));
  // Encoding order: filters[0], filters[1], ..., compressor. Decoding runs it backwards.
  std::vector<std::pair<std::string, const json::value*>> encode;
  if (!filters.is_null()) {
    const auto* list = filters.if_array();
    if (!list) return usage_error("filters: must be a list of codec objects or null");
    for (std::size_t i = 0; i < list->size(); ++i) encode.emplace_back("filters[" + std::to_string(i) + "]", &(*list)[i]);
  }
  if (!compressor.is_null()) encode.emplace_back("compressor", &compressor);
  if (encode.size() > 8) return usage_error("filters: at most 8 codecs are supported, got " + std::to_string(encode.size()));

  auto impl = std::make_shared<Impl>();
  for (auto it = encode.rbegin(); it != encode.rend(); ++it) {
    auto step = parse_codec(*it->second);
    if (!step.ok()) return step.error().with_context(it->first);
    if (!*step) continue;
    if ((*step)->compresses() && !impl->stages.empty())
      return usage_error(it->first + ": codec " + (*step)->describe() +
                         " compresses, but only the last codec applied (the compressor, or the last filter when "
                         "the compressor is null) may: its decoded size would be unknown");
    const SizeRelation rel = (*step)->sizes();
    impl->stages.push_back({std::move(*step), rel, 0});
  }
  if (array.swap_unit > 0) {
    StepPtr swap = make_byteswap_step(array.swap_unit);
    const SizeRelation rel = swap->sizes();
    impl->stages.push_back({std::move(swap), rel, 0});
  }
  ZPMPI_RETURN_IF_ERROR(impl->plan());
  DecodeChain chain;
  chain.impl_ = std::move(impl);
  return chain;
}

bool DecodeChain::is_identity() const { return impl_->stages.empty(); }

std::string DecodeChain::describe() const {
  if (impl_->stages.empty()) return "none";
  std::string s;
  for (const auto& st : impl_->stages) s += (s.empty() ? "" : " <- ") + st.step->describe();
  return s;
}

Status DecodeChain::decode(std::span<const std::byte> stored, std::span<std::byte> out, DecodeScratch& scratch) const {
  const auto& stages = impl_->stages;
  const std::size_t m = stages.size();
  if (m == 0) {
    if (stored.size() != out.size())
      return runtime_error("stored chunk has " + std::to_string(stored.size()) + " bytes, expected " +
                           std::to_string(out.size()));
    if (!out.empty()) std::memcpy(out.data(), stored.data(), out.size());
    return {};
  }
  // Sizes from the end: each filter's input follows from its output.
  std::array<std::size_t, 10> size{};
  size[m - 1] = out.size();
  for (std::size_t j = m; j-- > 0;) {
    const Impl::Stage& st = stages[j];
    if (st.step->compresses()) break;  // stage 0 only: its input is whatever was stored
    const std::size_t n = size[j];
    if (n % st.rel.out_unit != 0)
      return runtime_error(st.step->describe() + ": " + std::to_string(n) + " bytes are not a whole number of " +
                           std::to_string(st.rel.out_unit) + "-byte elements");
    const std::size_t in = n / st.rel.out_unit * st.rel.in_unit;
    if (j > 0) {
      size[j - 1] = in;
    } else if (stored.size() != in) {
      return runtime_error("stored chunk has " + std::to_string(stored.size()) + " bytes, expected " +
                           std::to_string(in));
    }
  }
  DecodeScratch::State& state = scratch.state();
  // Scratch buffers are sized before any step runs: growing one moves it.
  std::array<std::size_t, 3> need{0, 0, 0};
  std::array<bool, 3> used{true, false, false};
  for (std::size_t j = 0; j < m; ++j) {
    need[stages[j].buffer] = std::max(need[stages[j].buffer], size[j]);
    used[stages[j].buffer] = true;
  }
  std::array<std::byte*, 3> base{out.data(), nullptr, nullptr};
  for (int b = 1; b < 3; ++b)
    if (used[b]) base[b] = state.buffer(b - 1, std::max<std::size_t>(need[b], 1)).data();

  std::span<const std::byte> in = stored;
  for (std::size_t j = 0; j < m; ++j) {
    const std::span<std::byte> to{base[stages[j].buffer], size[j]};
    ZPMPI_RETURN_IF_ERROR(stages[j].step->run(in, to, state));
    in = to;
  }
  return {};
}

}  // namespace zpmpi::codec
