// Byte ranges of local files (pread, a bounded set of descriptors) and of http urls against
// tests/http_range_server.py, started per test on an ephemeral port with the faults the
// test needs; its request log shows how many requests were sent (retries, merging).
#include "zpmpi/source/byte_ranges.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ranges/range_merge.hpp"

namespace zpmpi::source {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(ZPMPI_TEST_TMP) / "byte_ranges" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// Deterministic bytes, different in every file (by `seed`) and at every offset.
std::vector<std::byte> pattern(std::size_t n, unsigned seed) {
  std::vector<std::byte> v(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::byte>(x >> 24);
  }
  return v;
}

std::vector<std::byte> write_file(const fs::path& p, std::size_t n, unsigned seed) {
  auto bytes = pattern(n, seed);
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

/// Ranges with their own buffers, checked against the file contents they came from.
struct Batch {
  std::vector<RangeRequest> requests;
  std::vector<std::vector<std::byte>> buffers;
  std::vector<const std::vector<std::byte>*> sources;

  void add(std::string url, const std::vector<std::byte>& source, std::uint64_t offset, std::uint64_t length) {
    requests.push_back({std::move(url), offset, length, nullptr});
    buffers.emplace_back(length, std::byte{0xEE});
    sources.push_back(&source);
  }
  std::span<const RangeRequest> get() {
    for (std::size_t i = 0; i < requests.size(); ++i) requests[i].out = buffers[i].data();
    return requests;
  }
  /// The first request whose buffer differs from its source, or -1.
  int first_wrong() const {
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto& r = requests[i];
      if (!std::equal(buffers[i].begin(), buffers[i].end(), sources[i]->begin() + static_cast<std::ptrdiff_t>(r.offset))) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
};

std::string error_of(const Status& s) { return s.ok() ? std::string("(ok)") : s.error().message; }

/// The file descriptors open in this process that point at `p`.
std::vector<int> fds_of(const fs::path& p) {
  std::vector<int> fds;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(e.path(), ec);
    if (!ec && target == fs::canonical(p)) fds.push_back(std::stoi(e.path().filename().string()));
  }
  return fds;
}

std::size_t open_fd_count() {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{}));
}

// ---- local files -------------------------------------------------------------------------

TEST(LocalRanges, ReadsRangesOfSeveralFilesIntoTheirBuffers) {
  const fs::path dir = scratch("local_ranges");
  const auto a = write_file(dir / "a.bin", 100000, 1);
  const auto b = write_file(dir / "b.bin", 5000, 2);
  Batch batch;
  batch.add((dir / "a.bin").string(), a, 0, 100000);
  batch.add((dir / "b.bin").string(), b, 4999, 1);
  batch.add((dir / "a.bin").string(), a, 70000, 100);
  batch.add((dir / "a.bin").string(), a, 69950, 100);  // overlaps the one before
  batch.add((dir / "b.bin").string(), b, 5000, 0);     // empty, at the very end: fine
  batch.add((dir / "a.bin").string(), a, 3, 4096);
  auto reader = make_range_reader();
  ASSERT_TRUE(reader->read(batch.get()).ok()) << error_of(reader->read(batch.get()));
  EXPECT_EQ(batch.first_wrong(), -1);
}

TEST(LocalRanges, ManyMoreFilesThanOpenDescriptorsKeepsAtMostTheBound) {
  const fs::path dir = scratch("local_many");
  constexpr int kFiles = 150;
  std::vector<std::vector<std::byte>> contents;
  for (int i = 0; i < kFiles; ++i) contents.push_back(write_file(dir / (std::to_string(i) + ".bin"), 3000, 10 + i));
  RangeReaderOptions options;
  options.max_open_files = 8;
  auto reader = make_range_reader(options);
  const std::size_t before = open_fd_count();
  // Two passes, files interleaved: every file is opened again after being closed.
  for (int pass = 0; pass < 2; ++pass) {
    Batch batch;
    for (int k = 0; k < 3; ++k) {
      for (int i = 0; i < kFiles; ++i) {
        batch.add((dir / (std::to_string(i) + ".bin")).string(), contents[i], 1000u * k + pass, 999);
      }
    }
    ASSERT_TRUE(reader->read(batch.get()).ok()) << "pass " << pass;
    EXPECT_EQ(batch.first_wrong(), -1) << "pass " << pass;
    EXPECT_LE(open_fd_count(), before + 8) << "pass " << pass;
  }
  EXPECT_GT(open_fd_count(), before) << "the reader keeps recently used files open";
  reader.reset();
  EXPECT_EQ(open_fd_count(), before) << "the reader closes its descriptors";
}

