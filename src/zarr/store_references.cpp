// A complete store as a reference set (store_references.hpp).
#include "zpmpi/zarr/store_references.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>

#include "zpmpi/zarr/chunk_files.hpp"
#include "zpmpi/zarr/metadata.hpp"
#include "zpmpi/zarr/names.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_entry.hpp"

#include "v3_json.hpp"

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

/// The JSON object at `relative` (a metadata document), reached without a link.
Result<json::object> read_document(const fs::path& store, const fs::path& relative) {
  const StoreFileRead file = read_store_file(store, relative);
  const std::string where = (store / relative).string();
  if (file.kind == EntryKind::kLink) return usage_error(link_in_store_message(file.failure.path, "read"));
  if (file.kind != EntryKind::kFile) return runtime_error("cannot read " + where);
  auto v = parse_store_json(file.bytes);
  if (!v.ok()) return v.error().with_context(where);
  if (!v->is_object()) return usage_error(where + ": not a JSON object");
  return std::move(v->get_object());
}

enum class Entry { kFile, kLink, kOther };

struct DirEntry {
  std::string name;
  Entry kind = Entry::kOther;
  std::uint64_t size = 0;  ///< of a regular file
};

/// The entries of directory `relative` below `store` (none when it is missing): reached
/// and read without following a link; a regular file with its size (fstatat, no link
/// followed).
Result<std::vector<DirEntry>> list_directory(const fs::path& store, const fs::path& relative) {
  UniqueFd dir;
  if (const auto failure = open_store_dir(store, relative, dir)) {
    if (failure->kind == EntryKind::kMissing) return std::vector<DirEntry>{};
    if (failure->kind == EntryKind::kLink) return usage_error(link_in_store_message(failure->path, "read"));
    return runtime_error("cannot read the directory " + failure->path.string());
  }
  const int fd = ::dup(dir.fd);
  DIR* d = fd < 0 ? nullptr : ::fdopendir(fd);
  if (!d) return runtime_error("cannot list " + (store / relative).string());
  std::vector<DirEntry> out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || name.starts_with(".")) continue;  // metadata, temporaries
    struct stat st{};
    if (::fstatat(dir.fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
    const Entry kind = S_ISREG(st.st_mode) ? Entry::kFile : S_ISLNK(st.st_mode) ? Entry::kLink : Entry::kOther;
    out.push_back({name, kind, static_cast<std::uint64_t>(st.st_size)});
  }
  ::closedir(d);
  return out;
}

model::Shape grid_of(const std::vector<std::uint64_t>& shape, const std::vector<std::uint64_t>& chunks) {
  model::Shape grid;
  for (std::size_t d = 0; d < shape.size(); ++d) grid.push_back(chunks[d] ? (shape[d] + chunks[d] - 1) / chunks[d] : 0);
  return grid;
}

/// One array's chunk references, added to `refs` under "NAME/i.j.k".
struct ArrayRefs {
  const fs::path& store;
  std::string name;      ///< the array
  std::string url;       ///< "{{aN}}": its directory
  model::Shape grid;     ///< chunks per dim
  json::object& refs;
  std::uint64_t& count;

  void add(const model::Shape& chunk, json::array ref) {
    refs[name + "/" + chunk_file_key(ZarrFormat::kV2, chunk)] = std::move(ref);
    ++count;
  }
  /// The regular files of `dir` whose name `index_of` knows, each a reference to its bytes
  /// (a range: read like a shard's inner chunk, merged and pooled by the range reader; the
  /// whole file past the 4 GiB a range reference holds).
  template <class IndexOf>
  Status add_files(const fs::path& dir, const std::string& prefix, IndexOf index_of) {
    ZPMPI_ASSIGN_OR_RETURN(const auto entries, list_directory(store, dir));
    for (const DirEntry& e : entries) {
      const std::optional<model::Shape> chunk = index_of(e.name);
      if (!chunk) continue;
      if (e.kind == Entry::kLink) return usage_error(link_in_store_message(store / dir / e.name, "read"));
      if (e.kind != Entry::kFile) return usage_error((store / dir / e.name).string() + " is not a chunk file");
      if (e.size >= (std::uint64_t{1} << 32)) add(*chunk, json::array{url + prefix + e.name});
      else add(*chunk, json::array{url + prefix + e.name, 0, e.size});
    }
    return {};
  }
};

Status add_v2_chunks(ArrayRefs& a) {
  const model::Box all{model::Shape(a.grid.size(), 0), a.grid};
  return a.add_files(a.name, "", [&](const std::string& file) -> std::optional<model::Shape> {
    const auto n = chunk_file_index(ZarrFormat::kV2, file, a.grid);
    if (!n) return std::nullopt;
    return a.grid.empty() ? model::Shape{} : model::nth_index(all, *n);
  });
}

