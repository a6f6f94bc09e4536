#include "zpmpi/app/progress.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace zpmpi::app {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

ProgressOptions batch_log() { return ProgressOptions{}; }

ProgressOptions terminal() {
  ProgressOptions o;
  o.terminal = true;
  return o;
}

TEST(Progress, DurationsAreMinutesSecondsAndHoursPastAnHour) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(32.4), "0:32");
  EXPECT_EQ(format_duration(59.6), "1:00");
  EXPECT_EQ(format_duration(3599), "59:59");
  EXPECT_EQ(format_duration(3600 + 2 * 60 + 3), "1:02:03");
  EXPECT_EQ(format_duration(-1), "--:--");
}

TEST(Progress, ABatchLogGetsALineAtEachFivePercentStep) {
  std::ostringstream out;
  ProgressReporter p(out, 100, batch_log());
  for (std::uint64_t c = 1; c <= 100; ++c) p.update(0.01 * c, c, c * 1000);  // well within 10 s
  const auto got = lines(out.str());
  ASSERT_EQ(got.size(), 20u) << out.str();
  EXPECT_EQ(got.front().rfind("zpmpi: progress: 5/100 chunks (5%), ", 0), 0u) << got.front();
  EXPECT_EQ(got.back().rfind("zpmpi: progress: 100/100 chunks (100%), 100kB written, ", 0), 0u) << got.back();
  p.finish(1.0, 100, 100'000);  // the last line said it already
  EXPECT_EQ(lines(out.str()).size(), 20u);
}

TEST(Progress, ABatchLogGetsALineEveryTenSecondsBetweenSteps) {
  std::ostringstream out;
  ProgressReporter p(out, 1000, batch_log());
  p.update(1, 1, 10);    // 0.1 %: no step, not 10 s yet
  p.update(9.9, 2, 20);
  EXPECT_EQ(p.shown(), 0u);
  p.update(10, 3, 30);   // 10 s since the start
  p.update(15, 4, 40);
  p.update(20.5, 5, 50);  // 10.5 s since the last line
  const auto got = lines(out.str());
  ASSERT_EQ(got.size(), 2u) << out.str();
  EXPECT_NE(got[0].find(" 3/1000 chunks (0%)"), std::string::npos) << got[0];
  EXPECT_NE(got[1].find(" 5/1000 chunks (0%)"), std::string::npos) << got[1];
  p.finish(30, 7, 70);  // a final line: stopped short (failed or interrupted)
  EXPECT_NE(lines(out.str()).back().find(" 7/1000 chunks (0%)"), std::string::npos) << out.str();
}

TEST(Progress, RateAndEtaComeFromTheTotalsSoFar) {
  std::ostringstream out;
  ProgressReporter p(out, 100, batch_log());
  p.update(20, 25, 50'000'000);  // 25 chunks in 20 s: 75 left take 60 s; 50 MB in 20 s
  EXPECT_EQ(out.str(), "zpmpi: progress: 25/100 chunks (25%), 50MB written, 2.5 MB/s, ETA 1:00\n");
}

TEST(Progress, EtaIsUnknownBeforeTheFirstChunk) {
  std::ostringstream out;
  ProgressReporter p(out, 10, batch_log());
  p.update(12, 0, 0);
  EXPECT_EQ(out.str(), "zpmpi: progress: 0/10 chunks (0%), 0B written, 0.0 MB/s, ETA --:--\n");
}

TEST(Progress, CountsNeverGoBack) {
  std::ostringstream out;
  ProgressReporter p(out, 20, batch_log());
  p.update(1, 10, 100);
  p.update(2, 9, 90);  // a round that completed late
  p.update(30, 9, 90);
  EXPECT_EQ(lines(out.str()).size(), 1u) << out.str();
  p.finish(31, 8, 80);
  EXPECT_EQ(lines(out.str()).size(), 1u) << "the final count is the highest seen, already shown:\n" << out.str();
}

TEST(Progress, NothingToDoIsAHundredPercent) {
  std::ostringstream out;
  ProgressReporter p(out, 0, batch_log());
  p.finish(0.5, 0, 0);
  EXPECT_EQ(out.str(), "zpmpi: progress: 0/0 chunks (100%), 0B written, 0.0 MB/s, ETA 0:00\n");
}

TEST(Progress, ATerminalGetsOneBarRedrawnAtMostFiveTimesASecond) {
  std::ostringstream out;
  ProgressReporter p(out, 40, terminal());
  for (int i = 1; i <= 20; ++i) p.update(0.06 * i, i, i * 1'000'000);  // 20 updates in 1.2 s
  EXPECT_EQ(p.shown(), 5u) << "the first, then one per 0.2 s or more:\n" << out.str();
  EXPECT_EQ(out.str().find('\n'), std::string::npos) << "a bar is redrawn, not a line per update";
  p.finish(2, 40, 40'000'000);
  const std::string text = out.str();
  ASSERT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one newline, at the end";
  EXPECT_EQ(text.substr(text.rfind('\r')),
            "\rzpmpi: [##############################]  40/40 chunks  100%  20.0 MB/s  ETA 0:00\x1b[K\n");
}

TEST(Progress, TheBarShowsChunksPercentRateAndEta) {
  std::ostringstream out;
  ProgressReporter p(out, 40, terminal());
  p.update(4, 10, 40'000'000);  // a quarter in 4 s: 12 s left
  EXPECT_EQ(out.str(), "\rzpmpi: [#######.......................]  10/40 chunks  25%  10.0 MB/s  ETA 0:12\x1b[K");
}

TEST(Progress, QuietShowsNothing) {
  for (const bool tty : {false, true}) {
    std::ostringstream out;
    ProgressOptions o;
    o.terminal = tty;
    o.quiet = true;
    ProgressReporter p(out, 10, o);
    for (int i = 0; i <= 10; ++i) p.update(20.0 * i, i, i);
    p.finish(300, 10, 10);
    EXPECT_EQ(out.str(), "");
    EXPECT_EQ(p.shown(), 0u);
  }
}

TEST(Progress, UpdatesAfterFinishAreIgnored) {
  std::ostringstream out;
  ProgressReporter p(out, 10, terminal());
  p.finish(1, 5, 5);
  const std::string once = out.str();
  p.update(100, 10, 10);
  p.finish(100, 10, 10);
  EXPECT_EQ(out.str(), once);
}

}  // namespace
}  // namespace zpmpi::app
