// zstd (streamed) and gzip (libdeflate, whole) reference files; see kerchunk_compressed.hpp.
#include "kerchunk/kerchunk_compressed.hpp"

#include <libdeflate.h>
#include <zstd.h>

#include <memory>
#include <vector>

namespace zpmpi::source::kerchunk {
namespace {

std::string too_large(const std::string& location, std::uint64_t max_bytes) {
  return location + ": decompressed, more than the limit of " + std::to_string(max_bytes) + " bytes";
}

Status zstd_into(std::string_view data, const std::string& location, std::uint64_t max_bytes,
                 const std::function<Status(const char*, std::size_t)>& sink) {
  std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!ctx) return runtime_error(location + ": zstd: out of memory");
  std::vector<char> out(ZSTD_DStreamOutSize());
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::uint64_t total = 0;
  std::size_t last = 1;  // 0 once a frame is complete
  while (in.pos < in.size || last != 0) {
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    last = ZSTD_decompressStream(ctx.get(), &o, &in);
    if (ZSTD_isError(last)) return usage_error(location + ": zstd: corrupt data (" + ZSTD_getErrorName(last) + ")");
    total += o.pos;
    if (total > max_bytes) return usage_error(too_large(location, max_bytes));
    if (o.pos > 0) ZPMPI_RETURN_IF_ERROR(sink(out.data(), o.pos));
    if (in.pos == in.size && o.pos == 0 && last != 0) return usage_error(location + ": zstd: truncated data");
  }
  return {};
}

Status gzip_into(std::string_view data, const std::string& location, std::uint64_t max_bytes,
                 const std::function<Status(const char*, std::size_t)>& sink) {
  std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> d(libdeflate_alloc_decompressor(),
                                                                                  &libdeflate_free_decompressor);
  if (!d) return runtime_error(location + ": gzip: out of memory");
  // The trailer's ISIZE is the size modulo 2^32: a first guess, doubled while too small.
  // Deflate expands at most 1032-fold: a trailer claiming more is not believed (a corrupt
  // or hostile file must not make us allocate 4 GiB up front).
  std::uint64_t size = 1u << 16;
  if (data.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(data.data() + data.size() - 4);
    const std::uint64_t isize = t[0] | t[1] << 8 | t[2] << 16 | std::uint64_t{t[3]} << 24;
    size = std::max<std::uint64_t>(size, std::min<std::uint64_t>(isize, data.size() * 1032));
  }
  for (;;) {
    if (size > max_bytes) size = max_bytes;
    std::string out(size, '\0');
    std::size_t got = 0;
    const auto rc = libdeflate_gzip_decompress(d.get(), data.data(), data.size(), out.data(), out.size(), &got);
    if (rc == LIBDEFLATE_SUCCESS) return sink(out.data(), got);
    if (rc != LIBDEFLATE_INSUFFICIENT_SPACE) return usage_error(location + ": gzip: corrupt or truncated data");
    if (size >= max_bytes) return usage_error(too_large(location, max_bytes));
    size *= 2;
  }
}

}  // namespace

Compression compression_of(std::string_view head) {
  if (head.size() >= 4 && head.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4)) return Compression::kZstd;
  if (head.size() >= 2 && head.substr(0, 2) == std::string_view("\x1f\x8b", 2)) return Compression::kGzip;
  return Compression::kNone;
}

Status decompress_into(std::string_view data, Compression compression, const std::string& location,
                       std::uint64_t max_bytes, const std::function<Status(const char*, std::size_t)>& sink) {
  switch (compression) {
    case Compression::kZstd:
      return zstd_into(data, location, max_bytes, sink);
    case Compression::kGzip:
      return gzip_into(data, location, max_bytes, sink);
    case Compression::kNone:
      break;
  }
  return sink(data.data(), data.size());
}

}  // namespace zpmpi::source::kerchunk