/// Unsharded v3: the files of each directory "NAME/c/i/j" of the c tree.
Status add_v3_chunks(ArrayRefs& a) {
  if (a.grid.empty())
    return a.add_files(a.name, "", [](const std::string& f) { return f == "c" ? std::optional(model::Shape{}) : std::nullopt; });
  const model::Shape outer(a.grid.begin(), a.grid.end() - 1);
  const model::Box dirs{model::Shape(outer.size(), 0), outer};
  const std::uint64_t n_dirs = model::num_elements(outer);
  for (std::uint64_t n = 0; n < n_dirs; ++n) {
    const model::Shape at = outer.empty() ? model::Shape{} : model::nth_index(dirs, n);
    std::string prefix = "c/";
    for (const auto i : at) prefix += std::to_string(i) + "/";
    const fs::path dir = fs::path(a.name) / prefix;
    ZPMPI_RETURN_IF_ERROR(a.add_files(dir.parent_path(), prefix, [&](const std::string& f) -> std::optional<model::Shape> {
      const auto last = key_coordinate(f, a.grid.back());
      if (!last) return std::nullopt;
      model::Shape chunk = at;
      chunk.push_back(*last);
      return chunk;
    }));
  }
  return {};
}

/// Sharded v3: each stored inner chunk is a byte range of its shard (the index checked).
Status add_shard_chunks(ArrayRefs& a, const model::Shape& per_shard) {
  const ArrayFiles files = array_files(ZarrFormat::kV3, a.grid, per_shard);
  const model::Box shards{model::Shape(files.grid.size(), 0), files.grid};
  for (std::uint64_t s = 0; s < files.file_count(); ++s) {
    const model::Shape shard = files.grid.empty() ? model::Shape{} : model::nth_index(shards, s);
    const std::string key = files.key(shard);
    ZPMPI_ASSIGN_OR_RETURN(const auto index, read_shard_index(a.store, fs::path(a.name) / key, files.shard_slots()));
    if (!index) continue;  // a shard of fill alone
    model::Box inner{model::Shape(shard.size()), model::Shape(shard.size())};
    for (std::size_t d = 0; d < shard.size(); ++d) {
      inner.start[d] = shard[d] * per_shard[d];
      inner.count[d] = std::min(per_shard[d], a.grid[d] - inner.start[d]);
    }
    for (std::uint64_t k = 0; k < model::num_elements(inner.count); ++k) {
      const model::Shape chunk = shard.empty() ? model::Shape{} : model::nth_index(inner, k);
      const ShardEntry& e = (*index)[shard_slot(chunk, per_shard)];
      if (!e.absent()) a.add(chunk, json::array{a.url + key, e.offset, e.nbytes});
    }
  }
  return {};
}

/// "<f4", "|u1", ">i8": a number (not text, bool, complex or a date).
bool is_numeric_v2_dtype(std::string_view t) {
  return t.size() == 3 && (t[0] == '<' || t[0] == '>' || t[0] == '|') && (t[1] == 'i' || t[1] == 'u' || t[1] == 'f') &&
         (t[2] == '1' || t[2] == '2' || t[2] == '4' || t[2] == '8');
}

/// Top-level array names of the consolidated documents, in their order.
std::vector<std::string> top_level(const json::object& metadata, std::string_view suffix) {
  std::vector<std::string> names;
  for (const auto& [key, doc] : metadata) {
    const std::string k(key);
    if (!k.ends_with(suffix)) continue;
    const std::string name = k.substr(0, k.size() - suffix.size());
    if (!name.empty() && name.find('/') == std::string::npos) names.push_back(name);
  }
  return names;
}

const json::object* object_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

struct Builder {
  const fs::path& store;
  StoreReferences out;
  json::object refs, templates;

  Status check(const std::string& name) {
    if (const Status ok = check_name(name, out.format); !ok.ok())
      return usage_error(store.string() + ": array '" + name + "' " + ok.error().message);
    return {};
  }
  ArrayRefs array(const std::string& name, const model::Shape& grid) {
    const std::string t = "a" + std::to_string(out.arrays.size());
    templates[t] = store.filename().string() + "/" + name + "/";
    out.arrays.push_back(name);
    return ArrayRefs{store, name, "{{" + t + "}}", grid, refs, out.chunks};
  }
  Status add_v2(const std::string& name, const json::object& metadata);
  Status add_v3(const std::string& name, const json::object& doc);
};

