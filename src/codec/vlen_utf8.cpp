// numcodecs.VLenUTF8 framing (see vlen_utf8.hpp).
#include "zpmpi/codec/vlen_utf8.hpp"

#include <cstdint>
#include <cstring>
#include <limits>

namespace zpmpi::codec {
namespace {

void put_u32(std::vector<std::byte>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xFF));
}

std::uint32_t get_u32(const std::byte* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
  return v;
}

constexpr std::size_t kMax = std::numeric_limits<std::uint32_t>::max();

}  // namespace

std::size_t vlen_utf8_size(std::span<const std::string> items) {
  std::size_t size = 4;
  for (const auto& s : items) size += 4 + s.size();
  return size;
}

Result<std::vector<std::byte>> vlen_utf8_encode(std::span<const std::string> items) {
  if (items.size() > kMax) return runtime_error("vlen-utf8: more than 2^32 - 1 items");
  std::vector<std::byte> out;
  out.reserve(vlen_utf8_size(items));
  put_u32(out, static_cast<std::uint32_t>(items.size()));
  for (const auto& s : items) {
    if (s.size() > kMax) return runtime_error("vlen-utf8: an item of more than 2^32 - 1 bytes");
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out.insert(out.end(), p, p + s.size());
  }
  return out;
}

Result<std::vector<std::string>> vlen_utf8_decode(std::span<const std::byte> bytes) {
  if (bytes.size() < 4) return runtime_error("vlen-utf8: shorter than its 4-byte header");
  const std::uint32_t n = get_u32(bytes.data());
  std::vector<std::string> items;
  std::size_t at = 4;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (bytes.size() - at < 4) return runtime_error("vlen-utf8: truncated at item " + std::to_string(i));
    const std::uint32_t len = get_u32(bytes.data() + at);
    at += 4;
    if (bytes.size() - at < len) return runtime_error("vlen-utf8: truncated at item " + std::to_string(i));
    items.emplace_back(reinterpret_cast<const char*>(bytes.data() + at), len);
    at += len;
  }
  if (at != bytes.size()) return runtime_error("vlen-utf8: " + std::to_string(bytes.size() - at) + " trailing bytes");
  return items;
}

}  // namespace zpmpi::codec
