// HTTP range requests on libcurl's multi interface; see http_ranges.hpp and the rules in
// include/zpmpi/source/byte_ranges.hpp.
//
// One Fetch is one HTTP request (a merged group of ranges, or a whole url); each attempt
// starts from a clean Attempt. The callbacks only record what arrived and copy body bytes
// straight into the requests' buffers; whether an attempt succeeded, is retried or failed
// for good is decided in one place (judge) once curl reports it done.
#include "ranges/http_ranges.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

#include "ranges/range_merge.hpp"
#include "ranges/s3_urls.hpp"
#include "zpmpi/model/number_text.hpp"

namespace zpmpi::source {
namespace {

using Clock = std::chrono::steady_clock;

constexpr long kMaxRedirects = 10;
constexpr double kMaxDelaySeconds = 60;

CURLcode global_init() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return code;
}

/// Printable ASCII only, at most `max` characters: text from a server or from curl that may
/// end up in a one-line error message.
std::string printable(std::string_view s, std::size_t max = 120) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::string range_text(std::uint64_t offset, std::uint64_t length) {
  return "range " + std::to_string(offset) + "+" + std::to_string(length);
}

/// curl failures worth another attempt: the network or the server may do better next time.
bool transient(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool transient_status(long status) { return status >= 500 || status == 429 || status == 408; }

/// What one attempt saw. Reset at each status line: with redirects, only the last response counts.
struct Attempt {
  long status = 0;
  std::string reason;
  std::optional<std::uint64_t> range_start;  ///< Content-Range: bytes <start>-<end>/<total>
  std::optional<std::uint64_t> total;        ///< ... or bytes */<total> (416)
  std::optional<std::uint64_t> content_length;
  double retry_after = 0;
  bool body_started = false;
  std::uint64_t body_start = 0;  ///< offset in the resource of the body's first byte
  std::uint64_t received = 0;    ///< body bytes seen
  std::size_t first_part = 0;    ///< parts before it lie wholly before the body seen so far
  bool stopped_early = false;    ///< a 200 body stopped on purpose once the range was in
  std::string failure;           ///< set by a callback that aborted the transfer
  bool failure_permanent = false;
  std::string error_body;        ///< S3 only: the start of an error answer, for its <Code>
  std::string bucket_region;     ///< S3 only: x-amz-bucket-region
};

constexpr std::size_t kMaxErrorBody = 4096;

struct FreeHeaders {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

/// When a transfer last showed life (a header or body byte), for the stall timeout. Kept
/// apart from Attempt, which each status line resets.
struct Liveness {
  Clock::time_point last = Clock::now();
  Clock::duration limit{};
};

struct Fetch {
  std::string url;     ///< as given, and as messages name it (s3://bucket/key)
  std::string target;  ///< what is fetched: the url itself, or an s3:// url's https url
  std::optional<S3Location> s3;
  std::unique_ptr<curl_slist, FreeHeaders> headers;  ///< the attempt's own headers (S3 signing)
  std::uint64_t offset = 0;  ///< the range asked (not used when whole)
  std::uint64_t length = 0;
  std::vector<const RangeRequest*> parts;  ///< sorted by offset
  bool whole = false;
  std::uint64_t max_bytes = 0;  ///< whole only
  std::string* whole_out = nullptr;

  int attempts = 0;
  Attempt a;
  Liveness alive;
  std::array<char, CURL_ERROR_SIZE> curl_error{};
  std::uint64_t max_unranged = 0;

  std::uint64_t end() const { return offset + length; }
  std::string where() const { return redact_url(url); }
};

std::string ends_past_end(const Fetch& f, std::uint64_t total) {
  // Name the request that reaches furthest (the merged range's end is its end).
  const RangeRequest* last = f.parts.front();
  for (const RangeRequest* p : f.parts) {
    if (p->offset + p->length > last->offset + last->length) last = p;
  }
  return f.where() + ": " + range_text(last->offset, last->length) + " ends past the end of the url (" +
         std::to_string(total) + " bytes)";
}

void fail(Attempt& a, std::string why, bool permanent) {
  a.failure = std::move(why);
  a.failure_permanent = permanent;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto& f = *static_cast<Fetch*>(user);
  Attempt& a = f.a;
  const std::size_t bytes = size * n;
  f.alive.last = Clock::now();
  const std::string_view line = trim(std::string_view(data, bytes));
  if (iequals_prefix(line, "HTTP/")) {  // a new response (the first, or after a redirect)
    const std::string failure = a.failure;
    a = Attempt{};
    a.failure = failure;
    const auto sp = line.find(' ');
    if (sp != std::string_view::npos) {
      std::string_view rest = line.substr(sp + 1);
      const auto sp2 = rest.find(' ');
      a.status = static_cast<long>(parse_u64(rest.substr(0, sp2)).value_or(0));
      if (sp2 != std::string_view::npos) a.reason = printable(trim(rest.substr(sp2 + 1)));
    }
    return bytes;
  }
  if (iequals_prefix(line, "content-range:")) {
    // "bytes 100-4195/9999", "bytes 100-4195/*" or "bytes */9999"
    std::string_view v = trim(line.substr(14));
    if (iequals_prefix(v, "bytes ")) v = trim(v.substr(6));
    const auto slash = v.find('/');
    if (slash != std::string_view::npos) {
      a.total = parse_u64(v.substr(slash + 1));
      const std::string_view span = v.substr(0, slash);
      if (const auto dash = span.find('-'); dash != std::string_view::npos) a.range_start = parse_u64(span.substr(0, dash));
    }
  } else if (iequals_prefix(line, "content-length:")) {
    a.content_length = parse_u64(trim(line.substr(15)));
    if (f.whole && a.status == 200 && a.content_length && *a.content_length > f.max_bytes) {
      fail(a, f.where() + ": " + std::to_string(*a.content_length) + " bytes, more than the limit of " +
                  std::to_string(f.max_bytes) + " bytes", true);
      return 0;  // aborts the transfer
    }
  } else if (f.s3 && iequals_prefix(line, "x-amz-bucket-region:")) {
    a.bucket_region = printable(trim(line.substr(20)), 40);
  } else if (iequals_prefix(line, "retry-after:")) {
    if (auto s = parse_u64(trim(line.substr(12)))) a.retry_after = static_cast<double>(*s);  // HTTP-dates ignored
  }
  return bytes;
}

/// Copies the body bytes at [pos, pos+n) of the resource into every part they overlap.
void scatter(Fetch& f, std::uint64_t pos, const char* data, std::size_t n) {
  const std::uint64_t end = pos + n;
  std::size_t& i = f.a.first_part;
  while (i < f.parts.size() && f.parts[i]->offset + f.parts[i]->length <= pos) ++i;
  for (std::size_t k = i; k < f.parts.size() && f.parts[k]->offset < end; ++k) {
    const RangeRequest& p = *f.parts[k];
    const std::uint64_t lo = std::max(pos, p.offset);
    const std::uint64_t hi = std::min(end, p.offset + p.length);
    if (lo < hi) std::memcpy(p.out + (lo - p.offset), data + (lo - pos), static_cast<std::size_t>(hi - lo));
  }
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto& f = *static_cast<Fetch*>(user);
  Attempt& a = f.a;
  const std::size_t bytes = size * n;
  f.alive.last = Clock::now();
  if (a.status != 200 && a.status != 206) {  // an error page: judged by its status, never quoted
    if (f.s3 && a.error_body.size() < kMaxErrorBody) a.error_body.append(data, std::min(bytes, kMaxErrorBody));
    a.received += bytes;
    return bytes;
  }
  if (!a.body_started) {
    a.body_started = true;
    if (a.status == 206) {
      const std::uint64_t want = f.whole ? 0 : f.offset;
      if (!a.range_start || *a.range_start > want) {
        fail(a, f.where() + ": asked for bytes " + std::to_string(want) + "-, the server answered " +
                    (a.range_start ? "bytes " + std::to_string(*a.range_start) + "-" : std::string("without Content-Range")),
             true);
        return 0;
      }
      a.body_start = *a.range_start;
    } else if (!f.whole && f.end() > f.max_unranged) {
      fail(a, f.where() + ": the server ignores Range requests (HTTP 200) and " + range_text(f.offset, f.length) +
                  " ends past the first " + std::to_string(f.max_unranged) + " bytes read that way",
           true);
      return 0;
    }
  }
  if (f.whole) {
    if (a.received + bytes > f.max_bytes) {
      fail(a, f.where() + ": more than the limit of " + std::to_string(f.max_bytes) + " bytes", true);
      return 0;
    }
    f.whole_out->append(data, bytes);
    a.received += bytes;
    return bytes;
  }
  const std::uint64_t pos = a.body_start + a.received;
  scatter(f, pos, data, bytes);
  a.received += bytes;
  if (a.status == 200 && pos + bytes >= f.end()) {
    a.stopped_early = true;  // the rest of a whole body is not needed
    return 0;
  }
  return bytes;
}

/// Called by libcurl about once a second, and whenever data moves: fails a stalled attempt.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& f = *static_cast<Fetch*>(user);
  if (Clock::now() - f.alive.last <= f.alive.limit) return 0;
  const auto seconds = std::chrono::duration<double>(f.alive.limit).count();
  fail(f.a, f.where() + ": no data for " + model::number_text(seconds) + " s", false);
  return 1;  // aborts the transfer
}

enum class Verdict { kDone, kRetry, kFail };

/// Decides a finished attempt; `why` says what went wrong (for kRetry and kFail). `s3`:
/// the options an s3:// fetch was made with.
Verdict judge(Fetch& f, CURLcode rc, std::string& why, const S3Options& s3) {
  const Attempt& a = f.a;
  if (!a.failure.empty()) {
    why = a.failure;
    return a.failure_permanent ? Verdict::kFail : Verdict::kRetry;
  }
  if (a.stopped_early) return Verdict::kDone;
  if (rc != CURLE_OK) {
    const std::string detail = printable(f.curl_error.data(), 200);
    why = f.where() + ": " + curl_easy_strerror(rc) + (detail.empty() ? "" : ": " + detail);
    return transient(rc) ? Verdict::kRetry : Verdict::kFail;
  }
  if (a.status == 200 || a.status == 206) {
    if (f.whole) return Verdict::kDone;  // a body shorter than its Content-Length is CURLE_PARTIAL_FILE
    const std::uint64_t got_to = a.body_start + a.received;
    if (got_to >= f.end()) return Verdict::kDone;
    // A 200 body is the whole resource; a 206 says the resource's size in Content-Range.
    const std::optional<std::uint64_t> total = a.status == 200 ? std::optional<std::uint64_t>(got_to) : a.total;
    if (total && *total < f.end()) {
      why = ends_past_end(f, *total);
      return Verdict::kFail;
    }
    const std::uint64_t got = got_to > f.offset ? got_to - f.offset : 0;
    why = f.where() + ": " + range_text(f.offset, f.length) + ": the body ended after " + std::to_string(got) + " bytes";
    return Verdict::kRetry;
  }
  if (a.status == 416 && a.total) {
    why = ends_past_end(f, *a.total);
    return Verdict::kFail;
  }
  if (f.s3) {
    why = f.where() + ": " + s3_failure(*f.s3, a.status, a.reason, s3_error_code(a.error_body), a.bucket_region, s3);
  } else {
    why = f.where() + ": HTTP " + std::to_string(a.status) + (a.reason.empty() ? "" : " " + a.reason);
  }
  return transient_status(a.status) ? Verdict::kRetry : Verdict::kFail;
}

/// Signs an S3 request with SigV4 (curl computes the signature; it does not send
/// x-amz-content-sha256 itself in 7.88, so it is a header here, and signed with the rest).
/// Anonymous requests carry no signature at all.
void sign_s3(CURL* h, Fetch& f, const S3Options& o) {
  f.headers.reset();
  if (o.anon.value_or(false)) return;
  const std::string sigv4 = "aws:amz:" + o.region.value_or("us-east-1") + ":s3";
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4.c_str());  // strings are copied by libcurl
  curl_easy_setopt(h, CURLOPT_USERNAME, o.key.value_or("").c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, o.secret.value_or("").c_str());
  curl_slist* list = curl_slist_append(nullptr, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
  if (list && o.token) {
    const std::string token = "x-amz-security-token: " + *o.token;
    if (curl_slist* more = curl_slist_append(list, token.c_str())) list = more;
  }
  f.headers.reset(list);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  // curl sends custom headers (the session token) on to wherever a redirect points: signed
  // requests follow none (S3 answers a wrong region with an error, not a redirect to follow).
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
}

}  // namespace

struct HttpRanges::Impl {
  RangeReaderOptions options;
  std::optional<S3Options> s3;  ///< set: every url is s3:// and is read with these options
  CURLM* multi = nullptr;
  std::vector<CURL*> idle;  ///< easy handles to reuse (the connections live in `multi`)
  std::minstd_rand rng{std::random_device{}()};

