// make_range_reader: each request goes to the local reader or the HTTP one by its url's
// scheme; urls of other schemes are refused before anything is read.
#include "zpmpi/source/byte_ranges.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "ranges/http_ranges.hpp"
#include "ranges/local_ranges.hpp"

namespace zpmpi::source {
namespace {

/// "s3" for "s3://b/k"; nullopt for a plain path (no "<letters>://" prefix).
std::optional<std::string> scheme_of(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  std::string scheme;
  for (std::size_t i = 0; i < sep; ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    const bool ok = std::isalpha(c) || (i > 0 && (std::isdigit(c) || c == '+' || c == '-' || c == '.'));
    if (!ok) return std::nullopt;  // "/data/x://y" is a path
    scheme += static_cast<char>(std::tolower(c));
  }
  return scheme;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// The local path a url names: itself for a plain path, the percent-decoded path of a
/// file:// url (host empty or localhost).
Result<std::string> local_path(const std::string& url) {
  if (!scheme_of(url)) return url;
  std::string_view rest = std::string_view(url).substr(url.find("://") + 3);
  const auto slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  if (slash == std::string_view::npos || !(host.empty() || host == "localhost")) {
    return usage_error(url + ": a file:// url must name an absolute path on this host (file:///path)");
  }
  rest.remove_prefix(slash);
  std::string path;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() && hex_value(rest[i + 1]) >= 0 && hex_value(rest[i + 2]) >= 0) {
      path += static_cast<char>(hex_value(rest[i + 1]) * 16 + hex_value(rest[i + 2]));
      i += 2;
    } else if (rest[i] == '%') {
      return usage_error(url + ": bad percent-encoding");
    } else {
      path += rest[i];
    }
  }
  if (path.find('\0') != std::string::npos) return usage_error(url + ": bad percent-encoding");
  return path;
}

enum class Kind { kLocal, kHttp, kS3 };

Result<Kind> kind_of(const std::string& url) {
  const auto scheme = scheme_of(url);
  if (!scheme || *scheme == "file") return Kind::kLocal;
  if (*scheme == "http" || *scheme == "https") return Kind::kHttp;
  if (*scheme == "s3" && url.starts_with("s3://")) return Kind::kS3;
  return usage_error(redact_url(url) + ": " + *scheme + ":// urls are not supported (use a local path, http(s):// or s3://)");
}

class Reader final : public RangeReader {
 public:
  explicit Reader(const RangeReaderOptions& options) : options_(options), local_(options.max_open_files) {}

  Status read(std::span<const RangeRequest> requests) override {
    struct Local {
      std::string path;
      const RangeRequest* r;
    };
    std::vector<Local> local;
    std::vector<const RangeRequest*> http, s3;
    for (const RangeRequest& r : requests) {
      ZPMPI_ASSIGN_OR_RETURN(const Kind kind, kind_of(r.url));
      if (kind == Kind::kHttp) {
        http.push_back(&r);
      } else if (kind == Kind::kS3) {
        s3.push_back(&r);
      } else {
        ZPMPI_ASSIGN_OR_RETURN(std::string path, local_path(r.url));
        local.push_back({std::move(path), &r});
      }
    }
    // File by file, in offset order: fewer opens when there are more files than descriptors,
    // and the kernel's read-ahead sees a forward scan.
    std::sort(local.begin(), local.end(), [](const Local& a, const Local& b) {
      return a.path != b.path ? a.path < b.path : a.r->offset < b.r->offset;
    });
    for (const Local& l : local) ZPMPI_RETURN_IF_ERROR(local_.read(l.path, *l.r));
    for (const bool is_s3 : {false, true}) {
      const auto& remote = is_s3 ? s3 : http;
      if (remote.empty()) continue;
      ZPMPI_ASSIGN_OR_RETURN(HttpRanges * h, http_reader(is_s3));
      ZPMPI_RETURN_IF_ERROR(h->read(remote));
    }
    return {};
  }

  Result<std::string> read_whole(const std::string& url, std::uint64_t max_bytes) override {
    ZPMPI_ASSIGN_OR_RETURN(const Kind kind, kind_of(url));
    if (kind == Kind::kLocal) {
      ZPMPI_ASSIGN_OR_RETURN(std::string path, local_path(url));
      return local_.read_whole(path, url, max_bytes);
    }
    ZPMPI_ASSIGN_OR_RETURN(HttpRanges * h, http_reader(kind == Kind::kS3));
    return h->read_whole(url, max_bytes);
  }

 private:
  /// Created on first use: a reader of local files never initialises libcurl. s3:// urls
  /// have their own (signing) reader, so plain http(s) urls never carry credentials.
  Result<HttpRanges*> http_reader(bool s3) {
    std::unique_ptr<HttpRanges>& r = s3 ? s3_ : http_;
    if (!r) {
      ZPMPI_ASSIGN_OR_RETURN(r, HttpRanges::create(options_, s3));
    }
    return r.get();
  }

  RangeReaderOptions options_;
  LocalRanges local_;
  std::unique_ptr<HttpRanges> http_;
  std::unique_ptr<HttpRanges> s3_;
};

}  // namespace

std::unique_ptr<RangeReader> make_range_reader(const RangeReaderOptions& options) {
  return std::make_unique<Reader>(options);
}

bool is_http_url(std::string_view url) {
  const auto scheme = scheme_of(url);
  return scheme && (*scheme == "http" || *scheme == "https");
}

}  // namespace zpmpi::source
