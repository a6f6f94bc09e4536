// resolve_source() for the netcdf engine: glob expansion, duplicates, the default concat
// dim, and the agreement checks between files (each mismatch names both files).
#include "multi_file_fixture.hpp"

namespace zpmpi::source {
namespace {

using testing::MultiFileTest;
using testing::PartOptions;
using testing::expect_names;
using testing::resolve_error;

TEST_F(MultiFileTest, GlobsExpandSorted) {
  const auto files = write_parts({2, 2, 2});
  SourceSpec spec;
  spec.uris = {path("part*.nc")};
  auto resolved = resolve_source(spec);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->uris, files);
  EXPECT_EQ(resolved->lengths, (std::vector<std::uint64_t>{2, 2, 2}));
  // A list mixing a plain path and a pattern.
  spec.uris = {files[0], path("part[12].nc")};
  resolved = resolve_source(spec);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->uris, files);
  // A pattern matching one file is that file alone: no multi-file fields.
  spec.uris = {path("part0.n?")};
  resolved = resolve_source(spec);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->uris, (std::vector<std::string>{files[0]}));
  EXPECT_TRUE(resolved->lengths.empty());
}

TEST_F(MultiFileTest, APatternMatchingNothingIsAnErrorNamingIt) {
  SourceSpec spec;
  spec.uris = {path("era5_*.nc")};
  auto resolved = resolve_source(spec);
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().code, ExitCode::kUsage);
  expect_names(resolved.error(), {path("era5_*.nc"), "matches no file"});
}

TEST_F(MultiFileTest, APathWithoutGlobCharactersIsTakenAsItIs) {
  SourceSpec spec;
  spec.uris = {path("missing.nc")};
  auto resolved = resolve_source(spec);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->uris, spec.uris);
}

TEST_F(MultiFileTest, AFileNamedLikeAPatternIsThatFile) {
  const auto files = write_parts({2});
  const std::string odd = path("t2m[K].nc");  // as a pattern it would match "t2mK.nc"
  std::filesystem::copy_file(files[0], odd);
  SourceSpec spec;
  spec.uris = {odd};
  auto resolved = resolve_source(spec);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->uris, spec.uris);
}

TEST_F(MultiFileTest, AFileListedTwiceIsRefused) {
  const auto files = write_parts({2, 2});
  SourceSpec spec;
  spec.uris = {files[0], files[1], path("part*.nc")};
  auto resolved = resolve_source(spec);
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().code, ExitCode::kUsage);
  expect_names(resolved.error(), {"listed twice"});
  // The same file spelled differently.
  const Error e = resolve_error({files[0], dir_.string() + "/./part0.nc"});
  expect_names(e, {"listed twice"});
}

TEST_F(MultiFileTest, TheDefaultConcatDimIsTheRecordDimElseTime) {
  auto files = write_parts({2, 2});
  auto resolved = resolve_source(spec_of(files));
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->concat_dim, "time");
  // Without a record dim: "time" all the same.
  files = write_parts({2, 3}, PartOptions{.unlimited = false});
  resolved = resolve_source(spec_of(files));
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->concat_dim, "time");
  EXPECT_EQ(resolved->lengths, (std::vector<std::uint64_t>{2, 3}));
  // A concat dim the files lack.
  SourceSpec spec = spec_of(files);
  spec.concat_dim = "level";
  auto e = resolve_source(spec);
  ASSERT_FALSE(e.ok());
  expect_names(e.error(), {"source.concat_dim", files[0], "'level'"});
}

