// Append mode: see append.hpp.
#include "zpmpi/app/append.hpp"

#include "zpmpi/app/provenance.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <boost/json.hpp>

#include "zpmpi/exec/stored_chunk.hpp"
#include "zpmpi/model/number_text.hpp"
#include "zpmpi/stats/moments.hpp"
#include "zpmpi/model/same_value.hpp"
#include "zpmpi/model/time_recoding.hpp"
#include "zpmpi/zarr/metadata.hpp"
#include "zpmpi/zarr/names.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_entry.hpp"
#include "zpmpi/zarr/store_path.hpp"

namespace zpmpi::app {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

Error append_error(const std::string& what) { return usage_error("append: " + what); }

/// One array of a completion document: its metadata (v3: without "attributes") and attributes.
struct StoredArray {
  json::object meta, attrs;
};

const json::object* object_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

/// The arrays of a completion document, by name (v2 "NAME/.zarray" and "NAME/.zattrs"; v3
/// the consolidated nodes of type array).
std::map<std::string, StoredArray> stored_arrays(const json::object& doc, zarr::ZarrFormat format) {
  std::map<std::string, StoredArray> arrays;
  if (format == zarr::ZarrFormat::kV2) {
    const json::object* meta = object_at(doc, "metadata");
    if (!meta) return arrays;
    for (const auto& [key, v] : *meta) {
      const std::string k(key);
      if (!v.is_object()) continue;
      if (k.size() > 7 && k.ends_with("/.zarray")) arrays[k.substr(0, k.size() - 8)].meta = v.get_object();
      if (k.size() > 7 && k.ends_with("/.zattrs")) arrays[k.substr(0, k.size() - 8)].attrs = v.get_object();
    }
    std::erase_if(arrays, [](const auto& a) { return a.second.meta.empty(); });
    return arrays;
  }
  const json::object* consolidated = object_at(doc, "consolidated_metadata");
  const json::object* nodes = consolidated ? object_at(*consolidated, "metadata") : nullptr;
  if (!nodes) return arrays;
  for (const auto& [key, v] : *nodes) {
    if (!v.is_object() || !v.get_object().contains("node_type") || v.get_object().at("node_type") != "array") continue;
    StoredArray a{v.get_object(), {}};
    if (const json::object* attrs = object_at(a.meta, "attributes")) a.attrs = *attrs;
    a.meta.erase("attributes");
    arrays[std::string(key)] = std::move(a);
  }
  return arrays;
}

std::vector<std::string> dims_of(const StoredArray& a, zarr::ZarrFormat format) {
  const json::value* names = format == zarr::ZarrFormat::kV2 ? a.attrs.if_contains("_ARRAY_DIMENSIONS")
                                                             : a.meta.if_contains("dimension_names");
  std::vector<std::string> dims;
  if (names && names->is_array())
    for (const auto& n : names->get_array()) dims.push_back(n.is_string() ? std::string(n.get_string()) : "");
  return dims;
}

model::Shape shape_of(const json::value* v) {
  model::Shape shape;
  if (v && v->is_array())
    for (const auto& n : v->get_array()) shape.push_back(n.is_int64() && n.get_int64() >= 0 ? n.get_int64() : 0);
  return shape;
}

/// The file shape of a stored array: its chunks, or v3 its regular grid's (shards when sharded).
model::Shape chunks_of(const StoredArray& a, zarr::ZarrFormat format) {
  if (format == zarr::ZarrFormat::kV2) return shape_of(a.meta.if_contains("chunks"));
  const json::object* grid = object_at(a.meta, "chunk_grid");
  const json::object* conf = grid ? object_at(*grid, "configuration") : nullptr;
  return shape_of(conf ? conf->if_contains("chunk_shape") : nullptr);
}

/// A v3 sharded array's inner chunk shape (its sharding codec's); empty when not sharded.
model::Shape inner_chunks_of(const StoredArray& a, zarr::ZarrFormat format) {
  const json::value* codecs = format == zarr::ZarrFormat::kV3 ? a.meta.if_contains("codecs") : nullptr;
  if (!codecs || !codecs->is_array() || codecs->get_array().empty() || !codecs->get_array()[0].is_object()) return {};
  const json::object& first = codecs->get_array()[0].get_object();
  if (!first.contains("name") || first.at("name") != "sharding_indexed") return {};
  const json::object* conf = object_at(first, "configuration");
  return shape_of(conf ? conf->if_contains("chunk_shape") : nullptr);
}

/// `a`'s chunks and shards set to the stored array's.
void take_stored_chunks(model::ArrayLayout& a, const StoredArray& stored, zarr::ZarrFormat format) {
  const model::Shape inner = inner_chunks_of(stored, format);
  a.shards = inner.empty() ? model::Shape{} : chunks_of(stored, format);
  a.chunks = inner.empty() ? chunks_of(stored, format) : inner;
}

std::string text_of(const json::object& attrs, std::string_view key) {
  const json::value* v = attrs.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool same_json(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return model::same_value(a.to_number<double>(), b.to_number<double>());
  return a == b;
}

/// "PATH is A in this job, B in the store" for the first difference of two documents.
std::optional<std::string> first_difference(const json::value& job, const json::value& store, const std::string& path) {
  auto show = [](const json::value* v) { return v ? json::serialize(*v) : std::string("absent"); };
  if (job.is_object() && store.is_object()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : job.get_object()) keys.emplace_back(k);
    for (const auto& [k, v] : store.get_object()) keys.emplace_back(k);
    std::sort(keys.begin(), keys.end());
    for (const std::string& k : keys) {
      const json::value* a = job.get_object().if_contains(k);
      const json::value* b = store.get_object().if_contains(k);
      const std::string at = path.empty() ? k : path + "." + k;
      if (!a || !b) return at + " is " + show(a) + " in this job, " + show(b) + " in the store";
      if (auto d = first_difference(*a, *b, at)) {  // a codec is named whole, not by one of its fields
        const bool codec = path.empty() && (k == "compressor" || k == "filters" || k == "codecs");
        return codec ? at + " is " + show(a) + " in this job, " + show(b) + " in the store" : *d;
      }
    }
    return std::nullopt;
  }
  if (job.is_array() && store.is_array() && job.get_array().size() == store.get_array().size()) {
    for (std::size_t i = 0; i < job.get_array().size(); ++i)
      if (!same_json(job.get_array()[i], store.get_array()[i]))
        return path + " is " + json::serialize(job) + " in this job, " + json::serialize(store) + " in the store";
    return std::nullopt;
  }
  if (same_json(job, store)) return std::nullopt;
  return path + " is " + show(&job) + " in this job, " + show(&store) + " in the store";
}

std::optional<std::size_t> axis_of(const std::vector<std::string>& dims, const std::string& dim) {
  const auto it = std::find(dims.begin(), dims.end(), dim);
  if (it == dims.end()) return std::nullopt;
  return static_cast<std::size_t>(it - dims.begin());
}

/// The job's arrays as if they held the store's extent (what the store's metadata must equal).
JobArrays as_stored(const JobArrays& job, const AppendTarget& t, const StoredArray& coordinate) {
  JobArrays old = job;
  for (auto& a : old.arrays) {
    const auto axis = axis_of(a.dims, t.dim);
    if (!axis) continue;
    a.shape[*axis] = t.old_extent;
    if (a.name == t.dim) take_stored_chunks(a, coordinate, t.format);
  }
  return old;
}

/// Same variables, and each with the same metadata and attributes (but the ignored ones).
Status check_metadata(const Config& config, const AppendTarget& t, const JobArrays& job) {
  const auto have = stored_arrays(t.document, t.format);
  ZPMPI_ASSIGN_OR_RETURN(const json::object expected,
                         output_document(t.format, as_stored(job, t, have.at(t.dim)), config.compressor));
  auto want = stored_arrays(expected, t.format);
  for (const auto& [name, a] : have)
    if (!want.count(name)) return append_error("the store has " + name + ", which this job does not write");
  for (auto& [name, a] : want) {
    const auto it = have.find(name);
    if (it == have.end()) return append_error("this job writes " + name + ", which the store " + t.store.string() + " lacks");
    StoredArray stored = it->second;
    for (StoredArray* s : {&a, &stored}) {
      s->attrs.erase("statistics");  // the store's no longer cover the data: dropped (check_append warns)
      if (name == t.dim) s->attrs.erase("units");  // re-expressed in the store's (merge_coordinate)
    }
    if (auto d = first_difference(a.meta, stored.meta, ""))
      return append_error(name + " differs from the store's: " + *d +
                          (d->find("chunk") != std::string::npos ? " (set the job's \"chunks\" to the store's)" : ""));
    if (auto d = first_difference(a.attrs, stored.attrs, "attribute"))
      return append_error(name + " differs from the store's: " + *d);
  }
  return {};
}

/// The stored values of a 1-D array of the store (all its chunks), in `a`'s dtype.
Result<std::vector<std::byte>> stored_values(const Config& config, const AppendTarget& t, model::ArrayLayout a,
                                             const StoredArray& stored) {
  a.shape = shape_of(stored.meta.if_contains("shape"));
  take_stored_chunks(a, stored, t.format);
  a.placement.reset();
  if (a.shape.size() != 1 || a.chunks.size() != 1 || a.chunks[0] == 0 || (!a.shards.empty() && a.shards[0] < a.chunks[0]))
    return append_error(a.name + " in the store is not a 1-D array");
  const exec::StoredChunks from{t.store, t.format, config.compressor};
  const auto coder = codec::make_codec(config.compressor);
  const std::size_t esize = model::dtype_size(a.dtype);
  std::vector<std::byte> values, encoded, raw;
  for (model::Index c = 0; c * a.chunks[0] < a.shape[0]; ++c) {
    ZPMPI_RETURN_IF_ERROR(exec::load_stored_chunk(from, *coder, a, {c}, false, "append: " + a.name + " in the store",
                                                  encoded, raw));
    const std::size_t n = std::min(a.chunks[0], a.shape[0] - c * a.chunks[0]);
    values.insert(values.end(), raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(n * esize));
  }
  return values;
}

/// The job's values of a 1-D output array read from the source through its map (no value stage).
Result<std::vector<std::byte>> job_values(source::Source& source, const transform::OutputArray& a) {
  const model::Variable* v = source.dataset().find_variable(a.source.name);
  if (!v || v->shape.size() != 1) return append_error(a.name + " is not a 1-D variable of the source");
  const std::size_t esize = model::dtype_size(v->dtype);
  std::vector<std::byte> all(v->shape[0] * esize), out(a.shape[0] * esize);
  ZPMPI_RETURN_IF_ERROR(source.read(v->name, model::Box{{0}, {v->shape[0]}}, all));
  for (model::Index i = 0; i < a.shape[0]; ++i) {
    const auto from = static_cast<std::size_t>(a.map.dims[0].source_index(i));
    std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(from * esize), esize,
                out.begin() + static_cast<std::ptrdiff_t>(i * esize));
  }
  return out;
}

