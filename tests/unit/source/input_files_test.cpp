// What identifies an input file (input_files.hpp): one stat per file, urls by name, and
// each source naming the files it reads.
#include "zpmpi/source/input_files.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "zpmpi/source/source.hpp"

namespace zpmpi::source {
namespace {
namespace fs = std::filesystem;

fs::path fresh(const std::string& name) {
  const fs::path dir = fs::path(ZPMPI_TEST_TMP) / "source" / ("input_files." + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(IdentifyInput, ALocalFileBySizeMtimeAndInode) {
  const fs::path file = fresh("local") / "a.nc";
  std::ofstream(file) << "12345";
  struct stat st{};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  auto id = identify_input(file.string());
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_TRUE(id->local);
  EXPECT_EQ(id->size, 5);
  EXPECT_EQ(id->inode, st.st_ino);
  EXPECT_EQ(id->mtime_ns, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
}

TEST(IdentifyInput, AUrlByItsNameAloneAndAMissingFileIsNamed) {
  auto url = identify_input("https://example.org/a.nc");
  ASSERT_TRUE(url.ok());
  EXPECT_FALSE(url->local);
  EXPECT_EQ(url->size, 0);
  const std::string missing = (fresh("missing") / "gone.nc").string();
  auto gone = identify_input(missing);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().message, missing + ": cannot stat the source file: No such file or directory");
}

TEST(IdentifyInputs, EachFileOnceInOrder) {
  const fs::path dir = fresh("several");
  std::ofstream(dir / "a.nc") << "a";
  std::ofstream(dir / "b.nc") << "bb";
  const std::string a = (dir / "a.nc").string(), b = (dir / "b.nc").string();
  auto ids = identify_inputs({b, a, b, "http://h/x"});
  ASSERT_TRUE(ids.ok()) << ids.error().message;
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_EQ((*ids)[0].uri, b);
  EXPECT_EQ((*ids)[0].size, 2);
  EXPECT_EQ((*ids)[1].uri, a);
  EXPECT_EQ((*ids)[2].uri, "http://h/x");
}

}  // namespace
}  // namespace zpmpi::source