  ~Impl() {
    for (CURL* h : idle) curl_easy_cleanup(h);
    if (multi) curl_multi_cleanup(multi);
  }

  CURL* take_handle() {
    if (idle.empty()) return curl_easy_init();
    CURL* h = idle.back();
    idle.pop_back();
    curl_easy_reset(h);
    return h;
  }

  bool start(Fetch& f, std::vector<CURL*>& active) {
    CURL* h = take_handle();
    if (!h) return false;
    f.a = Attempt{};
    f.curl_error[0] = '\0';
    if (f.whole) f.whole_out->clear();
    ++f.attempts;
    const long timeout_ms = std::max(1L, std::lround(options.timeout_seconds * 1000));
    curl_easy_setopt(h, CURLOPT_URL, f.target.c_str());
    curl_easy_setopt(h, CURLOPT_PRIVATE, &f);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM from the resolver: several threads per rank
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, kMaxRedirects);
    if (f.s3) sign_s3(h, f, *s3);  // after FOLLOWLOCATION: a signed request follows no redirect
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    // A stall, not a total time (on_progress): a large range on a slow link is not cut off.
    // (CURLOPT_LOW_SPEED_TIME would notice a stall up to 5 s late: curl averages over 5 s.)
    f.alive = Liveness{Clock::now(), std::chrono::milliseconds(timeout_ms)};
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &f);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "zpmpi/" ZPMPI_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, f.curl_error.data());
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &f);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
    std::string range;
    if (!f.whole) {
      range = std::to_string(f.offset) + "-" + std::to_string(f.end() - 1);
      curl_easy_setopt(h, CURLOPT_RANGE, range.c_str());  // copied by libcurl
    }
    if (curl_multi_add_handle(multi, h) != CURLM_OK) {
      idle.push_back(h);
      return false;
    }
    active.push_back(h);
    return true;
  }

  void finish_handle(CURL* h, std::vector<CURL*>& active) {
    curl_multi_remove_handle(multi, h);
    active.erase(std::find(active.begin(), active.end(), h));
    idle.push_back(h);
  }

  /// Sets what `f` fetches: its url, or for an s3:// url the object's https url.
  Status aim(Fetch& f) const {
    if (!s3) {
      f.target = f.url;
      return {};
    }
    ZPMPI_ASSIGN_OR_RETURN(f.s3, parse_s3_url(f.url));
    auto target = s3_object_url(*f.s3, *s3);
    if (!target.ok()) return usage_error(f.url + ": " + target.error().message);
    f.target = std::move(target).value();
    return check_s3_credentials(f.url, *s3);
  }

  double backoff_seconds(const Fetch& f) {
    double delay = options.first_backoff_seconds * std::ldexp(1.0, f.attempts - 1);
    delay *= 1 + 0.25 * std::uniform_real_distribution<double>(0, 1)(rng);  // ranks do not retry in step
    delay = std::max(delay, f.a.retry_after);
    return std::min(delay, kMaxDelaySeconds);
  }

  /// Runs every fetch to completion, or to the first permanent failure.
  Status run(std::vector<Fetch>& fetches) {
    const std::size_t max_in_flight = static_cast<std::size_t>(std::max(1, options.max_in_flight));
    const int max_attempts = std::max(1, options.max_attempts);
    std::deque<Fetch*> ready;
    for (Fetch& f : fetches) ready.push_back(&f);
    std::multimap<Clock::time_point, Fetch*> waiting;  // retries, by when they may start
    std::vector<CURL*> active;
    const auto abandon = [&](Error e) -> Status {
      while (!active.empty()) finish_handle(active.back(), active);
      return e;
    };

    while (!ready.empty() || !waiting.empty() || !active.empty()) {
      const auto now = Clock::now();
      while (!waiting.empty() && waiting.begin()->first <= now) {
        ready.push_front(waiting.begin()->second);  // retries first: they are the oldest work
        waiting.erase(waiting.begin());
      }
      while (!ready.empty() && active.size() < max_in_flight) {
        if (!start(*ready.front(), active)) return abandon(runtime_error(ready.front()->where() + ": cannot start an HTTP request (libcurl)"));
        ready.pop_front();
      }
      int running = 0;
      if (const CURLMcode mc = curl_multi_perform(multi, &running); mc != CURLM_OK) {
        return abandon(runtime_error(std::string("libcurl: ") + curl_multi_strerror(mc)));
      }
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL* h = msg->easy_handle;
        const CURLcode rc = msg->data.result;
        Fetch* f = nullptr;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, &f);
        finish_handle(h, active);
        std::string why;
        switch (judge(*f, rc, why, s3.value_or(S3Options{}))) {
          case Verdict::kDone:
            break;
          case Verdict::kFail:
            return abandon(runtime_error(why));
          case Verdict::kRetry:
            if (f->attempts >= max_attempts) {
              return abandon(runtime_error(why + " (gave up after " + std::to_string(f->attempts) + " attempts)"));
            }
            waiting.emplace(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(backoff_seconds(*f))),
                            f);
            break;
        }
      }
      if (ready.empty() && waiting.empty() && active.empty()) break;
      // Sleep until a transfer needs attention, a retry is due, or (with a free slot) at once.
      int timeout_ms = 1000;
      if (!ready.empty() && active.size() < max_in_flight) timeout_ms = 0;
      if (!waiting.empty()) {
        const auto due = std::chrono::duration_cast<std::chrono::milliseconds>(waiting.begin()->first - Clock::now());
        timeout_ms = std::clamp(static_cast<int>(due.count()) + 1, 0, timeout_ms);
      }
      if (timeout_ms > 0) curl_multi_poll(multi, nullptr, 0, timeout_ms, nullptr);
    }
    return {};
  }
};