TEST(LocalRanges, DescriptorsAreCloseOnExec) {
  const fs::path dir = scratch("local_cloexec");
  const auto a = write_file(dir / "a.bin", 100, 3);
  auto reader = make_range_reader();
  Batch batch;
  batch.add((dir / "a.bin").string(), a, 0, 10);
  ASSERT_TRUE(reader->read(batch.get()).ok());
  const auto fds = fds_of(dir / "a.bin");
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_TRUE(::fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
}

TEST(LocalRanges, ARangePastTheEndNamesPathRangeAndFileSize) {
  const fs::path dir = scratch("local_past_eof");
  const auto a = write_file(dir / "a.nc", 2048, 4);
  const std::string path = (dir / "a.nc").string();
  auto reader = make_range_reader();
  std::vector<std::byte> buf(4096);
  const RangeRequest past{path, 100, 4096, buf.data()};
  EXPECT_EQ(error_of(reader->read({&past, 1})),
            path + ": range 100+4096 ends past the end of the file (2048 bytes)");
  const RangeRequest beyond{path, 3000, 0, buf.data()};
  EXPECT_EQ(error_of(reader->read({&beyond, 1})), path + ": range 3000+0 ends past the end of the file (2048 bytes)");
  const RangeRequest huge{path, UINT64_MAX - 10, 100, buf.data()};
  EXPECT_NE(error_of(reader->read({&huge, 1})).find("overflows"), std::string::npos);
  const RangeRequest exact{path, 2000, 48, buf.data()};
  EXPECT_TRUE(reader->read({&exact, 1}).ok());
}

TEST(LocalRanges, AFileThatGrewAfterItWasOpenedIsReadToItsNewEnd) {
  const fs::path dir = scratch("local_grew");
  const std::string path = (dir / "a.bin").string();
  write_file(path, 100, 8);
  auto reader = make_range_reader();
  std::vector<std::byte> buf(10);
  const RangeRequest first{path, 0, 10, buf.data()};
  ASSERT_TRUE(reader->read({&first, 1}).ok());  // open now, at 100 bytes
  const auto grown = write_file(path, 200, 9);
  const RangeRequest later{path, 150, 10, buf.data()};
  const Status s = reader->read({&later, 1});
  ASSERT_TRUE(s.ok()) << error_of(s);
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), grown.begin() + 150));
}

TEST(LocalRanges, AMissingFileIsAnErrorNamingIt) {
  const fs::path dir = scratch("local_missing");
  const std::string path = (dir / "nope.nc").string();
  std::vector<std::byte> buf(10);
  const RangeRequest r{path, 0, 10, buf.data()};
  auto reader = make_range_reader();
  EXPECT_EQ(error_of(reader->read({&r, 1})), path + ": cannot open: No such file or directory");
  const auto whole = reader->read_whole(path, 100);
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.error().message, path + ": cannot open: No such file or directory");
}

TEST(LocalRanges, FileUrlsArePercentDecodedPaths) {
  const fs::path dir = scratch("local_file url");
  const auto a = write_file(dir / "a b%.bin", 1000, 5);
  std::string encoded;
  for (char c : (dir / "a b%.bin").string()) {
    if (c == ' ') encoded += "%20";
    else if (c == '%') encoded += "%25";
    else encoded += c;
  }
  Batch batch;
  batch.add("file://" + encoded, a, 10, 500);
  batch.add("FILE://localhost" + encoded, a, 900, 100);
  auto reader = make_range_reader();
  ASSERT_TRUE(reader->read(batch.get()).ok()) << error_of(reader->read(batch.get()));
  EXPECT_EQ(batch.first_wrong(), -1);

  std::vector<std::byte> buf(1);
  const RangeRequest remote{"file://otherhost/data/a.nc", 0, 1, buf.data()};
  EXPECT_EQ(error_of(reader->read({&remote, 1})),
            "file://otherhost/data/a.nc: a file:// url must name an absolute path on this host (file:///path)");
  const RangeRequest bad{"file:///data/a%2.nc", 0, 1, buf.data()};
  EXPECT_EQ(error_of(reader->read({&bad, 1})), "file:///data/a%2.nc: bad percent-encoding");
}

TEST(LocalRanges, ReadWholeIsBoundedByMaxBytes) {
  const fs::path dir = scratch("local_whole");
  const auto a = write_file(dir / "refs.json", 70000, 6);
  const std::string path = (dir / "refs.json").string();
  auto reader = make_range_reader();
  const auto all = reader->read_whole("file://" + path, 70000);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 70000u);
  EXPECT_EQ(std::memcmp(all->data(), a.data(), a.size()), 0);
  const auto over = reader->read_whole(path, 69999);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message, path + ": 70000 bytes, more than the limit of 69999 bytes");
  // Not a regular file: no size to trust, the bound applies to what is read.
  const auto zero = reader->read_whole("/dev/zero", 100000);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().message, "/dev/zero: more than the limit of 100000 bytes");
}