std::vector<double> as_doubles(model::DType dtype, std::span<const std::byte> raw) {
  const std::size_t esize = model::dtype_size(dtype);
  std::vector<double> out;
  for (std::size_t i = 0; i + esize <= raw.size(); i += esize)
    out.push_back(std::visit([](auto x) { return static_cast<double>(x); }, model::load_scalar(dtype, &raw[i])));
  return out;
}

bool plain_coordinate(const transform::OutputArray& a) {
  return a.is_coordinate && a.dims.size() == 1 && a.dims[0] == a.name && !a.values && a.given_values.empty() &&
         !a.map.tile && a.map.dims.size() == 1;
}

/// The other dims' coordinates: the same values as the store's (the same grid).
Status check_other_coordinates(const Config& config, const AppendTarget& t, const JobArrays& job,
                               source::Source& source) {
  const auto have = stored_arrays(t.document, t.format);
  for (const auto& a : job.arrays) {
    if (a.name == t.dim || !plain_coordinate(a)) continue;
    ZPMPI_ASSIGN_OR_RETURN(const auto old_raw, stored_values(config, t, a, have.at(a.name)));
    ZPMPI_ASSIGN_OR_RETURN(const auto new_raw, job_values(source, a));
    const auto old_v = as_doubles(a.dtype, old_raw), new_v = as_doubles(a.dtype, new_raw);
    for (std::size_t i = 0; i < std::min(old_v.size(), new_v.size()); ++i)
      if (!model::same_value(old_v[i], new_v[i]))
        return append_error(a.name + " differs from the store's: element " + std::to_string(i) + " is " +
                            model::number_text(new_v[i]) + " in this job, " + model::number_text(old_v[i]) +
                            " in the store (the other dims' coordinates must be the store's)");
  }
  return {};
}

