#include "zpmpi/exec/text_arrays.hpp"

#include <algorithm>
#include <cstring>
#include <system_error>

#include "zpmpi/codec/vlen_utf8.hpp"
#include "zpmpi/model/bytes.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::exec {
namespace {

Error too_big(const std::string& name, std::size_t bytes) {
  return usage_error("text array '" + name + "' needs " + model::format_bytes(bytes) +
                     " as one chunk, more than the " + model::format_bytes(kMaxTextArrayBytes) +
                     " zpmpi writes for a text array; leave it out with \"variables\"");
}

}  // namespace

Status check_text_sizes(const std::vector<transform::OutputArray>& arrays) {
  for (const auto& a : arrays) {
    const std::size_t n = model::num_elements(a.shape);
    // Known exactly for fixed-width bytes; a lower bound (the length fields) for utf8.
    const std::size_t bytes = a.text->kind == model::TextType::Kind::fixed_bytes ? n * a.text->width : 4 + 4 * n;
    if (bytes > kMaxTextArrayBytes) return too_big(a.name, bytes);
  }
  return {};
}

Result<std::vector<std::byte>> text_chunk_bytes(const model::TextType& type, std::span<const std::string> values) {
  if (type.kind == model::TextType::Kind::utf8) return codec::vlen_utf8_encode(values);
  std::vector<std::byte> out(values.size() * type.width, std::byte{0});
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t n = std::min(values[i].size(), type.width);
    std::memcpy(out.data() + i * type.width, values[i].data(), n);
  }
  return out;
}

Result<std::size_t> write_text_arrays(const std::vector<transform::OutputArray>& arrays, source::Source& source,
                                      const std::filesystem::path& store, const codec::CodecSpec& codec,
                                      zarr::ZarrFormat format, int writer_id) {
  const auto coder = codec::make_codec(codec);
  std::size_t written = 0;
  for (const auto& a : arrays) {
    auto context = [&](const Error& e) { return e.with_context("text array " + a.name); };
    std::error_code ec;
    std::filesystem::create_directories(store / a.name, ec);
    if (ec) return runtime_error("cannot create " + (store / a.name).string() + ": " + ec.message());
    const std::size_t n = model::num_elements(a.shape);
    if (n == 0) continue;  // zarr: no chunk file for an empty array
    auto values = source.read_text(a.source.name);
    if (!values.ok()) return context(values.error());
    if (values->size() != model::num_elements(a.source.shape))
      return context(runtime_error("the source returned " + std::to_string(values->size()) + " elements, expected " +
                                   std::to_string(model::num_elements(a.source.shape))));
    const std::vector<std::string> out = transform::gather_text(a, *values);
    values = std::vector<std::string>{};  // release the source copy
    if (a.text->kind == model::TextType::Kind::utf8 && codec::vlen_utf8_size(out) > kMaxTextArrayBytes)
      return too_big(a.name, codec::vlen_utf8_size(out));
    auto raw = text_chunk_bytes(*a.text, out);
    if (!raw.ok()) return context(raw.error());
    std::vector<std::byte> encoded(coder->max_encoded_size(raw->size()));
    auto size = coder->encode(*raw, encoded);
    if (!size.ok()) return context(size.error());
    const std::string key = zarr::chunk_file_key(format, model::Shape(a.shape.size(), 0));
    ZPMPI_RETURN_IF_ERROR(zarr::write_chunk(store, a.name, key, {encoded.data(), *size}, writer_id));
    written += *size;
  }
  return written;
}

}  // namespace zpmpi::exec
