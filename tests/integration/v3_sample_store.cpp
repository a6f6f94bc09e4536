// Writes a small Zarr v3 store with zpmpi's v3 building blocks alone (v3 metadata, chunk
// keys, shard index, fill-only chunks, codecs, atomic store writes) for the zarrita oracle
// (v3_oracle_cases.py), which knows the same arrays:
//   plain    float32 [5, 7], chunks [2, 3], fill NaN, zstd: one file per chunk, edge chunks
//            padded with NaN; values 10 i + j + 0.5, (1, 1) NaN
//   sharded  int16 [6, 8], chunks [2, 2], shards [4, 4], fill -99, zstd inner chunks: values
//            100 i + j, rows 0-1 x cols 2-3 all -99 (a fill-only inner chunk, not stored);
//            inner chunk row 3 lies beyond the array (not stored); inner chunks are
//            appended in reverse slot order, so file order is not index order
//   scalar   float64 0-d, 3.25, no compressor: chunk key "c"
//   labels   string [3] ("a", "béta", ""), vlen-utf8 then zstd
// usage: v3_sample_store STORE  (STORE must not exist)
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include <boost/json.hpp>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/codec/vlen_utf8.hpp"
#include "zpmpi/zarr/fill_chunk.hpp"
#include "zpmpi/zarr/shard_index.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/v3_metadata.hpp"

