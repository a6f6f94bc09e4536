// MultiFileSource: the combined description, reads across file boundaries with strides,
// variables without the concat dim, text, the bound on open files, and one set of decode
// buffers for all of them.
#include <numeric>

#include "../../common/thread_runner.hpp"
#include "multi_file_fixture.hpp"
#include "zpmpi/source/decode_buffers.hpp"

namespace zpmpi::source {
namespace {

using model::Box;
using testing::bytes_of;
using testing::MultiFileTest;

std::unique_ptr<MultiFileSource> open_multi(const SourceSpec& spec, std::size_t max_open = kMaxOpenFiles) {
  auto resolved = resolve_source(spec);
  if (!resolved.ok()) throw std::runtime_error(resolved.error().message);
  auto source = MultiFileSource::open(*resolved, max_open);
  if (!source.ok()) throw std::runtime_error(source.error().message);
  return std::move(source).value();
}

TEST_F(MultiFileTest, DescribesTheConcatenation) {
  auto source = open_multi(spec_of(write_parts({4, 2, 6})));
  const model::Dataset& ds = source->dataset();
  EXPECT_EQ(ds.find_dim("time")->length, 12u);
  EXPECT_EQ(ds.find_dim("y")->length, 3u);
  const auto& v = testing::variable(ds, "v");
  EXPECT_EQ(v.shape, (model::Shape{12, 3, 4}));
  EXPECT_EQ(v.source_chunks, (model::Shape{2, 3, 4}));  // gcd(2, 4, 2, 6)
  EXPECT_TRUE(v.compressed);
  EXPECT_EQ(testing::variable(ds, "w").shape, (model::Shape{3, 12}));
  EXPECT_EQ(testing::variable(ds, "w").source_chunks, (model::Shape{1, 1}));  // gcd(3, 4, 2, 6)
  EXPECT_EQ(testing::variable(ds, "time").shape, (model::Shape{12}));
  EXPECT_EQ(testing::variable(ds, "y").shape, (model::Shape{3}));  // a coordinate: as in the first file
  // A data variable without time gets it, as xarray's data_vars="all" does.
  const auto& mask = testing::variable(ds, "mask");
  EXPECT_EQ(mask.dims, (std::vector<std::string>{"time", "y", "x"}));
  EXPECT_EQ(mask.shape, (model::Shape{12, 3, 4}));
  EXPECT_EQ(mask.source_chunks[0], 2u);
  EXPECT_EQ(testing::variable(ds, "name").shape, (model::Shape{12}));
}

TEST_F(MultiFileTest, NamesEveryMemberAsItsInputFilesOpenedOrNot) {
  const auto spec = spec_of(write_parts({2, 2, 2}));
  auto source = open_multi(spec);
  EXPECT_EQ(source->opens(), 1u);  // only the first is open
  EXPECT_EQ(source->input_files(), spec.uris);
  EXPECT_EQ(source->input_files().size(), 3u);
}

TEST_F(MultiFileTest, ChunkAlongTheConcatDimKeepsFileBoundaries) {
  // Lengths 3, 3, 3 with chunks of 2: boundaries at 3 and 6, so the reported chunk is 1.
  auto source = open_multi(spec_of(write_parts({3, 3, 3})));
  EXPECT_EQ(testing::variable(source->dataset(), "v").source_chunks, (model::Shape{1, 3, 4}));
  // The last file's length makes no boundary inside the dataset: 4, 4, 3 keeps chunks of 2.
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  source = open_multi(spec_of(write_parts({4, 4, 3})));
  EXPECT_EQ(testing::variable(source->dataset(), "v").source_chunks, (model::Shape{2, 3, 4}));
  EXPECT_EQ(testing::variable(source->dataset(), "mask").source_chunks, (model::Shape{4, 3, 4}));
}

TEST_F(MultiFileTest, ReadsAcrossBoundariesWithStrides) {
  const std::vector<std::size_t> lengths = {4, 1, 2, 5};
  auto source = open_multi(spec_of(write_parts(lengths)));
  const std::size_t total = 12;
  for (std::size_t step = 1; step <= 4; ++step)
    for (std::size_t start = 0; start < total; ++start)
      for (std::size_t count = 0; start + (count == 0 ? 0 : (count - 1) * step) < total; ++count) {
        SCOPED_TRACE("start " + std::to_string(start) + " count " + std::to_string(count) + " step " +
                     std::to_string(step));
        // v(time, y, x): the time dim first, y strided too.
        const Box box{{start, 1, 1}, {count, 1, 3}};
        std::vector<int> out(box.num_elements(), -1);
        auto st = source->read("v", box, bytes_of(out), {step, 2, 1});
        ASSERT_TRUE(st.ok()) << st.error().message;
        std::size_t i = 0;
        for (std::size_t k = 0; k < count; ++k)
          for (std::size_t x = 0; x < 3; ++x) ASSERT_EQ(out[i++], v_at(start + k * step, 1, 1 + x));
        // w(y, time): time second, so each file's part is scattered over the rows of out.
        const Box wbox{{0, start}, {3, count}};
        std::vector<int> wout(wbox.num_elements(), -1);
        st = source->read("w", wbox, bytes_of(wout), {1, step});
        ASSERT_TRUE(st.ok()) << st.error().message;
        i = 0;
        for (std::size_t y = 0; y < 3; ++y)
          for (std::size_t k = 0; k < count; ++k) ASSERT_EQ(wout[i++], w_at(y, start + k * step));
      }
  // The time coordinate, whole.
  std::vector<double> times(total);
  ASSERT_TRUE(source->read("time", {{0}, {total}}, bytes_of(times)).ok());
  for (std::size_t t = 0; t < total; ++t) EXPECT_EQ(times[t], static_cast<double>(t));
}

TEST_F(MultiFileTest, ADataVariableWithoutTheConcatDimRepeatsEachFilesValues) {
  const std::vector<std::size_t> lengths = {2, 3, 1};
  const std::vector<std::size_t> file_of = {0, 0, 1, 1, 1, 2};
  auto source = open_multi(spec_of(write_parts(lengths)));
  for (std::size_t step : {1, 2, 5})
    for (std::size_t start = 0; start < 6; ++start) {
      const std::size_t count = (6 - start + step - 1) / step;
      const Box box{{start, 0, 2}, {count, 3, 2}};
      std::vector<float> out(box.num_elements(), -1);
      auto st = source->read("mask", box, bytes_of(out), {step, 1, 1});
      ASSERT_TRUE(st.ok()) << st.error().message;
      std::size_t i = 0;
      for (std::size_t k = 0; k < count; ++k)
        for (std::size_t y = 0; y < 3; ++y)
          for (std::size_t x = 2; x < 4; ++x) ASSERT_EQ(out[i++], mask_at(file_of[start + k * step], y, x));
    }
  // The y coordinate (no time): the first file's.
  std::vector<double> ys(3);
  ASSERT_TRUE(source->read("y", {{0}, {3}}, bytes_of(ys)).ok());
  EXPECT_EQ(ys, (std::vector<double>{0, 0.5, 1}));
}

TEST_F(MultiFileTest, TextIsConcatenated) {
  auto source = open_multi(spec_of(write_parts({2, 3})));
  auto names = source->read_text("name");
  ASSERT_TRUE(names.ok()) << names.error().message;
  ASSERT_EQ(names->size(), 5u);
  for (std::size_t t = 0; t < 5; ++t) {
    std::string expected = name_at(t);
    expected.resize(4, '\0');
    EXPECT_EQ((*names)[t], expected);
  }
}

TEST_F(MultiFileTest, KeepsAtMostTheBoundOfFilesOpen) {
  const std::vector<std::size_t> lengths(7, 2);
  auto source = open_multi(spec_of(write_parts(lengths)), /*max_open=*/3);
  EXPECT_EQ(source->files_open(), 1u);  // the first file, for the description
  // Every file in turn, then back and forth: never more than 3 open.
  const std::vector<std::size_t> order = {0, 1, 2, 3, 4, 5, 6, 6, 5, 0, 13, 12, 7, 1};
  for (std::size_t t : order) {
    std::vector<int> out(1);
    auto st = source->read("v", {{t, 0, 0}, {1, 1, 1}}, bytes_of(out));
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(out[0], v_at(t, 0, 0));
    EXPECT_LE(source->files_open(), 3u);
  }
  // One read spanning all seven files.
  std::vector<int> all(14 * 3 * 4);
  ASSERT_TRUE(source->read("v", {{0, 0, 0}, {14, 3, 4}}, bytes_of(all)).ok());
  EXPECT_EQ(all.back(), v_at(13, 2, 3));
  EXPECT_EQ(source->files_open(), 3u);
  const std::size_t opens = source->opens();
  // Reading the most recent file again opens nothing.
  std::vector<int> out(1);
  ASSERT_TRUE(source->read("v", {{13, 0, 0}, {1, 1, 1}}, bytes_of(out)).ok());
  EXPECT_EQ(source->opens(), opens);
}

TEST_F(MultiFileTest, APreparedReadInOneFileKeepsItOpenUntilItEnds) {
  // One file open at most: preparing a read in file 0 and then reading file 2 closes file
  // 0 for the source, but the prepared read still decodes from it.
  auto source = open_multi(spec_of(write_parts({4, 2, 6})), /*max_open=*/1);
  ASSERT_TRUE(testing::variable(source->dataset(), "v").decoded_on_workers);
  const Box box{{1, 0, 0}, {3, 3, 4}};  // inside file 0 (time 0-3)
  std::vector<int> out(box.num_elements(), -1);
  model::ByteBuffer stored;
  auto read = source->prepare_read("v", box, bytes_of(out), {}, stored, 1u << 20, 2);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_NE(*read, nullptr);
  std::vector<int> other(1);
  ASSERT_TRUE(source->read("v", {{7, 0, 0}, {1, 1, 1}}, bytes_of(other)).ok());
  EXPECT_EQ(source->files_open(), 1u);
  for (std::size_t t = 0; t < (*read)->tasks(); ++t) ASSERT_TRUE((*read)->run(t, 1).ok());
  std::size_t i = 0;
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t y = 0; y < 3; ++y)
      for (std::size_t x = 0; x < 4; ++x) ASSERT_EQ(out[i++], v_at(1 + k, y, x));
  // A box across two files, a strided concat dim beyond the file, or w (time second): not split.
  for (const auto& [name, b, stride] : std::vector<std::tuple<std::string, Box, model::Shape>>{
           {"v", Box{{3, 0, 0}, {2, 3, 4}}, {}}, {"v", Box{{0, 0, 0}, {2, 3, 4}}, {4, 1, 1}}, {"w", Box{{0, 0}, {3, 2}}, {}}}) {
    std::vector<int> buffer(b.num_elements());
    auto r = source->prepare_read(name, b, bytes_of(buffer), stride, stored, 1u << 20, 2);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, nullptr) << name << " " << model::to_string(b.start);
  }
}