// ---- schemes -----------------------------------------------------------------------------

TEST(ByteRanges, OtherSchemesAreRefusedBeforeAnythingIsRead) {
  const fs::path dir = scratch("schemes");
  const auto a = write_file(dir / "a.bin", 100, 7);
  Batch batch;
  batch.add((dir / "a.bin").string(), a, 0, 10);
  batch.add("gs://bucket/era5/t2m.nc", a, 0, 10);
  auto reader = make_range_reader();
  EXPECT_EQ(error_of(reader->read(batch.get())),
            "gs://bucket/era5/t2m.nc: gs:// urls are not supported (use a local path, http(s):// or s3://)");
  EXPECT_EQ(batch.buffers[0][0], std::byte{0xEE}) << "the local range was read before the gs one was refused";
  const auto gs = reader->read_whole("gs://bucket/refs.json", 100);
  ASSERT_FALSE(gs.ok());
  EXPECT_EQ(gs.error().message, "gs://bucket/refs.json: gs:// urls are not supported (use a local path, http(s):// or s3://)");
}

TEST(ByteRanges, S3WithoutCredentialsIsRefusedBeforeAnyRequest) {
  Batch batch;
  const std::vector<std::byte> bytes(10);
  batch.add("s3://bucket/era5/t2m.nc", bytes, 0, 10);
  auto reader = make_range_reader();  // options as given: no key, not anonymous
  const std::string e = error_of(reader->read(batch.get()));
  EXPECT_EQ(e.rfind("s3://bucket/era5/t2m.nc: no S3 credentials: give key and secret (or anon: true", 0), 0u) << e;
  RangeReaderOptions bad_url;
  bad_url.s3.anon = true;
  EXPECT_EQ(make_range_reader(bad_url)->read_whole("s3://bucket", 10).error().message, "s3://bucket: no key (s3://bucket/key)");
}

TEST(ByteRanges, IsHttpUrl) {
  EXPECT_TRUE(is_http_url("http://h/x.nc"));
  EXPECT_TRUE(is_http_url("HTTPS://h/x.nc"));
  EXPECT_FALSE(is_http_url("/data/http://x"));
  EXPECT_FALSE(is_http_url("file:///data/x.nc"));
  EXPECT_FALSE(is_http_url("s3://b/k"));
  EXPECT_FALSE(is_http_url("httpx://h/x"));
  EXPECT_FALSE(is_http_url("http:/h/x"));
}

// ---- which ranges are fetched together (pure) ----------------------------------------------

/// The merged groups as "offset+length:parts" strings.
std::vector<std::string> groups(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges, std::uint64_t gap,
                                std::uint64_t max_bytes) {
  std::vector<RangeRequest> requests;
  for (auto [o, n] : ranges) requests.push_back({"u", o, n, nullptr});
  std::vector<const RangeRequest*> sorted;
  for (const auto& r : requests) sorted.push_back(&r);
  std::vector<std::string> out;
  for (const MergedRange& m : merge_ranges(sorted, gap, max_bytes)) {
    out.push_back(std::to_string(m.offset) + "+" + std::to_string(m.length) + ":" + std::to_string(m.parts.size()));
  }
  return out;
}

TEST(RangeMerge, NearbyRangesJoinWithinTheGapAndTheSizeBound) {
  // The example of range_merge.hpp.
  EXPECT_EQ(groups({{0, 100}, {100, 100}, {70000, 100}}, 64 * 1024, 1 << 20),
            (std::vector<std::string>{"0+200:2", "70000+100:1"}));
  // A gap of exactly merge_gap_bytes is not "less than" it.
  EXPECT_EQ(groups({{0, 100}, {200, 100}}, 100, 1 << 20), (std::vector<std::string>{"0+100:1", "200+100:1"}));
  EXPECT_EQ(groups({{0, 100}, {199, 100}}, 100, 1 << 20), (std::vector<std::string>{"0+299:2"}));
  // Overlapping and contained ranges join; the group ends at the furthest end.
  EXPECT_EQ(groups({{0, 1000}, {10, 10}, {500, 600}}, 1, 1 << 20), (std::vector<std::string>{"0+1100:3"}));
  // 0: merging off, even for adjacent ranges.
  EXPECT_EQ(groups({{0, 100}, {100, 100}}, 0, 1 << 20), (std::vector<std::string>{"0+100:1", "100+100:1"}));
  // No group beyond max_merged_bytes; a single larger range stays whole.
  EXPECT_EQ(groups({{0, 100}, {100, 100}, {200, 100}, {300, 500}}, 10, 200),
            (std::vector<std::string>{"0+200:2", "200+100:1", "300+500:1"}));
}

// ---- http --------------------------------------------------------------------------------