/// The job's append coordinate in the store's units (their reference dates may differ, as
/// each monthly file xarray writes has its own).
Status to_store_units(const transform::OutputArray& a, const model::Variable& v, const std::string& units,
                      const std::string& calendar, std::vector<std::byte>& raw) {
  const std::string own = text_attr(a, "units");
  if (own == units) return {};
  if (own.find(" since ") == std::string::npos || units.find(" since ") == std::string::npos)
    return append_error(a.name + " has units \"" + own + "\" in this job, \"" + units + "\" in the store");
  ZPMPI_ASSIGN_OR_RETURN(const model::TimeRecoding recode, model::TimeRecoding::between(own, units, calendar));
  const Status done = recode.apply(v, raw);
  if (!done.ok()) return append_error(a.name + ": " + done.error().message);
  return {};
}

/// The job's steps after the store's: strictly increasing, after its last, no gap where
/// its step is regular. `already` is set (and no error) when --resume finds the store
/// holding exactly these steps.
Status check_steps(const Config& config, const std::string& dim, const std::string& units,
                   const std::vector<double>& old_v, const std::vector<double>& new_v, bool& already) {
  const std::string u = units.empty() ? "" : " (" + units + ")";
  auto num = [](double x) { return model::number_text(x); };
  for (std::size_t i = 1; i < new_v.size(); ++i)
    if (!(new_v[i] > new_v[i - 1]))
      return append_error(dim + " is not strictly increasing in this job: " + num(new_v[i]) + " after " +
                          num(new_v[i - 1]) + u);
  if (old_v.empty() || new_v.empty()) return {};
  const double last = old_v.back();
  if (new_v.front() <= last) {
    const auto held = static_cast<std::size_t>(
        std::count_if(new_v.begin(), new_v.end(), [&](double x) { return std::binary_search(old_v.begin(), old_v.end(), x); }));
    const std::size_t before = static_cast<std::size_t>(std::upper_bound(new_v.begin(), new_v.end(), last) - new_v.begin());
    if (held == new_v.size() && config.resume) return already = true, Status{};
    if (held == before)
      return append_error("the store already holds " + dim + " " + num(new_v.front()) + " .. " + num(new_v[before - 1]) +
                          u + ", " + (held == new_v.size() ? "all " : "the first ") + std::to_string(held) + " of the " +
                          std::to_string(new_v.size()) + " steps of this job");
    return append_error(dim + " starts at " + num(new_v.front()) + u + ", before the store's last step " + num(last));
  }
  if (config.allow_gaps || old_v.size() < 2) return {};
  const double step = old_v[1] - old_v[0];
  for (std::size_t i = 2; i < old_v.size(); ++i)
    if (old_v[i] - old_v[i - 1] != step) return {};  // irregular: no step to keep
  for (std::size_t i = 0; i < new_v.size(); ++i) {
    const double prev = i ? new_v[i - 1] : last;
    if (new_v[i] - prev != step)
      return append_error("a gap along " + dim + ": the store's step is " + num(step) + u + ", but " + num(new_v[i]) +
                          " follows " + num(prev) + "; set \"allow_gaps\": true to append anyway");
  }
  return {};
}