namespace {

using namespace zpmpi;
namespace fs = std::filesystem;
using model::Shape;

model::ArrayLayout layout(std::string name, model::DType t, Shape shape, Shape chunks, std::optional<model::Scalar> fill,
                          std::vector<std::string> dims) {
  model::ArrayLayout a;
  a.name = std::move(name), a.dtype = t, a.shape = std::move(shape), a.chunks = std::move(chunks);
  a.fill_value = std::move(fill), a.dims = std::move(dims);
  return a;
}

/// The whole array's values, C order, from value(i, j).
template <class T, class F>
std::vector<std::byte> values_2d(const Shape& shape, F value) {
  std::vector<T> v(shape[0] * shape[1]);
  for (std::size_t i = 0; i < shape[0]; ++i)
    for (std::size_t j = 0; j < shape[1]; ++j) v[i * shape[1] + j] = value(i, j);
  const auto b = std::as_bytes(std::span(v));
  return {b.begin(), b.end()};
}

/// Chunk `index` of a 2-d array: full chunk shape, the part beyond the array padded with fill.
std::vector<std::byte> chunk_of(const model::ArrayLayout& a, const std::vector<std::byte>& all, const Shape& index) {
  const std::size_t size = model::dtype_size(a.dtype);
  std::vector<std::byte> chunk(model::num_elements(a.chunks) * size);
  std::byte fill[8] = {};
  if (a.fill_value) model::store_scalar(a.dtype, *a.fill_value, fill);
  for (std::size_t at = 0; at < chunk.size(); at += size) std::memcpy(&chunk[at], fill, size);
  Shape start(2), count(2);
  for (int d = 0; d < 2; ++d) {
    start[d] = index[d] * a.chunks[d];
    count[d] = std::min(a.chunks[d], a.shape[d] - start[d]);
  }
  model::copy_box(all.data(), a.shape, start, chunk.data(), a.chunks, Shape{0, 0}, count, size);
  return chunk;
}

std::vector<std::byte> encode(const codec::CodecSpec& spec, std::span<const std::byte> raw) {
  const auto c = codec::make_codec(spec);
  std::vector<std::byte> out(c->max_encoded_size(raw.size()));
  out.resize(c->encode(raw, out).value());
  return out;
}

Status write_file(const fs::path& store, const fs::path& relative, std::span<const std::byte> bytes) {
  fs::create_directories(store / relative.parent_path());
  std::string tmp = ".";
  tmp += relative.filename().string();
  tmp += ".tmp";
  return zarr::write_store_file(store, relative, bytes, tmp);
}

Status write_plain(const fs::path& store, const model::ArrayLayout& a, const std::vector<std::byte>& all,
                   const codec::CodecSpec& spec) {
  for (std::uint64_t i = 0; i * a.chunks[0] < a.shape[0]; ++i)
    for (std::uint64_t j = 0; j * a.chunks[1] < a.shape[1]; ++j) {
      const auto bytes = encode(spec, chunk_of(a, all, {i, j}));
      ZPMPI_RETURN_IF_ERROR(write_file(store, fs::path(a.name) / zarr::v3_chunk_key({i, j}), bytes));
    }
  return {};
}

/// One shard: its inner chunks in reverse slot order, fill-only and outside ones left out.
Status write_shard(const fs::path& store, const model::ArrayLayout& a, const Shape& shards,
                   const std::vector<std::byte>& all, const codec::CodecSpec& spec, const Shape& shard) {
  const Shape per = zarr::chunks_per_shard(shards, a.chunks);
  zarr::ShardIndexBuilder index(model::num_elements(per));
  std::vector<std::byte> file;
  for (std::uint64_t k = model::num_elements(per); k-- > 0;) {
    const Shape inner{shard[0] * per[0] + k / per[1], shard[1] * per[1] + k % per[1]};
    if (inner[0] * a.chunks[0] >= a.shape[0] || inner[1] * a.chunks[1] >= a.shape[1]) continue;
    const auto raw = chunk_of(a, all, inner);
    if (zarr::is_fill_chunk(raw, a.dtype, a.fill_value)) continue;
    const auto bytes = encode(spec, raw);
    ZPMPI_ASSIGN_OR_RETURN(const std::uint64_t offset, index.append(zarr::shard_slot(inner, per), bytes.size()));
    if (offset != file.size()) return runtime_error("shard offsets out of step");
    file.insert(file.end(), bytes.begin(), bytes.end());
  }
  const auto tail = index.index();
  file.insert(file.end(), tail.begin(), tail.end());
  return write_file(store, fs::path(a.name) / zarr::v3_chunk_key(shard), file);
}

Status write_sharded(const fs::path& store, const model::ArrayLayout& a, const Shape& shards,
                     const std::vector<std::byte>& all, const codec::CodecSpec& spec) {
  for (std::uint64_t i = 0; i * shards[0] < a.shape[0]; ++i)
    for (std::uint64_t j = 0; j * shards[1] < a.shape[1]; ++j)
      ZPMPI_RETURN_IF_ERROR(write_shard(store, a, shards, all, spec, {i, j}));
  return {};
}

Status write_sample(const fs::path& store) {
  const codec::CodecSpec zstd{codec::CodecId::kZstd, 3, 1}, none{codec::CodecId::kNone, 1, 1};
  const auto plain = layout("plain", model::DType::f4, {5, 7}, {2, 3}, model::Scalar{std::nan("")}, {"y", "x"});
  const auto plain_values = values_2d<float>(plain.shape, [](auto i, auto j) {
    return i == 1 && j == 1 ? std::nanf("") : static_cast<float>(10 * i + j) + 0.5f;
  });
  ZPMPI_RETURN_IF_ERROR(write_plain(store, plain, plain_values, zstd));

  const auto sharded = layout("sharded", model::DType::i2, {6, 8}, {2, 2}, model::Scalar{std::int64_t{-99}},
                              {"row", "col"});
  const Shape shards{4, 4};
  const auto sharded_values = values_2d<std::int16_t>(sharded.shape, [](auto i, auto j) {
    return static_cast<std::int16_t>(i < 2 && j >= 2 && j < 4 ? -99 : 100 * i + j);
  });
  ZPMPI_RETURN_IF_ERROR(write_sharded(store, sharded, shards, sharded_values, zstd));

  const auto scalar = layout("scalar", model::DType::f8, {}, {}, std::nullopt, {});
  const double value = 3.25;
  ZPMPI_RETURN_IF_ERROR(write_file(store, fs::path("scalar") / zarr::v3_chunk_key({}),
                                   encode(none, std::as_bytes(std::span(&value, 1)))));

  auto labels = layout("labels", model::DType::f4, {3}, {3}, std::nullopt, {"station"});
  labels.text = model::TextType{model::TextType::Kind::utf8, 0, std::nullopt};
  const std::vector<std::string> label_values{"a", "b\xC3\xA9ta", ""};
  ZPMPI_ASSIGN_OR_RETURN(const auto label_bytes, codec::vlen_utf8_encode(label_values));
  ZPMPI_RETURN_IF_ERROR(write_file(store, fs::path("labels") / zarr::v3_chunk_key({0}), encode(zstd, label_bytes)));

  ZPMPI_ASSIGN_OR_RETURN(const auto compressor, codec::v3_compressor_codecs(zstd, 1));  // zstd: no typesize
  const std::vector<model::Attribute> plain_attrs = {{"units", {std::string("K"), std::nullopt}},
                                                     {"_FillValue", {std::vector<double>{std::nan("")}, model::DType::f4}}};
  const std::vector<model::Attribute> no_attrs;
  const std::vector<zarr::V3ArrayMeta> arrays = {{{plain, plain_attrs}, {compressor, {}}},
                                                 {{sharded, no_attrs}, {compressor, shards}},
                                                 {{scalar, no_attrs}, {{}, {}}},
                                                 {{labels, no_attrs}, {compressor, {}}}};
  const boost::json::object group_attrs{{"title", "v3 sample"}, {"missing", std::nan("")}};
  return zarr::write_v3_metadata(store, group_attrs, arrays);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: v3_sample_store STORE\n");
    return 2;
  }
  const auto status = write_sample(argv[1]);
  if (!status.ok()) {
    std::fprintf(stderr, "v3_sample_store: %s\n", status.error().message.c_str());
    return 1;
  }
  return 0;
}