/// tests/http_range_server.py serving `root`, stopped (SIGTERM) when this goes away. Its
/// stdin is a pipe from us (--parent-stdin), so it also exits if the test process dies.
class Server {
 public:
  Server(const fs::path& root, std::vector<std::string> extra) {
    // A proxy from the environment (libcurl honours it) must not sit between us and 127.0.0.1.
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
    ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    log_ = root.parent_path() / (root.filename().string() + ".log");
    std::vector<std::string> words{"/usr/bin/python3", std::string(ZPMPI_SOURCE_DIR) + "/tests/http_range_server.py",
                                   "--root", root.string(), "--log", log_.string(), "--parent-stdin"};
    words.insert(words.end(), extra.begin(), extra.end());
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      std::vector<char*> argv;
      for (auto& w : words) argv.push_back(w.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    port_ = line.empty() ? 0 : std::stoi(line);
  }
  ~Server() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::close(stdin_);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  /// The request log: one {method, path, range, status, client port} per request.
  std::vector<std::vector<std::string>> log() const {
    std::vector<std::vector<std::string>> rows;
    std::ifstream in(log_);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> row;
      std::stringstream ss(line);
      for (std::string f; std::getline(ss, f, '\t');) row.push_back(f);
      rows.push_back(row);
    }
    return rows;
  }
  std::size_t requests_of(const std::string& path) const {
    std::size_t n = 0;
    for (const auto& row : log()) n += row.size() > 1 && row[1] == path;
    return n;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
  fs::path log_;
};

/// "f<i>.nc", built up without `"f" + std::to_string(i)` (GCC 12 warns wrongly on that, -Wrestrict).
std::string numbered(int i) {
  std::string name = "f";
  name += std::to_string(i);
  name += ".nc";
  return name;
}

RangeReaderOptions fast_retries(int attempts) {
  RangeReaderOptions o;
  o.max_attempts = attempts;
  o.first_backoff_seconds = 0.01;
  o.timeout_seconds = 10;
  return o;
}

TEST(HttpRanges, ManyRangesOfSeveralUrlsInFlight) {
  const fs::path root = scratch("http_many") / "root";
  fs::create_directories(root);
  std::vector<std::vector<std::byte>> files;
  for (int i = 0; i < 4; ++i) files.push_back(write_file(root / numbered(i), 400000, 20 + i));
  Server server(root, {});
  ASSERT_GT(server.port(), 0);
  RangeReaderOptions options = fast_retries(1);
  options.max_in_flight = 8;
  options.merge_gap_bytes = 0;  // every range its own request
  Batch batch;
  std::mt19937 rng(7);
  for (int k = 0; k < 200; ++k) {
    const int f = k % 4;
    const std::uint64_t length = 1 + rng() % 5000;
    const std::uint64_t offset = rng() % (400000 - length);
    batch.add(server.url(std::string("/").append(numbered(f))), files[f], offset, length);
  }
  auto reader = make_range_reader(options);
  const Status s = reader->read(batch.get());
  ASSERT_TRUE(s.ok()) << error_of(s);
  EXPECT_EQ(batch.first_wrong(), -1);
  const auto log = server.log();
  EXPECT_EQ(log.size(), 200u);
  // Several requests went out at once, on at most max_in_flight connections.
  std::set<std::string> connections;
  for (const auto& row : log) connections.insert(row.at(4));
  EXPECT_GE(connections.size(), 2u);
  EXPECT_LE(connections.size(), 8u);
}

TEST(HttpRanges, NearbyRangesOfOneUrlAreMergedAndSplitBack) {
  const fs::path root = scratch("http_merge") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "a.nc", 1 << 20, 30);
  Server server(root, {});
  const auto batch_of = [&] {
    Batch batch;
    for (int k = 9; k >= 0; --k) batch.add(server.url("/a.nc"), a, 1000u * k, 1000);  // adjacent, given backwards
    batch.add(server.url("/a.nc"), a, 10500, 200);      // 500 bytes after them: merged too
    batch.add(server.url("/a.nc"), a, 5500, 1000);      // overlaps two of them
    batch.add(server.url("/a.nc"), a, 900000, 100);     // far away: a request of its own
    return batch;
  };
  RangeReaderOptions options;
  options.merge_gap_bytes = 1000;
  {
    Batch batch = batch_of();
    auto reader = make_range_reader(options);
    ASSERT_TRUE(reader->read(batch.get()).ok());
    EXPECT_EQ(batch.first_wrong(), -1);
    const auto log = server.log();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0][2] == "bytes=0-10699" ? log[1][2] : log[0][2], "bytes=900000-900099");
    EXPECT_TRUE(log[0][2] == "bytes=0-10699" || log[1][2] == "bytes=0-10699") << log[0][2] << " " << log[1][2];
  }
  options.merge_gap_bytes = 0;  // off
  {
    Batch batch = batch_of();
    auto reader = make_range_reader(options);
    ASSERT_TRUE(reader->read(batch.get()).ok());
    EXPECT_EQ(batch.first_wrong(), -1);
    EXPECT_EQ(server.log().size(), 2u + 13u);
  }
  options.merge_gap_bytes = 1000;
  options.max_merged_bytes = 4000;  // groups of at most 4000 bytes
  {
    Batch batch = batch_of();
    auto reader = make_range_reader(options);
    ASSERT_TRUE(reader->read(batch.get()).ok());
    EXPECT_EQ(batch.first_wrong(), -1);
    EXPECT_EQ(server.log().size(), 2u + 13u + 4u);  // [0,4000) [4000,8000) [5500..] ... see range_merge
  }
}