/// The append coordinate as the store will hold it: the store's values, then the job's.
Status merge_coordinate(const Config& config, const JobArrays& job, source::Source& source, AppendState& st) {
  const AppendTarget& t = st.target;
  const auto it = std::find_if(job.arrays.begin(), job.arrays.end(), [&](const auto& a) { return a.name == t.dim; });
  if (it == job.arrays.end() || !plain_coordinate(*it))
    return append_error("this job writes no coordinate " + t.dim + " along the append dim (set \"append_dim\")");
  const auto have = stored_arrays(t.document, t.format);
  const StoredArray& stored = have.at(t.dim);
  const std::string units = text_of(stored.attrs, "units"), calendar = text_of(stored.attrs, "calendar");
  ZPMPI_ASSIGN_OR_RETURN(std::vector<std::byte> old_raw, stored_values(config, t, *it, stored));
  ZPMPI_ASSIGN_OR_RETURN(std::vector<std::byte> new_raw, job_values(source, *it));
  ZPMPI_RETURN_IF_ERROR(to_store_units(*it, *source.dataset().find_variable(it->source.name), units, calendar, new_raw));
  ZPMPI_RETURN_IF_ERROR(check_steps(config, t.dim, units, as_doubles(it->dtype, old_raw), as_doubles(it->dtype, new_raw),
                                    st.already_done));
  st.new_extent = it->shape[0];
  st.coordinate = *it;
  for (model::Attribute& attr : st.coordinate.attributes)  // the values are in the store's units now
    if (attr.name == "units" && attr.value.is_text()) attr.value.data = units;
  st.coordinate.shape = st.coordinate.chunks = {t.old_extent + st.new_extent};
  if (!st.coordinate.shards.empty()) st.coordinate.shards = st.coordinate.chunks;
  // Its files are all written again, as one chunk (the old chunks' or shards' keys: not linked).
  const model::Shape old_files = chunks_of(stored, t.format);
  const model::Index old_chunk = old_files.empty() ? 1 : std::max<model::Index>(1, old_files[0]);
  for (model::Index f = 0; f == 0 || f * old_chunk < t.old_extent; ++f)
    st.request.rewritten.insert(fs::path(t.dim) / zarr::chunk_file_key(t.format, {f}));
  st.coordinate_values = std::move(old_raw);
  st.coordinate_values.insert(st.coordinate_values.end(), new_raw.begin(), new_raw.end());
  return {};
}