Status Builder::add_v2(const std::string& name, const json::object& metadata) {
  ZPMPI_RETURN_IF_ERROR(check(name));
  const json::object* zarray = object_at(metadata, name + "/.zarray");
  const json::value* dtype = zarray->if_contains("dtype");
  const std::string type = dtype && dtype->is_string() ? std::string(dtype->get_string()) : "?";
  if (!is_numeric_v2_dtype(type)) {
    out.skipped.push_back(name + " (dtype " + type + ")");
    return {};
  }
  const json::value* sep = zarray->if_contains("dimension_separator");
  if (sep && !(sep->is_string() && sep->get_string() == "."))
    return usage_error((store / name / ".zarray").string() + ": dimension_separator '/' cannot be read here");
  std::vector<std::uint64_t> shape, chunks;
  try {
    shape = json::value_to<std::vector<std::uint64_t>>(zarray->at("shape"));
    chunks = json::value_to<std::vector<std::uint64_t>>(zarray->at("chunks"));
  } catch (const std::exception&) {
    return usage_error((store / name / ".zarray").string() + ": shape and chunks must be lists of integers");
  }
  if (shape.size() != chunks.size()) return usage_error((store / name / ".zarray").string() + ": shape and chunks differ in rank");
  json::object zattrs;
  if (const json::object* a = object_at(metadata, name + "/.zattrs")) zattrs = *a;
  zattrs.erase("statistics");
  refs[name + "/.zarray"] = json::serialize(strict_json(*zarray));
  refs[name + "/.zattrs"] = json::serialize(strict_json(zattrs));
  ArrayRefs a = array(name, grid_of(shape, chunks));
  return add_v2_chunks(a);
}

Status Builder::add_v3(const std::string& name, const json::object& doc) {
  ZPMPI_RETURN_IF_ERROR(check(name));
  auto v2 = v3_array_as_v2(doc);
  if (!v2.ok()) return v2.error().with_context((store / name / "zarr.json").string());
  if (!v2->numeric) {
    out.skipped.push_back(name + " (data_type " + v2->data_type + ")");
    return {};
  }
  refs[name + "/.zarray"] = json::serialize(v2->zarray);
  refs[name + "/.zattrs"] = json::serialize(strict_json(v2->zattrs));
  ArrayRefs a = array(name, grid_of(v2->shape, v2->chunks));
  if (v2->shards.empty()) return add_v3_chunks(a);
  return add_shard_chunks(a, chunks_per_shard(v2->shards, v2->chunks));
}

}  // namespace

Result<StoreReferences> store_references(const fs::path& store) {
  const std::optional<ZarrFormat> format = complete_store_format(store);
  if (!format)
    return usage_error(store.string() + ": not a complete Zarr store (no .zmetadata, nor a root zarr.json with "
                       "consolidated metadata)");
  Builder b{store, {}, {}, {}};
  b.out.format = *format;
  json::object root_attrs;
  if (*format == ZarrFormat::kV2) {
    ZPMPI_ASSIGN_OR_RETURN(const json::object zmetadata, read_document(store, ".zmetadata"));
    const json::object* metadata = object_at(zmetadata, "metadata");
    if (!metadata) return usage_error((store / ".zmetadata").string() + ": no \"metadata\" object");
    if (const json::object* a = object_at(*metadata, ".zattrs")) root_attrs = *a;
    for (const std::string& name : top_level(*metadata, "/.zarray"))
      if (object_at(*metadata, name + "/.zarray")) ZPMPI_RETURN_IF_ERROR(b.add_v2(name, *metadata));
  } else {
    ZPMPI_ASSIGN_OR_RETURN(const json::object root, read_document(store, "zarr.json"));
    if (const json::object* a = object_at(root, "attributes")) root_attrs = *a;
    const json::object* consolidated = object_at(root, "consolidated_metadata");
    const json::object* metadata = consolidated ? object_at(*consolidated, "metadata") : nullptr;
    if (!metadata) return usage_error((store / "zarr.json").string() + ": no consolidated_metadata.metadata object");
    for (const auto& [key, doc] : *metadata) {
      const std::string name(key);
      const json::object* o = doc.is_object() ? &doc.get_object() : nullptr;
      const json::value* type = o ? o->if_contains("node_type") : nullptr;
      if (name.find('/') != std::string::npos || !type || !type->is_string() || type->get_string() != "array") continue;
      ZPMPI_RETURN_IF_ERROR(b.add_v3(name, *o));
    }
  }
  root_attrs.erase("zpmpi");
  b.refs[".zgroup"] = R"({"zarr_format":2})";
  b.refs[".zattrs"] = json::serialize(strict_json(root_attrs));
  b.out.document = {{"version", 1}, {"templates", std::move(b.templates)}, {"refs", std::move(b.refs)}};
  return std::move(b.out);
}

}  // namespace zpmpi::zarr