TEST_F(MultiFileTest, TheFilesShareOneSetOfDecodeBuffers) {
  // The plan counts one set of decode buffers per rank (kDecodeChunkBuffers source chunks
  // per worker); each open file kept a set of its own, so a rank that read 4 files held up
  // to 4 (issue 26).
  auto source = open_multi(spec_of(write_parts({4, 4, 4, 4})));
  ASSERT_TRUE(testing::variable(source->dataset(), "v").decoded_on_workers);
  zpmpi::testing::ThreadRunner runner(2);
  for (std::size_t t0 = 0; t0 < 16; t0 += 4) {
    // Rows 1-2 of the file's 2 chunks (2 x 3 x 4): no chunk is a contiguous run of the
    // output, so each of the 2 workers decodes one into a buffer of its own.
    const Box box{{t0, 1, 0}, {4, 2, kX}};
    std::vector<int> out(box.num_elements(), -1);
    auto st = source->read("v", box, bytes_of(out), {}, &runner);
    ASSERT_TRUE(st.ok()) << st.error().message;
    std::size_t i = 0;
    for (std::size_t t = t0; t < t0 + 4; ++t)
      for (std::size_t y = 1; y < 3; ++y)
        for (std::size_t x = 0; x < kX; ++x) ASSERT_EQ(out[i++], v_at(t, y, x));
  }
  EXPECT_EQ(source->files_open(), 4u);
  const std::uint64_t chunk_bytes = 2 * 3 * kX * sizeof(int);
  EXPECT_GT(source->decode_buffer_bytes(), 0u);
  EXPECT_LE(source->decode_buffer_bytes(), kDecodeChunkBuffers * chunk_bytes * 2);
}