/// "statistics": each array's are merged with the store's (merged_statistics), which must
/// be there, by the same dims and window; never by the append dim (their lists would grow).
Status check_statistics(const AppendTarget& t, const JobArrays& job) {
  const auto have = stored_arrays(t.document, t.format);
  for (const auto& spec : job.statistics) {
    const std::string again = "; append without \"statistics\", then run `zpmpi statistics --store " +
                              t.store.string() + "`";
    if (std::find(spec.by_names.begin(), spec.by_names.end(), t.dim) != spec.by_names.end())
      return append_error("statistics of " + spec.array + " by " + t.dim + ", the append dim, cannot be merged" + again);
    const auto it = have.find(spec.array);
    const json::object* stored = it == have.end() ? nullptr : object_at(it->second.attrs, "statistics");
    if (!stored) return append_error("the store has no statistics of " + spec.array + " to merge this job's with" + again);
    const json::value* by = stored->if_contains("by");
    json::array want;
    for (const std::string& n : spec.by_names) want.emplace_back(n);
    const json::value* window = stored->if_contains("window");
    if ((by ? *by : json::value(json::array())) != json::value(want) ||
        (window ? *window : json::value(json::object())) != json::value(spec.window_labels))
      return append_error("the store's statistics of " + spec.array + " are by " + (by ? json::serialize(*by) : "[]") +
                          " over " + (window ? json::serialize(*window) : "all steps") + ", this job's by " +
                          json::serialize(want) + " over " +
                          (spec.window_labels.empty() ? std::string("all steps") : json::serialize(spec.window_labels)) +
                          ": they cannot be merged" + again);
  }
  return {};
}

/// What append does not do (yet): each refused in one line before anything is written.
Status check_supported(const JobArrays& job, const std::string& dim) {
  for (const auto& a : job.text_arrays)
    if (axis_of(a.dims, dim)) return append_error("the text variable " + a.name + " along " + dim + " cannot be appended to");
  for (const auto& a : job.arrays)
    if (a.map.tile && axis_of(a.dims, dim)) return append_error("a tiled array (" + a.name + ") cannot be appended to");
  if (!job.coarse_arrays.empty()) return append_error("a tiled job cannot append");
  return {};
}

model::ArrayLayout part_of(const model::ArrayLayout& a, std::size_t axis, model::Index start, model::Index length,
                           model::Index chunk, model::Index chunk_offset, model::Index kept) {
  model::ArrayLayout p = a;
  const std::size_t s = p.source_dim_of(axis);
  p.map.dims[s] = p.map.dims[s].after({model::Segment{0, length, static_cast<std::int64_t>(start), 1}});
  p.shape[axis] = length;
  p.chunks[axis] = chunk;
  p.placement = model::StorePlacement{axis, start, chunk_offset, kept};
  return p;
}

void add_rewritten(const model::ArrayLayout& p, zarr::ZarrFormat format, std::set<fs::path>& rewritten) {
  const model::Shape grid = p.chunk_grid();
  const model::Box all{model::Shape(grid.size(), 0), grid};
  for (std::uint64_t n = 0; n < model::num_elements(grid); ++n)
    rewritten.insert(fs::path(p.name) / zarr::chunk_file_key(format, p.store_chunk_index(model::nth_index(all, n))));
}

}  // namespace

