#include "zpmpi/zarr/names.hpp"

#include <string>

#include <gtest/gtest.h>

namespace zpmpi::zarr {
namespace {

std::string reason(std::string_view name, ZarrFormat format = ZarrFormat::kV2) {
  const Status st = check_name(name, format);
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

TEST(CheckName, ZarrV3AlsoRefusesItsMetadataKeyPeriodsAndTheReservedPrefix) {
  const auto v3 = ZarrFormat::kV3;
  // Fine in v2, where they are ordinary directory names.
  for (const char* name : {"zarr.json", "...", "__x"}) EXPECT_EQ(reason(name), "ok") << name;
  EXPECT_EQ(reason("zarr.json", v3), "is the Zarr v3 metadata key");
  EXPECT_EQ(reason("...", v3), "is made only of periods, which Zarr v3 does not allow for a node name");
  EXPECT_EQ(reason("__x", v3), "starts with '__', which Zarr v3 reserves");
  EXPECT_EQ(check_name("zarr.json", v3).error().code, ExitCode::kUsage);
  // Chunk keys live inside arrays: "c" and "_x" name arrays of the root group.
  for (const char* name : {"t2m", "c", "_x", "a.b", "zarr.json.bak"}) EXPECT_EQ(reason(name, v3), "ok") << name;
  // The v2 refusals hold for v3 too.
  EXPECT_EQ(reason(".zarray", v3), "is a Zarr metadata key");
  EXPECT_EQ(reason("..", v3), "is '..', which names no directory of its own");
  EXPECT_EQ(reason("a/b", v3), "contains '/', which Zarr reads as a group separator");
}

}  // namespace
}  // namespace zpmpi::zarr