TEST_F(MultiFileTest, MismatchesNameBothFilesAndWhatDiffers) {
  const auto a = write_part("a.nc", 0, 0, 4);  // longer than its chunk, so its chunk shows
  struct Case {
    std::string what;
    PartOptions options;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"dtype", {.v_type = NC_DOUBLE}, {"variable v", "i4", "f8"}},
      {"missing variable", {.with_mask = false}, {"variable mask is missing"}},
      {"dim length", {.y = 4}, {"dimension y has length 3", "4"}},
      {"chunking", {.time_chunk = 1}, {"variable v is stored in chunks"}},
      {"coordinate values", {.y_offset = 0.25}, {"coordinate y holds other values"}},
      {"scale_factor", {.scale_factor = 2.0}, {"variable v has scale_factor"}},
      {"fill value", {.v_fill = -1}, {"variable v has another fill value"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto b = write_part("b.nc", 1, 4, 3, c.options);
    const Error e = resolve_error({a, b});
    EXPECT_EQ(e.code, ExitCode::kUsage);
    expect_names(e, {a, b});
    expect_names(e, c.expected);
  }
}

TEST_F(MultiFileTest, NaNFillValuesAndCoordinatesAgreeWhateverTheirBits) {
  // xarray's to_netcdf gives every float variable _FillValue NaN; NaN is not == NaN.
  const auto a = write_part("a.nc", 0, 0, 4, {.nan_bits = 0x7ff8000000000000});
  const auto b = write_part("b.nc", 1, 4, 3, {.nan_bits = 0x7ff8000000000000});
  const auto c = write_part("c.nc", 2, 7, 3, {.nan_bits = 0xfff8000000000001});  // sign and payload
  auto resolved = resolve_source(spec_of({a, b, c}));
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->lengths, (std::vector<std::uint64_t>{4, 3, 3}));
  // NaN still differs from a number.
  const auto d = write_part("d.nc", 3, 10, 3);
  expect_names(resolve_error({a, d}), {"variable y has another fill value"});
}

TEST_F(MultiFileTest, OverlappingTimesAreAnError) {
  const auto a = write_part("a.nc", 0, 0, 3);
  const auto b = write_part("b.nc", 1, 2, 3);  // starts at 2, a ends at 2
  const Error e = resolve_error({a, b});
  EXPECT_EQ(e.code, ExitCode::kUsage);
  expect_names(e, {b + " overlaps " + a, "along time"});
  // Listed in the wrong order: an overlap too.
  const auto c = write_part("c.nc", 1, 3, 3);
  expect_names(resolve_error({c, a}), {a + " overlaps " + c});
}

TEST_F(MultiFileTest, AnEmptyFileIsSkippedByReadsAndChecks) {
  const auto a = write_part("a.nc", 0, 0, 3);
  const auto empty = write_part("b.nc", 1, 3, 0);
  const auto c = write_part("c.nc", 2, 3, 3);
  auto resolved = resolve_source(spec_of({a, empty, c}));
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->lengths, (std::vector<std::uint64_t>{3, 0, 3}));
  EXPECT_TRUE(resolved->warnings.empty());
  auto source = open_source(*resolved);
  ASSERT_TRUE(source.ok()) << source.error().message;
  std::vector<int> out(6);
  ASSERT_TRUE((*source)->read("v", {{0, 0, 0}, {6, 1, 1}}, testing::bytes_of(out)).ok());
  for (std::size_t t = 0; t < 6; ++t) EXPECT_EQ(out[t], v_at(t, 0, 0));
  // An overlap across the empty file is still one, named by the files that overlap.
  const auto d = write_part("d.nc", 2, 1, 3);
  expect_names(resolve_error({a, empty, d}), {d + " overlaps " + a});
}

TEST_F(MultiFileTest, AGapIsAWarning) {
  const auto a = write_part("a.nc", 0, 0, 3);
  const auto b = write_part("b.nc", 1, 3, 3);  // contiguous
  const auto c = write_part("c.nc", 2, 10, 3);  // 4 missing steps
  auto resolved = resolve_source(spec_of({a, b, c}));
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  ASSERT_EQ(resolved->warnings.size(), 1u);
  expect_names(Error{resolved->warnings[0]}, {"gap along time", b, c, "a step of 5"});
}

}  // namespace
}  // namespace zpmpi::source