std::string append_dim(const Config& config, const model::Dataset& dataset) {
  if (config.append_dim) return *config.append_dim;
  for (const auto& d : dataset.dims)
    if (d.unlimited) return d.name;
  return "time";
}

Result<AppendTarget> read_append_target(const Config& config, const std::string& dim) {
  std::error_code ec;
  ZPMPI_ASSIGN_OR_RETURN(const zarr::StorePath path, zarr::resolve_store_path(config.store, fs::current_path(ec)));
  const auto st = fs::symlink_status(path.path, ec);
  if (!fs::exists(st)) return append_error("no store at " + config.store + " to append to");
  if (fs::is_symlink(st)) return append_error(zarr::link_in_store_message(path.path, "write"));
  const auto format = zarr::complete_store_format(path.path);
  if (!format)
    return append_error(config.store + " is not a complete Zarr store (no consolidated metadata): "
                        "finish it with --resume or write it again first");
  if (*format != config.zarr_format)
    return append_error(config.store + " is a Zarr v" + std::to_string(static_cast<int>(*format)) +
                        " store; set \"zarr_format\": " + std::to_string(static_cast<int>(*format)));
  AppendTarget t{path.path, *format, {}, {}, dim, 0};
  const fs::path key = *format == zarr::ZarrFormat::kV3 ? fs::path(zarr::kV3MetadataKey) : fs::path(".zmetadata");
  const zarr::StoreFileRead doc = zarr::read_store_file(t.store, key);
  if (doc.kind != zarr::EntryKind::kFile) return append_error("cannot read " + (t.store / key).string());
  auto parsed = zarr::parse_store_json(doc.bytes);
  if (!parsed.ok() || !parsed->is_object()) return append_error("cannot parse " + (t.store / key).string());
  t.document_text = doc.bytes;
  t.document = std::move(parsed->get_object());
  const auto arrays = stored_arrays(t.document, t.format);
  const auto coordinate = arrays.find(dim);
  if (coordinate == arrays.end() || dims_of(coordinate->second, t.format) != std::vector<std::string>{dim})
    return append_error("the store " + config.store + " has no coordinate " + dim + " to append along (\"append_dim\")");
  const model::Shape shape = shape_of(coordinate->second.meta.if_contains("shape"));
  t.old_extent = shape.empty() ? 0 : shape[0];
  return t;
}

Result<AppendState> check_append(const Config& config, AppendTarget target, const JobArrays& job,
                                 source::Source& source) {
  AppendState st;
  st.target = std::move(target);
  ZPMPI_RETURN_IF_ERROR(check_supported(job, st.target.dim));
  ZPMPI_RETURN_IF_ERROR(check_statistics(st.target, job));
  ZPMPI_RETURN_IF_ERROR(check_metadata(config, st.target, job));
  ZPMPI_RETURN_IF_ERROR(check_other_coordinates(config, st.target, job, source));
  ZPMPI_RETURN_IF_ERROR(merge_coordinate(config, job, source, st));
  st.request.document = st.target.document_text;
  return st;
}

Result<std::vector<model::ArrayLayout>> append_parts(const JobArrays& job, AppendState& append) {
  const AppendTarget& t = append.target;
  std::vector<model::ArrayLayout> parts;
  const model::Index old_n = t.old_extent, new_n = append.new_extent;
  for (const auto& a : job.arrays) {
    const auto axis = axis_of(a.dims, t.dim);
    if (!axis || a.name == t.dim) continue;
    // The store's unit along the dim (a chunk, or a shard) that its old extent ends in.
    const model::Index c = a.chunks[*axis], unit = a.shards.empty() ? c : a.shards[*axis], kept = old_n % unit;
    const model::Index head = kept ? std::min(unit - kept, new_n) : 0;
    if (head > 0) {
      model::ArrayLayout boundary = part_of(a, *axis, 0, head, unit - kept, old_n / unit, kept);
      if (!a.shards.empty()) {  // whole shards as its chunks, the store's inner chunks kept aside
        boundary.placement->store_chunks = a.chunks;
        boundary.chunks = a.shards;
        boundary.chunks[*axis] = unit - kept;
        boundary.shards.clear();
      }
      parts.push_back(std::move(boundary));
      add_rewritten(parts.back(), t.format, append.request.rewritten);
    }
    if (new_n > head) parts.push_back(part_of(a, *axis, head, new_n - head, c, (old_n + head) / c, 0));
  }
  return parts;
}