TEST(HttpRanges, TransientFailuresAreRetriedUntilTheySucceed) {
  const fs::path root = scratch("http_transient") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "a.nc", 10000, 40);
  const auto b = write_file(root / "b.nc", 10000, 41);
  Server server(root, {"--fail-first", "2"});
  Batch batch;
  batch.add(server.url("/a.nc"), a, 0, 100);
  batch.add(server.url("/b.nc"), b, 5000, 5000);
  auto reader = make_range_reader(fast_retries(3));
  const Status s = reader->read(batch.get());
  ASSERT_TRUE(s.ok()) << error_of(s);
  EXPECT_EQ(batch.first_wrong(), -1);
  EXPECT_EQ(server.requests_of("/a.nc"), 3u);  // 503, 503, 206
  EXPECT_EQ(server.requests_of("/b.nc"), 3u);
  // The same fault asked by the url's query (the kerchunk tests' way): one 503, then the bytes.
  Batch by_query;
  by_query.add(server.url("/a.nc?fail_first=1"), a, 10, 10);
  const Status q = reader->read(by_query.get());
  ASSERT_TRUE(q.ok()) << error_of(q);
  EXPECT_EQ(by_query.first_wrong(), -1);
  EXPECT_EQ(server.requests_of("/a.nc?fail_first=1"), 2u);
}

TEST(HttpRanges, AStalledTransferTimesOutAndIsRetried) {
  const fs::path root = scratch("http_stall") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "a.nc", 100000, 42);
  Server server(root, {"--stall", "1"});
  RangeReaderOptions options = fast_retries(2);
  options.timeout_seconds = 1;
  Batch batch;
  batch.add(server.url("/a.nc"), a, 0, 80000);
  auto reader = make_range_reader(options);
  const Status s = reader->read(batch.get());
  ASSERT_TRUE(s.ok()) << error_of(s);
  EXPECT_EQ(batch.first_wrong(), -1);
  EXPECT_EQ(server.requests_of("/a.nc"), 2u);
}

// s3:// through the same server as an anonymous, path-style S3 endpoint: s3://bkt/a.nc is
// <root>/bkt/a.nc. Signing is checked against a real S3 server (tests/integration/s3_cases.py).
RangeReaderOptions anonymous_s3(const Server& server, int attempts) {
  RangeReaderOptions o = fast_retries(attempts);
  o.s3.anon = true;
  o.s3.endpoint_url = server.url("/");
  return o;
}

TEST(S3Ranges, AnonymousPathStyleRangesAreMergedRetriedAndNamedByBucketAndKey) {
  const fs::path root = scratch("s3_anonymous") / "root";
  fs::create_directories(root / "bkt" / "dir with space");
  const auto a = write_file(root / "bkt" / "dir with space" / "a.nc", 100000, 51);
  Server server(root, {"--fail-first", "2"});
  Batch batch;
  batch.add("s3://bkt/dir with space/a.nc", a, 0, 1000);
  batch.add("s3://bkt/dir with space/a.nc", a, 1500, 2000);  // merged with the first
  batch.add("s3://bkt/dir with space/a.nc", a, 90000, 10000);
  auto reader = make_range_reader(anonymous_s3(server, 4));
  const Status s = reader->read(batch.get());
  ASSERT_TRUE(s.ok()) << error_of(s);
  EXPECT_EQ(batch.first_wrong(), -1);
  EXPECT_EQ(server.requests_of("/bkt/dir%20with%20space/a.nc"), 2u + 2u) << "2 merged requests, each after 2 failures";
  const auto whole = reader->read_whole("s3://bkt/dir with space/a.nc", 200000);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->size(), a.size());
  std::vector<std::byte> buf(10);
  const RangeRequest missing{"s3://bkt/missing.nc", 0, 10, buf.data()};
  EXPECT_EQ(error_of(reader->read({&missing, 1})), "s3://bkt/missing.nc: no key 'missing.nc' of bucket 'bkt' (HTTP 404 Not Found)");
}