/// The netCDF id under which this process has `path` open, or -1 (netCDF-C numbers its
/// open files n << 16).
int open_ncid(const std::string& path) {
  for (int n = 1; n < 4096; ++n) {
    std::size_t length = 0;
    if (nc_inq_path(n << 16, &length, nullptr) != NC_NOERR) continue;
    std::string p(length, '\0');
    if (nc_inq_path(n << 16, &length, p.data()) == NC_NOERR && p == path) return n << 16;
  }
  return -1;
}

TEST_F(MultiFileTest, OpenFilesShareOneChunkCache) {
  // Each variable of each open file has a chunk cache outside memory_limit: the files open
  // at once share what one file would get (32 files kept 512 MiB per rank before).
  std::size_t size = 0, slots = 0;
  float preemption = 0;
  NC_OK(nc_get_chunk_cache(&size, &slots, &preemption));
  NC_OK(nc_set_chunk_cache(8 << 20, slots, preemption));
  const auto files = write_parts({2, 2, 2});
  auto source = open_multi(spec_of(files), /*max_open=*/4);
  std::vector<int> out(1);
  ASSERT_TRUE(source->read("v", {{3, 0, 0}, {1, 1, 1}}, bytes_of(out)).ok());
  const int ncid = open_ncid(files[1]);
  ASSERT_GE(ncid, 0);
  int varid = -1;
  NC_OK(nc_inq_varid(ncid, "v", &varid));
  std::size_t var_size = 0;
  NC_OK(nc_get_var_chunk_cache(ncid, varid, &var_size, nullptr, nullptr));
  EXPECT_LE(var_size, std::size_t{2} << 20);
  std::size_t now = 0;
  NC_OK(nc_get_chunk_cache(&now, nullptr, nullptr));
  EXPECT_EQ(now, std::size_t{8} << 20);  // the process default is left as it was
  NC_OK(nc_set_chunk_cache(size, slots, preemption));
}