JobArrays grown_arrays(const JobArrays& job, const AppendState& append) {
  JobArrays grown = job;
  for (auto& a : grown.arrays) {
    const auto axis = axis_of(a.dims, append.target.dim);
    if (!axis) continue;
    a.shape[*axis] += append.target.old_extent;
    if (a.name == append.target.dim) a = append.coordinate;
  }
  return grown;
}

namespace {

/// A figure of a statistics attribute: a number, or strict JSON's "NaN" / "Infinity".
double figure_of(const json::value& v) {
  if (v.is_number()) return v.to_number<double>();
  if (v.is_string() && v.get_string() == "Infinity") return HUGE_VAL;
  if (v.is_string() && v.get_string() == "-Infinity") return -HUGE_VAL;
  return std::nan("");
}

/// The leaves of a figure nested along the `by` dims, in C order.
void leaves(const json::value& v, std::vector<double>& out) {
  if (!v.is_array()) return out.push_back(figure_of(v));
  for (const auto& x : v.get_array()) leaves(x, out);
}

/// `shape` (a nested figure) with its leaves replaced by `values`, in C order.
json::value with_leaves(const json::value& shape, const std::vector<double>& values, std::size_t& at,
                        bool integral) {
  if (!shape.is_array()) {
    const double x = values[at++];
    if (integral) return static_cast<std::uint64_t>(x);
    return x;
  }
  json::array a;
  for (const auto& s : shape.get_array()) a.push_back(with_leaves(s, values, at, integral));
  return a;
}

/// Chan's merge of two groups' statistics (count includes infinities, as numpy's mean does).
stats::Statistics merged(const stats::Statistics& a, const stats::Statistics& b) {
  if (a.count == 0) return stats::Statistics{b.count, a.nan_count + b.nan_count, b.mean, b.stdev, b.minimum, b.maximum, b.sum_squares};
  if (b.count == 0) return stats::Statistics{a.count, a.nan_count + b.nan_count, a.mean, a.stdev, a.minimum, a.maximum, a.sum_squares};
  stats::Statistics m;
  m.count = a.count + b.count;
  m.nan_count = a.nan_count + b.nan_count;
  m.minimum = stats::lower(a.minimum, b.minimum);
  m.maximum = stats::higher(a.maximum, b.maximum);
  const double n = static_cast<double>(m.count), na = static_cast<double>(a.count), nb = static_cast<double>(b.count);
  if (!std::isfinite(a.mean) || !std::isfinite(b.mean)) {  // an infinity: numpy's mean is +-inf or NaN
    m.mean = a.mean + b.mean;
    m.stdev = m.sum_squares = std::nan("");
    return m;
  }
  const double delta = b.mean - a.mean;
  m.mean = a.mean + delta * (nb / n);
  m.sum_squares = a.sum_squares + b.sum_squares + delta * delta * (na * nb / n);
  m.stdev = std::sqrt(m.sum_squares / n);
  return m;
}

}  // namespace

Result<json::object> merged_statistics(const AppendState& append, const std::string& array, const json::object& fresh) {
  const auto have = stored_arrays(append.target.document, append.target.format);
  const auto it = have.find(array);
  const json::object* stored = it == have.end() ? nullptr : object_at(it->second.attrs, "statistics");
  if (!stored) return runtime_error("append: the store's statistics of " + array + " are gone");
  static constexpr const char* kFigures[] = {"count", "nan_count", "mean", "stdev", "minimum", "maximum", "sum_squares"};
  std::vector<double> a[7], b[7];
  for (int f = 0; f < 7; ++f) {
    if (!fresh.contains(kFigures[f]) || !stored->contains(kFigures[f]))
      return runtime_error("append: the statistics of " + array + " lack \"" + kFigures[f] + "\"");
    leaves(stored->at(kFigures[f]), a[f]);
    leaves(fresh.at(kFigures[f]), b[f]);
    if (a[f].size() != b[f].size() || a[f].size() != a[0].size())
      return append_error("the store's statistics of " + array + " have " + std::to_string(a[f].size()) +
                          " groups, this job's " + std::to_string(b[f].size()) + ": they cannot be merged");
  }
  std::vector<double> out[7];
  for (std::size_t g = 0; g < a[0].size(); ++g) {
    auto group = [&](std::vector<double>* v) {
      return stats::Statistics{static_cast<std::uint64_t>(v[0][g]), static_cast<std::uint64_t>(v[1][g]), v[2][g],
                               v[3][g], v[4][g], v[5][g], v[6][g]};
    };
    const stats::Statistics m = merged(group(a), group(b));
    const double values[7] = {static_cast<double>(m.count), static_cast<double>(m.nan_count), m.mean, m.stdev,
                              m.minimum, m.maximum, m.sum_squares};
    for (int f = 0; f < 7; ++f) out[f].push_back(values[f]);
  }
  json::object result = fresh;
  for (int f = 0; f < 7; ++f) {
    std::size_t at = 0;
    result[kFigures[f]] = with_leaves(fresh.at(kFigures[f]), out[f], at, f < 2);
  }
  return result;
}

