#include "zpmpi/app/progress.hpp"

#include <cmath>
#include <cstdio>

#include "zpmpi/model/bytes.hpp"

namespace zpmpi::app {
namespace {

constexpr int kBarWidth = 30;

/// Whole percent done, rounded down, so 100 % means every chunk (nothing to do: 100).
std::uint64_t percent(std::uint64_t chunks, std::uint64_t total) {
  if (total == 0 || chunks >= total) return 100;
  return chunks * 100 / total;
}

/// Steps of `pct` % reached (nothing to do counts as all of them).
std::uint64_t steps(std::uint64_t chunks, std::uint64_t total, double pct) {
  const double done = total == 0 ? 100.0 : 100.0 * static_cast<double>(chunks) / static_cast<double>(total);
  return static_cast<std::uint64_t>(std::floor(done / pct + 1e-9));
}

std::string rate(double seconds, std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB/s", seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0);
  return text;
}

std::string eta(double seconds, std::uint64_t chunks, std::uint64_t total) {
  if (chunks >= total) return format_duration(0);
  if (chunks == 0 || seconds <= 0) return format_duration(-1);
  return format_duration(static_cast<double>(total - chunks) * seconds / static_cast<double>(chunks));
}

}  // namespace

std::string format_duration(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "--:--";
  const auto s = static_cast<std::uint64_t>(std::llround(seconds));
  char text[48];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60), static_cast<unsigned long long>(s % 60));
  else
    std::snprintf(text, sizeof text, "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  return text;
}

ProgressReporter::ProgressReporter(std::ostream& out, std::uint64_t total_chunks, ProgressOptions options)
    : out_(&out), total_(total_chunks), options_(options) {}

void ProgressReporter::update(double seconds, std::uint64_t chunks, std::uint64_t bytes) {
  if (options_.quiet || finished_ || chunks < last_chunks_) return;  // a stale round: counts never go back
  last_chunks_ = chunks;
  last_bytes_ = bytes;
  if (options_.terminal) {
    if (!drawn_ || seconds - last_shown_ >= options_.redraw_seconds) show(seconds, chunks, bytes);
    return;
  }
  const std::uint64_t step = steps(chunks, total_, options_.line_percent);
  if (step > last_step_ || seconds - last_shown_ >= options_.line_seconds) show(seconds, chunks, bytes);
}

void ProgressReporter::finish(double seconds, std::uint64_t chunks, std::uint64_t bytes) {
  if (options_.quiet || finished_) return;
  if (chunks < last_chunks_) chunks = last_chunks_, bytes = last_bytes_;
  if (options_.terminal) {
    show(seconds, chunks, bytes);
    *out_ << '\n' << std::flush;
  } else if (shown_ == 0 || chunks != shown_chunks_) {  // not when the last line said it already
    show(seconds, chunks, bytes);
  }
  finished_ = true;
}

void ProgressReporter::show(double seconds, std::uint64_t chunks, std::uint64_t bytes) {
  const std::uint64_t pct = percent(chunks, total_);
  char counts[96];
  std::snprintf(counts, sizeof counts, "%llu/%llu chunks", static_cast<unsigned long long>(chunks),
                static_cast<unsigned long long>(total_));
  std::string text;
  if (options_.terminal) {
    const auto filled = static_cast<int>(pct * kBarWidth / 100);
    text = "\rzpmpi: [" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "]  " + counts + "  " +
           std::to_string(pct) + "%  " + rate(seconds, bytes) + "  ETA " + eta(seconds, chunks, total_) + "\x1b[K";
    drawn_ = true;
  } else {
    text = std::string("zpmpi: progress: ") + counts + " (" + std::to_string(pct) + "%), " +
           model::format_bytes(bytes) + " " + options_.bytes_are + ", " + rate(seconds, bytes) + ", ETA " +
           eta(seconds, chunks, total_) + "\n";
    last_step_ = steps(chunks, total_, options_.line_percent);
  }
  *out_ << text << std::flush;  // one write per line or bar, whole in a merged log
  shown_ += 1;
  shown_chunks_ = chunks;
  last_shown_ = seconds;
}

}  // namespace zpmpi::app