TEST_F(MultiFileTest, OpenSourceOfAResolvedSpecOpensOnlyTheFirstFile) {
  const auto files = write_parts({2, 2, 2});
  auto resolved = resolve_source(spec_of(files));
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->concat_dim, "time");
  EXPECT_EQ(resolved->lengths, (std::vector<std::uint64_t>{2, 2, 2}));
  // The other ranks hold only the spec: with the files after the first gone, the
  // description still builds (nothing else is opened until a read needs it).
  std::filesystem::rename(files[2], files[2] + ".away");
  auto source = open_source(*resolved);
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_EQ(testing::variable((*source)->dataset(), "v").shape[0], 6u);
  std::vector<int> out(1);
  auto st = (*source)->read("v", {{5, 0, 0}, {1, 1, 1}}, bytes_of(out));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(files[2]), std::string::npos) << st.error().message;
}

TEST_F(MultiFileTest, AFileThatChangedLengthIsAnError) {
  const auto files = write_parts({2, 2});
  auto resolved = resolve_source(spec_of(files));
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  write_part("part1.nc", 1, 2, 3);
  auto source = open_source(*resolved);
  ASSERT_TRUE(source.ok()) << source.error().message;
  std::vector<int> out(1);
  auto st = (*source)->read("v", {{3, 0, 0}, {1, 1, 1}}, bytes_of(out));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("the file changed"), std::string::npos) << st.error().message;
}

TEST_F(MultiFileTest, ReadsAGroupOfEachFile) {
  // Two files whose data live in group g, with time a dim of the root (visible in g).
  std::vector<std::string> files;
  for (int i = 0; i < 2; ++i) {
    files.push_back(path("g" + std::to_string(i) + ".nc"));
    int ncid, grp, time, v;
    NC_OK(nc_create(files.back().c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
    NC_OK(nc_def_dim(ncid, "time", NC_UNLIMITED, &time));
    NC_OK(nc_def_grp(ncid, "g", &grp));
    NC_OK(nc_def_var(grp, "v", NC_INT, 1, &time, &v));
    NC_OK(nc_enddef(ncid));
    const std::vector<int> values = {10 * i, 10 * i + 1, 10 * i + 2};
    const std::size_t start = 0, count = values.size();
    NC_OK(nc_put_vara_int(grp, v, &start, &count, values.data()));
    NC_OK(nc_close(ncid));
  }
  SourceSpec spec = spec_of(files);
  spec.group = "g";
  auto source = open_multi(spec);
  EXPECT_EQ(source->dataset().group, "/g");
  std::vector<int> out(4);
  auto st = source->read("v", {{1}, {4}}, bytes_of(out));
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(out, (std::vector<int>{1, 2, 10, 11}));
}

}  // namespace
}  // namespace zpmpi::source