bool same_statistics(const json::object& merged, const json::object& exact) {
  if (merged.size() != exact.size()) return false;
  for (const auto& [key, value] : exact) {
    const json::value* other = merged.if_contains(key);
    if (!other) return false;
    if (key != "mean" && key != "stdev" && key != "sum_squares") {
      if (first_difference(*other, value, std::string(key))) return false;
      continue;
    }
    std::vector<double> a, b;
    leaves(*other, a);
    leaves(value, b);
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!model::same_value(a[i], b[i]) && !(std::fabs(a[i] - b[i]) <= 1e-12 * std::fabs(b[i]))) return false;
  }
  return true;
}

void append_provenance(const AppendState& append, json::object& block) {
  const AppendTarget& t = append.target;
  const json::object* root = t.format == zarr::ZarrFormat::kV2
                                 ? [&]() -> const json::object* {
                                     const json::object* meta = object_at(t.document, "metadata");
                                     return meta ? object_at(*meta, ".zattrs") : nullptr;
                                   }()
                                 : object_at(t.document, "attributes");
  const json::object* before = root ? object_at(*root, kProvenanceKey) : nullptr;
  json::array sources, appends;
  if (before) {
    if (const json::value* s = before->if_contains("sources"); s && s->is_array()) sources = s->get_array();
    if (const json::value* a = before->if_contains("appends"); a && a->is_array()) appends = a->get_array();
    json::object run;
    for (const char* key : {"job_sha256", "uuid", "created"})
      if (const json::value* v = before->if_contains(key)) run[key] = *v;
    appends.push_back(std::move(run));
  }
  if (const json::value* s = block.if_contains("sources"); s && s->is_array())
    for (const auto& source : s->get_array()) sources.push_back(source);
  block["sources"] = std::move(sources);
  block["appends"] = std::move(appends);
  const std::vector<double> values = as_doubles(append.coordinate.dtype, append.coordinate_values);
  if (values.empty()) return;
  json::object c{{"dim", t.dim}, {"start", values.front()}, {"end", values.back()}};
  for (const char* key : {"units", "calendar"})
    if (const std::string v = text_attr(append.coordinate, key); !v.empty()) c[key] = v;
  block["coordinate"] = std::move(c);
}

std::string append_report(const AppendState& append, const plan::RegionPlan& plan) {
  const AppendTarget& t = append.target;
  std::string out = "append to " + t.store.string() + ": " + std::to_string(append.new_extent) + " steps along " +
                    t.dim + " after its " + std::to_string(t.old_extent) + " (" + t.dim + " becomes one chunk of " +
                    std::to_string(t.old_extent + append.new_extent) + ")\n";
  std::uint64_t rewritten = 0, written = 0;
  for (const auto& a : plan.arrays) {
    const model::StorePlacement& p = *a.layout.placement;
    const std::uint64_t files = model::num_elements(a.layout.chunk_grid());
    (p.kept ? rewritten : written) += files;
    out += "  " + a.layout.name + ": " + t.dim + " " + std::to_string(p.origin) + ".." +
           std::to_string(p.origin + a.layout.shape[p.axis] - 1) + " of this job " +
           (p.kept ? "merged into the store's partly filled chunk " + std::to_string(p.chunk_offset) + " (after its " +
                         std::to_string(p.kept) + " steps): " + std::to_string(files) + " chunk files rewritten\n"
                   : "as new chunks from " + std::to_string(p.chunk_offset) + ": " + std::to_string(files) +
                         " chunk files\n");
  }
  out += "files: " + std::to_string(written) + " new, " + std::to_string(rewritten) + " rewritten, the rest of the "
         "store kept (hard links in the run's copy)\n";
  return out;
}

}  // namespace zpmpi::app