TEST(S3Ranges, ASignedRequestFollowsNoRedirectAnAnonymousOneDoes) {
  // The server's /redirect/a.nc answers 302 to /a.nc: s3://redirect/a.nc path style.
  const fs::path root = scratch("s3_redirect") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "a.nc", 1000, 53);
  Server server(root, {});
  Batch anonymous;
  anonymous.add("s3://redirect/a.nc", a, 0, 100);
  ASSERT_TRUE(make_range_reader(anonymous_s3(server, 1))->read(anonymous.get()).ok());
  EXPECT_EQ(anonymous.first_wrong(), -1);
  RangeReaderOptions signed_options = anonymous_s3(server, 1);
  signed_options.s3.anon = false;
  signed_options.s3.key = "AKID";
  signed_options.s3.secret = "secret";
  signed_options.s3.token = "session-token";  // curl would send it on to the redirect's target
  Batch signed_batch;
  signed_batch.add("s3://redirect/a.nc", a, 0, 100);
  EXPECT_EQ(error_of(make_range_reader(signed_options)->read(signed_batch.get())),
            "s3://redirect/a.nc: HTTP 302 Found");
  EXPECT_EQ(server.requests_of("/a.nc"), 1u) << "only the anonymous request went on to /a.nc";
}

TEST(S3Ranges, AResetMidBodyIsRetried) {
  const fs::path root = scratch("s3_reset") / "root";
  fs::create_directories(root / "bkt");
  const auto a = write_file(root / "bkt" / "a.nc", 100000, 52);
  Server server(root, {"--close-early", "2"});
  Batch batch;
  batch.add("s3://bkt/a.nc", a, 1000, 50000);
  auto reader = make_range_reader(anonymous_s3(server, 3));
  const Status s = reader->read(batch.get());
  ASSERT_TRUE(s.ok()) << error_of(s);
  EXPECT_EQ(batch.first_wrong(), -1);
  EXPECT_EQ(server.requests_of("/bkt/a.nc"), 3u);
}

TEST(HttpRanges, APermanentErrorNamesUrlAndStatusWithoutRetrying) {
  const fs::path root = scratch("http_404") / "root";
  fs::create_directories(root);
  Server server(root, {"--fail-path", "/gone.nc=404"});
  std::vector<std::byte> buf(10);
  const RangeRequest r{server.url("/gone.nc"), 0, 10, buf.data()};
  auto reader = make_range_reader(fast_retries(5));
  EXPECT_EQ(error_of(reader->read({&r, 1})), server.url("/gone.nc") + ": HTTP 404 Not Found");
  EXPECT_EQ(server.requests_of("/gone.nc"), 1u);
  const RangeRequest forbidden{server.url("/a.nc?status=403"), 0, 10, buf.data()};
  EXPECT_EQ(error_of(reader->read({&forbidden, 1})), server.url("/a.nc?status=403") + ": HTTP 403 Forbidden");
  EXPECT_EQ(server.requests_of("/a.nc?status=403"), 1u);
  // A file that is not there: the same, from the server's own 404.
  const RangeRequest missing{server.url("/missing.nc"), 0, 10, buf.data()};
  EXPECT_EQ(error_of(reader->read({&missing, 1})), server.url("/missing.nc") + ": HTTP 404 Not Found");
  // Credentials in a url are not repeated in messages.
  const std::string secret = "http://user:secret@127.0.0.1:" + std::to_string(server.port()) + "/gone.nc";
  const RangeRequest with_password{secret, 0, 10, buf.data()};
  EXPECT_EQ(error_of(reader->read({&with_password, 1})),
            "http://***@127.0.0.1:" + std::to_string(server.port()) + "/gone.nc: HTTP 404 Not Found");
}

TEST(HttpRanges, A500ForeverExhaustsTheAttempts) {
  const fs::path root = scratch("http_500") / "root";
  fs::create_directories(root);
  Server server(root, {"--fail-path", "/broken.nc"});
  std::vector<std::byte> buf(10);
  const RangeRequest r{server.url("/broken.nc"), 0, 10, buf.data()};
  auto reader = make_range_reader(fast_retries(3));
  EXPECT_EQ(error_of(reader->read({&r, 1})),
            server.url("/broken.nc") + ": HTTP 500 Internal Server Error (gave up after 3 attempts)");
  EXPECT_EQ(server.requests_of("/broken.nc"), 3u);
  // 429 is "later", not "never".
  const RangeRequest busy{server.url("/broken.nc?status=429"), 0, 10, buf.data()};
  EXPECT_EQ(error_of(reader->read({&busy, 1})),
            server.url("/broken.nc?status=429") + ": HTTP 429 Too Many Requests (gave up after 3 attempts)");
  EXPECT_EQ(server.requests_of("/broken.nc?status=429"), 3u);
}

