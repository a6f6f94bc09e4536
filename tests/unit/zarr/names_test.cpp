#include "zpmpi/zarr/names.hpp"

#include <string>

#include <gtest/gtest.h>

namespace zpmpi::zarr {
namespace {

std::string reason(std::string_view name) {
  const Status st = check_name(name);
  return st.ok() ? "ok" : st.error().message;
}

TEST(CheckName, RefusesWhatCannotBeOneKeyOfTheStore) {
  EXPECT_EQ(reason("t2m"), "ok");
  EXPECT_EQ(reason(".hidden"), "ok");
  EXPECT_EQ(reason("0.0"), "ok");  // a chunk key at the root is no chunk of anything
  EXPECT_EQ(reason(std::string(255, 'x')), "ok");
  EXPECT_EQ(reason(""), "is empty");
  EXPECT_EQ(reason("a/b"), "contains '/', which Zarr reads as a group separator");
  EXPECT_EQ(reason(std::string("a\0b", 3)), "contains a NUL byte");
  EXPECT_EQ(reason("."), "is '.', which names no directory of its own");
  EXPECT_EQ(reason(".."), "is '..', which names no directory of its own");
  for (const char* key : {".zarray", ".zattrs", ".zgroup", ".zmetadata"}) EXPECT_EQ(reason(key), "is a Zarr metadata key");
  EXPECT_EQ(reason(".zpmpi"), "starts with .zpmpi, which is kept for zpmpi's own files");
  EXPECT_EQ(reason(std::string(256, 'x')), "is 256 bytes long; a file name holds at most 255");
  EXPECT_EQ(check_name("").error().code, ExitCode::kUsage);
}

}  // namespace
}  // namespace zpmpi::zarr