HttpRanges::HttpRanges(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpRanges::~HttpRanges() = default;

Result<std::unique_ptr<HttpRanges>> HttpRanges::create(const RangeReaderOptions& options, bool s3) {
  if (const CURLcode rc = global_init(); rc != CURLE_OK) {
    return runtime_error(std::string("libcurl: cannot initialise: ") + curl_easy_strerror(rc));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (s3) impl->s3 = options.s3;
  impl->multi = curl_multi_init();
  if (!impl->multi) return runtime_error("libcurl: cannot create a multi handle");
  return std::unique_ptr<HttpRanges>(new HttpRanges(std::move(impl)));
}

Status HttpRanges::read(std::span<const RangeRequest* const> requests) {
  std::vector<const RangeRequest*> sorted;
  sorted.reserve(requests.size());
  for (const RangeRequest* r : requests) {
    if (r->length == 0) continue;
    if (r->out == nullptr) return runtime_error(redact_url(r->url) + ": " + range_text(r->offset, r->length) + ": no destination buffer");
    if (r->offset > UINT64_MAX - r->length) return runtime_error(redact_url(r->url) + ": " + range_text(r->offset, r->length) + " overflows");
    sorted.push_back(r);
  }
  std::sort(sorted.begin(), sorted.end(), [](const RangeRequest* a, const RangeRequest* b) {
    if (a->url != b->url) return a->url < b->url;
    return a->offset < b->offset;
  });
  std::vector<Fetch> fetches;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j < sorted.size() && sorted[j]->url == sorted[i]->url) ++j;
    const auto one_url = std::span<const RangeRequest* const>(sorted).subspan(i, j - i);
    for (MergedRange& m : merge_ranges(one_url, impl_->options.merge_gap_bytes, impl_->options.max_merged_bytes)) {
      Fetch& f = fetches.emplace_back();
      f.url = sorted[i]->url;
      f.offset = m.offset;
      f.length = m.length;
      f.parts = std::move(m.parts);
      f.max_unranged = impl_->options.max_unranged_bytes;
      ZPMPI_RETURN_IF_ERROR(impl_->aim(f));
    }
    i = j;
  }
  return impl_->run(fetches);  // `fetches` stays put while it runs: the callbacks hold pointers into it
}

Result<std::string> HttpRanges::read_whole(const std::string& url, std::uint64_t max_bytes) {
  std::string out;
  std::vector<Fetch> fetches(1);
  fetches[0].url = url;
  fetches[0].whole = true;
  fetches[0].max_bytes = max_bytes;
  fetches[0].whole_out = &out;
  ZPMPI_RETURN_IF_ERROR(impl_->aim(fetches[0]));
  ZPMPI_RETURN_IF_ERROR(impl_->run(fetches));
  return out;
}

std::string redact_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const std::size_t host = scheme_end + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", host), url.size());
  const auto at = url.substr(0, authority_end).rfind('@');
  if (at == std::string_view::npos || at < host) return std::string(url);
  return std::string(url.substr(0, host)) + "***" + std::string(url.substr(at));
}

}  // namespace zpmpi::source