TEST(HttpRanges, AConnectionClosedMidBodyIsRetried) {
  const fs::path root = scratch("http_close_early") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "a.nc", 100000, 50);
  {
    Server server(root, {"--close-early", "2"});
    Batch batch;
    batch.add(server.url("/a.nc"), a, 1000, 50000);
    auto reader = make_range_reader(fast_retries(3));
    const Status s = reader->read(batch.get());
    ASSERT_TRUE(s.ok()) << error_of(s);
    EXPECT_EQ(batch.first_wrong(), -1);
    EXPECT_EQ(server.requests_of("/a.nc"), 3u);
  }
  {
    Server server(root, {"--close-early", "100"});
    Batch batch;
    batch.add(server.url("/a.nc"), a, 1000, 50000);
    auto reader = make_range_reader(fast_retries(2));
    const std::string e = error_of(reader->read(batch.get()));
    EXPECT_EQ(e.rfind(server.url("/a.nc") + ": Transferred a partial file", 0), 0u) << e;
    EXPECT_NE(e.find("(gave up after 2 attempts)"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(HttpRanges, ABodyShorterThanAskedIsRetried) {
  const fs::path root = scratch("http_short") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "a.nc", 100000, 51);
  {
    Server server(root, {"--short-body", "1"});
    Batch batch;
    batch.add(server.url("/a.nc"), a, 1000, 3000);
    batch.add(server.url("/a.nc"), a, 4000, 3000);  // merged with the first: one request
    auto reader = make_range_reader(fast_retries(3));
    const Status s = reader->read(batch.get());
    ASSERT_TRUE(s.ok()) << error_of(s);
    EXPECT_EQ(batch.first_wrong(), -1);
    EXPECT_EQ(server.requests_of("/a.nc"), 2u);
  }
  {
    Server server(root, {"--short-body", "100"});
    Batch batch;
    batch.add(server.url("/a.nc"), a, 1000, 3000);
    auto reader = make_range_reader(fast_retries(2));
    EXPECT_EQ(error_of(reader->read(batch.get())),
              server.url("/a.nc") + ": range 1000+3000: the body ended after 1500 bytes (gave up after 2 attempts)");
  }
}

TEST(HttpRanges, ARangePastTheEndNamesTheSize) {
  const fs::path root = scratch("http_past_end") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "a.nc", 2048, 52);
  Server server(root, {});
  std::vector<std::byte> buf(5000);
  auto reader = make_range_reader(fast_retries(3));
  const RangeRequest straddles{server.url("/a.nc"), 100, 4096, buf.data()};  // a 206 for less
  EXPECT_EQ(error_of(reader->read({&straddles, 1})),
            server.url("/a.nc") + ": range 100+4096 ends past the end of the url (2048 bytes)");
  const RangeRequest beyond{server.url("/a.nc"), 3000, 10, buf.data()};  // a 416
  EXPECT_EQ(error_of(reader->read({&beyond, 1})),
            server.url("/a.nc") + ": range 3000+10 ends past the end of the url (2048 bytes)");
  EXPECT_EQ(server.requests_of("/a.nc"), 2u) << "not retried";
}

TEST(HttpRanges, AServerIgnoringRangeIsSlicedOnlyNearTheStart) {
  const fs::path root = scratch("http_ignore_range") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "a.nc", 300000, 53);
  Server server(root, {"--ignore-range"});
  RangeReaderOptions options = fast_retries(3);
  options.max_unranged_bytes = 100000;
  auto reader = make_range_reader(options);
  Batch batch;
  batch.add(server.url("/a.nc"), a, 50000, 10000);
  batch.add(server.url("/a.nc"), a, 10, 10);
  const Status s = reader->read(batch.get());
  ASSERT_TRUE(s.ok()) << error_of(s);
  EXPECT_EQ(batch.first_wrong(), -1);
  Batch far;
  far.add(server.url("/a.nc"), a, 95000, 10000);
  EXPECT_EQ(error_of(reader->read(far.get())),
            server.url("/a.nc") +
                ": the server ignores Range requests (HTTP 200) and range 95000+10000 ends past the first 100000 bytes "
                "read that way");
}

TEST(HttpRanges, RedirectsAreFollowed) {
  const fs::path root = scratch("http_redirect") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "a.nc", 5000, 54);
  Server server(root, {});
  Batch batch;
  batch.add(server.url("/redirect/redirect/a.nc"), a, 100, 200);
  auto reader = make_range_reader();
  const Status s = reader->read(batch.get());
  ASSERT_TRUE(s.ok()) << error_of(s);
  EXPECT_EQ(batch.first_wrong(), -1);
  EXPECT_EQ(server.requests_of("/a.nc"), 1u);
  const auto whole = reader->read_whole(server.url("/redirect/a.nc"), 5000);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(std::memcmp(whole->data(), a.data(), a.size()), 0);
}

