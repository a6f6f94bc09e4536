#include "zpmpi/app/plan_report.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

#include "zpmpi/exec/executor.hpp"
#include "zpmpi/plan/chunk_warnings.hpp"
#include "zpmpi/model/bytes.hpp"
#include "zpmpi/model/text.hpp"

namespace zpmpi::app {
namespace json = boost::json;
namespace {

using model::Box;
using model::Shape;

json::array shape_json(const Shape& s) {
  json::array a;
  for (auto v : s) a.push_back(v);
  return a;
}

json::array names_json(const std::vector<std::string>& names) {
  json::array a;
  for (const auto& n : names) a.push_back(json::string(n));
  return a;
}

/// What one read of `box` (steps `stride`) costs, as the executor counts it
/// (count_decoded): whole source chunks when they are compressed, else the elements.
std::uint64_t decoded_bytes(const model::ArrayLayout& spec, const Box& box, const Shape& stride) {
  const std::uint64_t esize = model::dtype_size(spec.dtype);
  if (!spec.source.chunked || !spec.source.compressed) return box.num_elements() * esize;
  Box span = box;
  for (std::size_t d = 0; d < span.rank(); ++d)
    if (span.count[d] > 0) span.count[d] = (span.count[d] - 1) * stride[d] + 1;
  return exec::touched_elements(span, spec.source.shape, spec.source.chunks) * esize;
}

/// The reads of one batch, as the executor's read_hyperslab makes them: the box itself for
/// an identity map; else the map's pieces, or for tiles their union when it is no larger.
std::uint64_t batch_decoded_bytes(const model::ArrayLayout& spec, const Box& out) {
  if (spec.map.is_identity()) return decoded_bytes(spec, out, Shape(out.rank(), 1));
  const std::vector<model::ReadPiece> pieces = spec.map.pieces(out);
  if (spec.map.tile && pieces.size() > 1) {
    std::optional<Box> all = pieces.front().source;
    Shape end(all->rank());
    for (std::size_t d = 0; d < all->rank(); ++d) end[d] = all->start[d] + all->count[d];
    for (const model::ReadPiece& p : pieces) {
      for (std::size_t d = 0; all && d < all->rank(); ++d) {
        if (p.stride[d] != 1 && p.source.count[d] > 1) {
          all.reset();
          break;
        }
        all->start[d] = std::min(all->start[d], p.source.start[d]);
        end[d] = std::max(end[d], p.source.start[d] + p.source.count[d]);
      }
      if (!all) break;
    }
    if (all) {
      for (std::size_t d = 0; d < all->rank(); ++d) all->count[d] = end[d] - all->start[d];
      if (all->num_elements() <= out.num_elements()) return decoded_bytes(spec, *all, Shape(all->rank(), 1));
    }
  }
  std::uint64_t total = 0;
  for (const model::ReadPiece& p : pieces) total += decoded_bytes(spec, p.source, p.stride);
  return total;
}

struct RankFigures {
  std::uint64_t regions = 0, batches = 0, chunks = 0, bytes_needed = 0, bytes_decoded = 0, bytes_raw = 0, peak = 0;
  std::uint64_t shards = 0;        ///< shard files written
  std::uint64_t inner_chunks = 0;  ///< of `chunks`, those stored inside shards (no file of their own)
};

/// The shards of a sharded array: their shape, how many files, and the uncompressed bytes
/// of one (clipped to the shape); nulls when not sharded.
void add_shards_json(const model::ArrayLayout& a, json::object& o) {
  if (a.shards.empty()) {
    o["shards"] = o["shard_files"] = o["shard_bytes"] = nullptr;
    return;
  }
  std::uint64_t files = 1, bytes = model::dtype_size(a.dtype);
  for (std::size_t d = 0; d < a.shape.size(); ++d) {
    files *= (a.shape[d] + a.shards[d] - 1) / a.shards[d];
    bytes *= std::min(a.shards[d], a.shape[d]);
  }
  o["shards"] = shape_json(a.shards);
  o["shard_files"] = files;
  o["shard_bytes"] = bytes;
}

json::object array_json(const transform::OutputArray& a, const plan::ArrayPlan* p, const char* written_by) {
  json::object o;
  o["name"] = a.name;
  o["dtype"] = a.text ? json::value(model::text_typestr(*a.text)) : json::value(model::dtype_name(a.dtype));
  o["dims"] = names_json(a.dims);
  o["shape"] = shape_json(a.shape);
  o["chunks"] = shape_json(a.chunks);
  o["source_chunks"] = a.source.chunks.empty() ? json::value(nullptr) : json::value(shape_json(a.source.chunks));
  o["batch_chunks"] = p ? json::value(shape_json(p->batch_chunks)) : json::value(nullptr);
  o["batches_in_flight"] = p ? p->batches_in_flight : 1;
  std::uint64_t chunks = 1;
  for (std::size_t d = 0; d < a.shape.size(); ++d) chunks *= a.chunks[d] ? (a.shape[d] + a.chunks[d] - 1) / a.chunks[d] : 0;
  if (!p) chunks = model::num_elements(a.shape) > 0 || a.shape.empty() ? 1 : 0;
  o["chunks_total"] = chunks;
  add_shards_json(a, o);
  o["bytes"] = a.text ? json::value(nullptr) : json::value(model::num_elements(a.shape) * model::dtype_size(a.dtype));
  o["coordinate"] = a.is_coordinate;
  o["written_by"] = written_by;
  return o;
}

std::string line(const char* format, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

std::string shape_text(const json::value& v) {
  if (v.is_null()) return "contiguous";
  std::string s = "[";
  for (const auto& x : v.as_array()) s += (s.size() > 1 ? ", " : "") + std::to_string(x.to_number<std::uint64_t>());
  return s + "]";
}

std::string bytes_text(const json::value& v) { return model::format_bytes(v.to_number<std::uint64_t>()); }

/// The source as described: its uri, dims and variables.
json::object source_json(const model::Dataset& dataset) {
  json::object source, dims;
  source["uri"] = dataset.uri;
  for (const auto& d : dataset.dims) dims[d.name] = d.length;
  source["dims"] = std::move(dims);
  json::array vars;
  for (const auto& v : dataset.variables) {
    vars.push_back(json::object{
        {"name", v.name},
        {"dtype", v.text ? json::value(model::text_typestr(*v.text)) : json::value(model::dtype_name(v.dtype))},
        {"dims", names_json(v.dims)},
        {"shape", shape_json(v.shape)},
        {"chunks", v.chunked ? json::value(shape_json(v.source_chunks)) : json::value(nullptr)},
        {"compressed", v.compressed}});
  }
  source["variables"] = std::move(vars);
  return source;
}

json::array arrays_json(const JobArrays& job, const plan::RegionPlan& plan) {
  json::array arrays;
  for (std::size_t i = 0; i < job.arrays.size(); ++i) arrays.push_back(array_json(job.arrays[i], &plan.arrays[i], "planned"));
  for (const auto& a : job.text_arrays) arrays.push_back(array_json(a, nullptr, "rank 0"));
  for (const auto& c : job.coarse_arrays) arrays.push_back(array_json(c.array, nullptr, "rank 0"));
  return arrays;
}

/// Each rank's figures, walking every batch of the plan as the executor does; `stop` is
/// asked every plan::kStopCheckEvery batches.
Result<std::vector<RankFigures>> rank_figures(const JobArrays& job, const plan::RegionPlan& plan,
                                              const plan::StopCheck& stop) {
  std::vector<RankFigures> per(static_cast<std::size_t>(plan.options.num_ranks));
  std::uint64_t until_check = plan::kStopCheckEvery;
  Status stopped;
  for (const plan::Region& region : plan.regions) {
    RankFigures& f = per.at(static_cast<std::size_t>(region.rank));
    const plan::ArrayPlan& ap = plan.arrays[region.array];
    const model::ArrayLayout& spec = ap.layout;
    const std::uint64_t chunk_bytes = model::num_elements(spec.chunks) * model::dtype_size(spec.dtype);
    f.regions += 1;
    if (!spec.shards.empty())  // a unit holds whole shards, written by this rank alone
      for (model::Index u = region.unit_begin; u < region.unit_end; ++u)
        f.shards += plan::unit_shards(ap, u).num_elements();
    const bool all = plan::for_each_batch_while(plan, region, [&](const plan::Batch& b) {
      if (stop && --until_check == 0) {
        until_check = plan::kStopCheckEvery;
        if (stopped = stop(); !stopped.ok()) return false;
      }
      f.batches += 1;
      f.chunks += b.chunks.num_elements();
      if (!spec.shards.empty()) f.inner_chunks += b.chunks.num_elements();
      f.bytes_raw += b.chunks.num_elements() * chunk_bytes;
      // What the executor reads: the stored box (source dim order, no new dims).
      const Box stored = spec.map.stored_box(b.elements);
      f.bytes_needed += stored.num_elements() * model::dtype_size(spec.dtype);
      f.bytes_decoded += batch_decoded_bytes(spec, stored);
      f.peak = std::max(f.peak, ap.batch_footprint);
      return true;
    });
    if (!all) return stopped.error();
  }
  // Rank 0 writes the text and coarse index arrays whole, one chunk each.
  for (const auto& a : job.text_arrays) per.front().chunks += model::num_elements(a.shape) > 0 ? 1 : 0;
  per.front().chunks += job.coarse_arrays.size();
  return per;
}

/// The per-rank figures into `r` ("per_rank") and their totals with the plan's options.
void add_figures(const std::vector<RankFigures>& per, const plan::RegionPlan& plan, std::size_t num_arrays,
                 int zarr_format, json::object& r) {
  RankFigures total;
  json::array per_rank;
  for (std::size_t rank = 0; rank < per.size(); ++rank) {
    const RankFigures& f = per[rank];
    per_rank.push_back(json::object{{"rank", static_cast<int>(rank)}, {"regions", f.regions}, {"batches", f.batches},
                                    {"chunks", f.chunks}, {"bytes_needed", f.bytes_needed},
                                    {"bytes_decoded", f.bytes_decoded}, {"bytes_raw", f.bytes_raw},
                                    {"peak_memory", f.peak}, {"shards", f.shards}});
    total.chunks += f.chunks;
    total.shards += f.shards;
    total.inner_chunks += f.inner_chunks;
    total.bytes_needed += f.bytes_needed;
    total.bytes_decoded += f.bytes_decoded;
    total.bytes_raw += f.bytes_raw;
  }
  r["ranks"] = plan.options.num_ranks;
  r["num_jobs"] = plan.options.num_jobs;
  r["workers"] = plan.options.workers;
  r["regions"] = plan.regions.size();
  r["memory_limit"] = plan.options.memory_limit;
  r["peak_memory_per_rank"] = plan.max_batch_footprint;
  r["fits_memory_limit"] = plan.max_batch_footprint <= plan.options.memory_limit;
  r["chunks"] = total.chunks;
  r["bytes_needed"] = total.bytes_needed;
  r["bytes_decoded"] = total.bytes_decoded;
  r["read_amplification"] = total.bytes_needed ? static_cast<double>(total.bytes_decoded) / total.bytes_needed : 1.0;
  r["bytes_raw"] = total.bytes_raw;
  // v2: per array .zarray and .zattrs; the group's .zgroup, .zattrs and .zmetadata.
  // v3: per array zarr.json; the group's zarr.json (the consolidated metadata inside).
  const std::uint64_t metadata = zarr_format == 3 ? num_arrays + 1 : 2 * num_arrays + 3;
  const std::uint64_t chunk_files = total.chunks - total.inner_chunks;
  r["zarr_format"] = zarr_format;
  r["files"] = json::object{{"chunks", chunk_files}, {"shards", total.shards}, {"metadata", metadata},
                            {"total", chunk_files + total.shards + metadata}};
  r["per_rank"] = std::move(per_rank);
}

}  // namespace

Result<json::object> plan_report(const Config& config, const model::Dataset& dataset, const JobArrays& job,
                                 const plan::RegionPlan& plan, const std::vector<std::string>& warnings,
                                 const plan::StopCheck& stop) {
  json::object r;
  r["source"] = source_json(dataset);
  json::array arrays = arrays_json(job, plan);
  const std::size_t num_arrays = arrays.size();
  r["arrays"] = std::move(arrays);
  ZPMPI_ASSIGN_OR_RETURN(const std::vector<RankFigures> per, rank_figures(job, plan, stop));
  add_figures(per, plan, num_arrays, static_cast<int>(config.zarr_format), r);
  json::array recommendations;
  for (const auto& rec : job.recommendations) recommendations.push_back(json::string(rec.text));
  r["recommendations"] = std::move(recommendations);
  r["warnings"] = names_json(warnings);
  r["store"] = config.store;
  return r;
}

std::string plan_report_text(const json::object& r) {
  std::ostringstream out;
  const auto& source = r.at("source").as_object();
  out << "source " << source.at("uri").as_string().c_str() << ": " << source.at("variables").as_array().size()
      << " variables, dims";
  for (const auto& [name, length] : source.at("dims").as_object())
    out << " " << std::string(name) << "=" << length.to_number<std::uint64_t>();
  out << "\n";
  for (const auto& v : source.at("variables").as_array()) {
    const auto& o = v.as_object();
    out << line("  %-16s %-5s %-22s chunks %s%s\n", o.at("name").as_string().c_str(), o.at("dtype").as_string().c_str(),
                shape_text(o.at("shape")).c_str(), shape_text(o.at("chunks")).c_str(),
                o.at("compressed").as_bool() ? " compressed" : "");
  }
  out << "output " << r.at("store").as_string().c_str() << ": " << r.at("arrays").as_array().size() << " arrays\n";
  for (const auto& v : r.at("arrays").as_array()) {
    const auto& o = v.as_object();
    const auto in_flight = o.at("batches_in_flight").to_number<std::uint64_t>();
    const std::string flight = in_flight > 1 ? ", " + std::to_string(in_flight) + " in flight" : "";
    const bool sharded = !o.at("shards").is_null();
    const std::string shards =
        sharded ? " shards " + shape_text(o.at("shards")) + " of " + bytes_text(o.at("shard_bytes")) : "";
    out << line("  %-16s %-5s %-22s chunks %-18s%s %8llu files, batch %s%s%s\n", o.at("name").as_string().c_str(),
                o.at("dtype").as_string().c_str(), shape_text(o.at("shape")).c_str(),
                shape_text(o.at("chunks")).c_str(), shards.c_str(),
                static_cast<unsigned long long>(o.at(sharded ? "shard_files" : "chunks_total").to_number<std::uint64_t>()),
                o.at("batch_chunks").is_null() ? "- (written whole by rank 0)" : shape_text(o.at("batch_chunks")).c_str(),
                flight.c_str(), o.at("coordinate").as_bool() ? ", coordinate" : "");
  }
  out << line("plan: %llu regions over %llu jobs on %llu ranks, %llu workers per rank\n",
              static_cast<unsigned long long>(r.at("regions").to_number<std::uint64_t>()),
              static_cast<unsigned long long>(r.at("num_jobs").to_number<std::uint64_t>()),
              static_cast<unsigned long long>(r.at("ranks").to_number<std::uint64_t>()),
              static_cast<unsigned long long>(r.at("workers").to_number<std::uint64_t>()));
  out << "  read " << bytes_text(r.at("bytes_needed")) << " (decoded " << bytes_text(r.at("bytes_decoded"))
      << ", amplification " << line("%.2f", r.at("read_amplification").to_number<double>()) << "), write "
      << bytes_text(r.at("bytes_raw")) << " before compression\n";
  const auto& files = r.at("files").as_object();
  const auto shard_files = files.at("shards").to_number<std::uint64_t>();
  out << "  files: " << (shard_files ? std::to_string(shard_files) + " shards + " : "")
      << files.at("chunks").to_number<std::uint64_t>() << " chunks + " << files.at("metadata").to_number<std::uint64_t>()
      << " metadata = " << files.at("total").to_number<std::uint64_t>() << " (Zarr v"
      << r.at("zarr_format").to_number<int>() << ")\n";
  out << "  memory per rank: at most " << bytes_text(r.at("peak_memory_per_rank")) << " of buffers, memory_limit "
      << bytes_text(r.at("memory_limit")) << (r.at("fits_memory_limit").as_bool() ? "" : "  (ABOVE the limit)") << "\n";
  out << "  per rank:   rank regions batches   chunks       read    decoded      write    buffers\n";
  for (const auto& v : r.at("per_rank").as_array()) {
    const auto& o = v.as_object();
    auto n = [&](const char* k) { return static_cast<unsigned long long>(o.at(k).to_number<std::uint64_t>()); };
    out << line("  %14llu %7llu %7llu %8llu %10s %10s %10s %10s\n", n("rank"), n("regions"), n("batches"), n("chunks"),
                bytes_text(o.at("bytes_needed")).c_str(), bytes_text(o.at("bytes_decoded")).c_str(),
                bytes_text(o.at("bytes_raw")).c_str(), bytes_text(o.at("peak_memory")).c_str());
  }
  // The warnings and recommendations went to stderr as the plan was made; here a count.
  out << "  warnings: " << r.at("warnings").as_array().size() << ", recommendations: "
      << r.at("recommendations").as_array().size() << "\n";
  return out.str();
}

Result<std::string> plan_report_output(const Config& config, const model::Dataset& dataset, const JobArrays& job,
                                       const plan::RegionPlan& plan, bool as_json, const plan::StopCheck& stop) {
  ZPMPI_ASSIGN_OR_RETURN(const json::object report,
                         plan_report(config, dataset, job, plan, plan::small_chunk_warnings(plan), stop));
  return as_json ? json::serialize(report) + "\n" : plan_report_text(report);
}

}  // namespace zpmpi::app