TEST(HttpRanges, ReadWholeIsBoundedAndRetried) {
  const fs::path root = scratch("http_whole") / "root";
  fs::create_directories(root);
  const auto a = write_file(root / "refs.json", 70000, 55);
  Server server(root, {"--fail-first", "1"});
  auto reader = make_range_reader(fast_retries(2));
  const auto all = reader->read_whole(server.url("/refs.json"), 70000);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), a.size());
  EXPECT_EQ(std::memcmp(all->data(), a.data(), a.size()), 0);
  EXPECT_EQ(server.requests_of("/refs.json"), 2u);
  const auto over = reader->read_whole(server.url("/refs.json"), 69999);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message, server.url("/refs.json") + ": 70000 bytes, more than the limit of 69999 bytes");
}

TEST(HttpRanges, ARefusedConnectionIsRetriedThenReported) {
  const fs::path root = scratch("http_refused") / "root";
  fs::create_directories(root);
  Server server(root, {});
  const std::string url = server.url("/a.nc");
  server.stop();  // nobody listens on that port now
  std::vector<std::byte> buf(10);
  const RangeRequest r{url, 0, 10, buf.data()};
  auto reader = make_range_reader(fast_retries(2));
  const std::string e = error_of(reader->read({&r, 1}));
  EXPECT_EQ(e.rfind(url + ": Couldn't connect to server", 0), 0u) << e;
  EXPECT_NE(e.find("(gave up after 2 attempts)"), std::string::npos) << e;
}

// ---- rates (not run by ctest: --gtest_also_run_disabled_tests --gtest_filter='*Rate*') ----

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(ByteRangesRate, DISABLED_LocalPread64KiB) {
  const fs::path dir = scratch("rate_local");
  constexpr std::size_t kFile = 256u << 20, kRange = 64u << 10, kRanges = 10000;
  const auto a = write_file(dir / "a.bin", kFile, 60);
  Batch batch;
  std::mt19937_64 rng(1);
  for (std::size_t k = 0; k < kRanges; ++k) batch.add((dir / "a.bin").string(), a, rng() % (kFile - kRange), kRange);
  auto reader = make_range_reader();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(reader->read(batch.get()).ok());
  double s = seconds_since(t0);
  EXPECT_EQ(batch.first_wrong(), -1);
  std::printf("local pread: %zu ranges of 64 KiB (page cache) into their own buffers in %.3f s: %.0f ranges/s, %.0f MB/s\n",
              kRanges, s, kRanges / s, kRanges * kRange / s / 1e6);
  // The reader's own cost: every range into one cache-hot buffer.
  std::vector<RangeRequest> same(batch.requests);
  for (auto& r : same) r.out = batch.buffers[0].data();
  t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(reader->read(same).ok());
  s = seconds_since(t0);
  std::printf("local pread: %zu ranges of 64 KiB (page cache) into one buffer in %.3f s: %.0f ranges/s, %.0f MB/s\n",
              kRanges, s, kRanges / s, kRanges * kRange / s / 1e6);
}

TEST(ByteRangesRate, DISABLED_HttpMergedAndNot) {
  const fs::path root = scratch("rate_http") / "root";
  fs::create_directories(root);
  constexpr std::size_t kFile = 160u << 20;
  const auto a = write_file(root / "a.bin", kFile, 61);
  Server server(root, {});
  struct Shape {
    std::size_t range, gap, count;
  };
  for (const Shape shape : {Shape{64u << 10, 4096, 2000}, Shape{4096, 512, 5000}}) {
    for (std::uint64_t merge_gap : {std::uint64_t{0}, std::uint64_t{64 * 1024}}) {
      Batch batch;
      for (std::size_t k = 0; k < shape.count; ++k) {
        batch.add(server.url("/a.bin"), a, k * (shape.range + shape.gap), shape.range);
      }
      RangeReaderOptions options;
      options.merge_gap_bytes = merge_gap;
      auto reader = make_range_reader(options);
      const std::size_t before = server.log().size();
      const auto t0 = std::chrono::steady_clock::now();
      ASSERT_TRUE(reader->read(batch.get()).ok());
      const double s = seconds_since(t0);
      EXPECT_EQ(batch.first_wrong(), -1);
      std::printf("http, merging %s: %zu ranges of %zu B (%zu B apart) in %zu requests, %.3f s: %.0f ranges/s, %.0f MB/s\n",
                  merge_gap ? "on " : "off", shape.count, shape.range, shape.gap, server.log().size() - before, s,
                  shape.count / s, shape.count * shape.range / s / 1e6);
    }
  }
}

}  // namespace
}  // namespace zpmpi::source
