// The prepare phase (app/job_phases.hpp): rank 0 alone, from the job file to the message
// every rank receives at the plan's collective point.
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "job_state.hpp"
#include "zpmpi/app/cpu_affinity.hpp"
#include "zpmpi/app/job_statistics.hpp"
#include "zpmpi/app/log.hpp"
#include "zpmpi/app/plan_bounds.hpp"
#include "zpmpi/app/plan_report.hpp"
#include "zpmpi/app/resume_record.hpp"
#include "zpmpi/exec/stop_signals.hpp"
#include "zpmpi/model/bytes.hpp"
#include "zpmpi/plan/chunk_warnings.hpp"
#include "zpmpi/zarr/chunk_files.hpp"
#include "zpmpi/zarr/side_file.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_entry.hpp"
#include "zpmpi/zarr/store_resume.hpp"

namespace zpmpi::app {

zarr::ArrayFiles array_files(const model::ArrayLayout& a, zarr::ZarrFormat format) {
  return zarr::array_files(format, a.store_chunk_grid(),
                           a.shards.empty() ? model::Shape{} : zarr::chunks_per_shard(a.shards, a.chunks));
}

/// Per array, its bit count (8 bytes) and the bits (LSB first). Empty: nothing is present.
std::string encode_present(const std::vector<std::vector<bool>>& arrays) {
  std::string wire;
  for (const auto& bits : arrays) {
    const std::uint64_t n = bits.size();
    wire.append(reinterpret_cast<const char*>(&n), sizeof n);
    std::string bytes((n + 7) / 8, '\0');
    for (std::uint64_t i = 0; i < n; ++i)
      if (bits[i]) bytes[i / 8] = static_cast<char>(bytes[i / 8] | (1 << (i % 8)));
    wire += bytes;
  }
  return wire;
}

std::vector<std::vector<bool>> decode_present(const std::string& wire) {
  std::vector<std::vector<bool>> arrays;
  for (std::size_t at = 0; at + sizeof(std::uint64_t) <= wire.size();) {
    std::uint64_t n = 0;
    std::memcpy(&n, wire.data() + at, sizeof n);
    at += sizeof n;
    std::vector<bool> bits(n);
    for (std::uint64_t i = 0; i < n && at + i / 8 < wire.size(); ++i) bits[i] = (wire[at + i / 8] >> (i % 8)) & 1;
    at += (n + 7) / 8;
    arrays.push_back(std::move(bits));
  }
  return arrays;
}

namespace {

/// The chunks a listing of `files` found, by chunk: a shard file holds every chunk of its
/// block (a shard that exists is complete, chunk_files.hpp).
/// An appended part's chunks are found at their place in the store's grid (placement).
std::vector<bool> present_chunks(const model::ArrayLayout& a, const zarr::ArrayFiles& files,
                                 const std::vector<bool>& present_files) {
  if (!files.sharded() && !a.placement) return present_files;
  const model::Shape grid = a.chunk_grid();
  std::vector<bool> chunks(model::num_elements(grid), false);
  const model::Box all{model::Shape(grid.size(), 0), grid};
  for (std::uint64_t n = 0; n < chunks.size(); ++n) {
    const model::Shape at = a.store_chunk_index(model::nth_index(all, n));
    const model::Shape file = files.sharded() ? zarr::shard_of_chunk(at, files.per_shard) : at;
    chunks[n] = present_files[model::linear_index(file, files.grid)];
  }
  return chunks;
}

/// --resume, rank 0: one listing of each array's chunk (or shard) files in the adopted
/// copy (stale temporary files are removed on the way, shards whose index does not check
/// too); logs what was found.
Result<std::string> list_present(const plan::RegionPlan& plan, const std::filesystem::path& copy,
                                 zarr::ZarrFormat format) {
  std::vector<std::vector<bool>> arrays;
  std::uint64_t found = 0, total = 0, temps = 0;
  for (const auto& a : plan.arrays) {
    const zarr::ArrayFiles files = array_files(a.layout, format);
    ZPMPI_ASSIGN_OR_RETURN(zarr::ChunkListing listing, zarr::list_chunk_files(copy, a.layout.name, files));
    for (const std::string& r : listing.rejected) log::warn("resume: " + r + "; it is written again");
    found += listing.count;
    total += listing.present.size();
    temps += listing.removed_temps;
    arrays.push_back(present_chunks(a.layout, files, listing.present));
  }
  const std::string what = format == zarr::ZarrFormat::kV3 ? " chunk or shard files" : " chunks";
  log::info("resuming " + copy.string() + ": " + std::to_string(found) + " of " + std::to_string(total) + what +
            " are complete and kept" +
            (temps ? ", " + std::to_string(temps) + " stale temporary files removed" : std::string()));
  return encode_present(arrays);
}

/// What the store must never hold: the source's local files and the job file.
std::vector<zarr::ProtectedPath> protected_paths(const source::SourceSpec& source, const std::string& job_file) {
  std::vector<zarr::ProtectedPath> paths;
  for (const std::string& uri : source.uris)
    if (uri.find("://") == std::string::npos) paths.push_back({"the source", uri});
  paths.push_back({"the job file", job_file});
  return paths;
}

bool is_coordinate(const JobArrays& job, const std::string& name) {
  for (const auto& a : job.arrays)
    if (a.name == name) return a.is_coordinate;
  return false;
}

/// An appended part: where it goes in the store.
std::string placement_text(const model::ArrayLayout& a) {
  if (!a.placement) return {};
  const model::StorePlacement& p = *a.placement;
  const std::string dim = a.dims[p.axis];
  const std::string rows = dim + " " + std::to_string(p.origin) + ".." + std::to_string(p.origin + a.shape[p.axis] - 1);
  if (p.kept)
    return ", appends " + rows + " into the store's chunk " + std::to_string(p.chunk_offset) + " along " + dim +
           " behind its " + std::to_string(p.kept) + " steps (rewritten)";
  return ", appends " + rows + " as the store's chunks from " + std::to_string(p.chunk_offset) + " along " + dim;
}

void describe_plan(const plan::RegionPlan& p, const JobArrays& job) {
  for (std::size_t i = 0; i < p.arrays.size(); ++i) {
    const auto& a = p.arrays[i].layout;
    log::info("array " + a.name + ": " + std::string(model::dtype_name(a.dtype)) + " " +
              model::to_string(a.shape) + ", chunks " + model::to_string(a.chunks) +
              " (source chunks " + model::to_string(a.source.chunks) + "), batch of " +
              model::to_string(p.arrays[i].batch_chunks) + " chunks" +
              (is_coordinate(job, a.name) ? ", coordinate" : "") + placement_text(a));
  }
  log::info("plan: " + std::to_string(p.regions.size()) + " regions over " +
            std::to_string(p.options.num_jobs) + " jobs on " + std::to_string(p.options.num_ranks) +
            " ranks, " + model::format_bytes(p.total_bytes) + " to write, at most " +
            model::format_bytes(p.max_batch_footprint) + " of buffers per rank (memory_limit " +
            model::format_bytes(p.options.memory_limit) + ")");
}

/// zpmpi statistics: its job, and the store as its source (store_statistics.hpp).
Status open_store_as_source(const CliOptions& cli, Rank0State& state) {
  ZPMPI_ASSIGN_OR_RETURN(state.config, statistics_job(cli));
  log::init(0, state.config.log_level);
  ZPMPI_ASSIGN_OR_RETURN(StoreAsSource store, StoreAsSource::open(state.config.store));
  const zarr::StoreReferences& refs = store.references();
  for (const std::string& s : refs.skipped) log::info("statistics: leaving out " + s);
  log::info("statistics: reading " + store.store().string() + " (Zarr v" +
            std::to_string(static_cast<int>(refs.format)) + ", " + std::to_string(refs.arrays.size()) + " arrays, " +
            std::to_string(refs.chunks) + " stored chunks)");
  state.config.source = source::SourceSpec{{store.references_file().string()}, source::Engine::kKerchunk};
  state.statistics_store.emplace(std::move(store));
  return {};
}

/// The job file read, the --stats path judged, the source opened and described.
Status open_source(const CliOptions& cli, Rank0State& state) {
  if (cli.statistics) {
    ZPMPI_RETURN_IF_ERROR(open_store_as_source(cli, state));
  } else {
    ZPMPI_ASSIGN_OR_RETURN(state.config, load_config(cli.config_path));
    ZPMPI_RETURN_IF_ERROR(apply_cli(cli, state.config));
  }
  const Config& config = state.config;
  log::init(0, cli.plan_json ? 0 : config.log_level);  // plan --json: stdout holds the JSON alone

  // S3 credentials come from the environment too (source/s3_options.hpp), as the program
  // read it (Environment::s3): rank 0 resolves them and sends the options to the others.
  const auto env = [&s3 = state.s3_environment](const char* name) -> const char* {
    const auto it = s3.find(name);
    return it == s3.end() ? nullptr : it->second.c_str();
  };
  ZPMPI_ASSIGN_OR_RETURN(state.source_spec, source::resolve_source(config.source, env));
  if (!config.stats.empty()) {  // before anything runs: writing it replaces what is there
    state.stats_file = Rank0State::StatsFile::kRefused;
    ZPMPI_RETURN_IF_ERROR(zarr::check_side_file(cli.flag_given("stats") ? "--stats" : config.path + ": stats", config.stats,
                                                config.store, protected_paths(state.source_spec, config.path)));
  }
  state.stats_file = Rank0State::StatsFile::kAccepted;
  ZPMPI_ASSIGN_OR_RETURN(state.source, source::open_source(state.source_spec));
  ZPMPI_ASSIGN_OR_RETURN(state.inputs, source::identify_inputs(state.source->input_files()));
  const model::Dataset& dataset = state.source->dataset();
  for (const auto& s : dataset.skipped) log::warn("skipping " + s);
  for (const auto& s : dataset.decoders) log::info("source: " + s);
  for (const auto& w : dataset.warnings) log::warn("source: " + w);
  for (const auto& w : state.source_spec.warnings) log::warn(w);
  log::info("source " + dataset.uri + ": " + std::to_string(dataset.variables.size()) +
            " variables, " + std::to_string(dataset.dims.size()) + " dims");
  return {};
}

/// Planning and its report grow with the grid: a stop signal ends them (see make_plan).
Status stop_planning() {
  if (const int sig = exec::stop_signal())
    return Error{"interrupted by " + exec::signal_name(sig) + " while planning", ExitCode::kInterrupted};
  return {};
}

/// The job's "statistics": the windows resolved as sel resolves labels, then the specs.
Status choose_statistics(const Config::StatisticsRequest& request, const std::map<std::string, std::vector<double>>& coords,
                         Rank0State& state) {
  const Config& config = state.config;
  std::vector<std::pair<model::Index, model::Index>> windows;
  for (const auto& [dim, range] : request.windows) {
    auto window = transform::sel_window(state.source->dataset(), coords, config.steps, "statistics", dim, range);
    if (!window.ok()) return window.error().with_context(config.path);
    windows.push_back(*window);
    log::debug("statistics: " + dim + " window [" + std::to_string(window->first) + ", " +
               std::to_string(window->second) + ")");
  }
  auto specs = statistics_specs(request, state.job, windows);
  if (!specs.ok()) return specs.error().with_context(config.path);
  state.job.statistics = std::move(specs).value();
  return {};
}

/// Append mode: the job checked against the store (app/append.hpp); the plan's arrays are
/// the parts of the store's arrays, and the job's arrays become the store's after it.
Result<std::vector<model::ArrayLayout>> prepare_append(Rank0State& state) {
  const Config& config = state.config;
  const std::string dim = append_dim(config, state.source->dataset());
  auto target = read_append_target(config, dim);
  if (!target.ok()) return target.error().with_context(config.path);
  auto append = check_append(config, std::move(target).value(), state.job, *state.source);
  if (!append.ok()) return append.error().with_context(config.path);
  state.append.emplace(std::move(append).value());
  auto parts = append_parts(state.job, *state.append);
  if (!parts.ok()) return parts.error().with_context(config.path);
  state.job = grown_arrays(state.job, *state.append);
  return parts;
}

/// The output arrays chosen and the plan made for `num_ranks` (plan --ranks N: N).
Result<plan::RegionPlan> plan_job(const CliOptions& cli, int num_ranks, Rank0State& state) {
  const Config& config = state.config;
  std::map<std::string, std::vector<double>> coords;
  if (!config.steps.empty() || (config.statistics && !config.statistics->windows.empty())) {
    ZPMPI_ASSIGN_OR_RETURN(coords, read_coordinates(*state.source));
  }
  auto job = build_job_arrays(config, state.source->dataset(), coords);
  if (!job.ok()) return job.error().with_context(config.path);
  state.job = std::move(job).value();
  if (config.statistics) ZPMPI_RETURN_IF_ERROR(choose_statistics(*config.statistics, coords, state));
  if (config.recommendations != Recommendations::kIgnore || cli.plan_only)
    for (const auto& r : state.job.recommendations) log::warn("recommendation: " + r.text);

  std::vector<model::ArrayLayout> layouts = state.job.layouts();
  if (config.append && cli.verify)
    return usage_error(config.path + ": verify checks a store against a job that writes all of it: give it a job "
                       "without \"mode\": \"append\" whose source lists every file appended (an appended store "
                       "equals the store such a job writes)");
  if (config.append) {
    ZPMPI_ASSIGN_OR_RETURN(layouts, prepare_append(state));
  }
  plan::PlanOptions options;
  options.num_ranks = cli.plan_ranks.value_or(num_ranks);
  options.num_jobs = config.num_jobs.value_or(options.num_ranks);
  options.memory_limit = config.memory_limit;
  options.workers = config.workers;
  options.max_chunks = config.max_chunks;
  options.bounds = owner_bounds(config.compressor);  // the codec's and the source's bounds
  ZPMPI_ASSIGN_OR_RETURN(plan::RegionPlan plan, plan::make_plan(layouts, options, stop_planning));
  for (const auto& w : plan::small_chunk_warnings(plan)) log::warn(w);
  return plan;
}

/// "recommendations": "halt" with recommendations given: the job stops before writing.
Status check_halt(const Rank0State& state) {
  if (state.job.recommendations.empty() || state.config.recommendations != Recommendations::kHalt) return {};
  return Error{state.config.path + ": the selection or tiling is not aligned to the source chunks (" +
                   std::to_string(state.job.recommendations.size()) +
                   " recommendation(s) above); use the aligned bounds or tile sizes, or set \"recommendations\": "
                   "\"warn\" to write anyway",
               ExitCode::kHalted};
}

/// zpmpi verify: the store as it is (no lock, no copy, nothing written to it).
Result<std::string> verify_message(const Rank0State& state, plan::RegionPlan plan) {
  const Config& config = state.config;
  std::error_code ec;
  const auto st = std::filesystem::symlink_status(config.store, ec);
  if (!std::filesystem::exists(st)) return runtime_error("verify: no store at " + config.store);
  if (std::filesystem::is_symlink(st))  // zpmpi never writes a store that is a link: not its output
    return runtime_error("verify: " + zarr::link_in_store_message(config.store, "read") +
                         ", or verify the store it points to");
  return encode_job_message(JobMessage{state.source_spec, config.store, config.compressor, config.log_level, false,
                                       config.zarr_format, state.job.statistics, std::move(plan)});
}

/// The store's copy opened under its lock (ranks write into it; commit() swaps it in).
Result<std::string> open_store_copy(const CliOptions& cli, Rank0State& state, plan::RegionPlan plan) {
  const Config& config = state.config;
  std::vector<std::string> names;
  for (const auto& a : state.job.arrays) names.push_back(a.name);
  zarr::StoreRequest request{config.store, config.overwrite, names, protected_paths(state.source_spec, config.path),
                             {}, [](const std::string& m) { log::warn(m); }};
  ZPMPI_ASSIGN_OR_RETURN(const boost::json::object output,
                         output_document(config.zarr_format, state.job, config.compressor));
  ZPMPI_ASSIGN_OR_RETURN(request.resume_record,
                         resume_record(config.path, store_flags(cli), state.inputs, output));
  request.resume = config.resume;
  request.format = config.zarr_format;
  request.slurm_job_id = state.slurm_job_id;
  request.hold_lock_until = state.hold_store_lock;
  if (state.append) request.append = state.append->request;
  ZPMPI_ASSIGN_OR_RETURN(zarr::StoreTransaction store, zarr::StoreTransaction::begin(std::move(request)));
  state.store.emplace(std::move(store));
  if (state.store->complete()) {
    log::info("nothing to resume: " + config.store + " is complete and no interrupted run of it is left" +
              " (zpmpi verify --config " + zarr::shell_quote(config.path) + " checks it against this job)");
    return std::string();  // every rank: nothing to do
  }
  if (state.store->resumed()) {
    ZPMPI_ASSIGN_OR_RETURN(state.present, list_present(plan, state.store->build_path(), config.zarr_format));
  } else if (config.resume) {
    log::info("no interrupted run of " + config.store + " to resume: writing it from the start");
  }
  return encode_job_message(JobMessage{state.source_spec, state.store->build_path().string(), config.compressor,
                                       config.log_level, config.fsync, config.zarr_format, state.job.statistics,
                                       std::move(plan), state.append ? state.append->target.store.string() : ""});
}

}  // namespace

Result<std::string> prepare_on_rank0(const CliOptions& cli, int num_ranks, Rank0State& state) {
  ZPMPI_RETURN_IF_ERROR(open_source(cli, state));
  ZPMPI_ASSIGN_OR_RETURN(plan::RegionPlan plan, plan_job(cli, num_ranks, state));
  if (state.append && state.append->already_done) {
    log::info("nothing to append: " + state.config.store + " already holds every step of this job");
    return std::string();
  }
  if (cli.plan_only && state.append) {
    std::cout << append_report(*state.append, plan) << std::flush;
    return std::string();
  }
  if (cli.plan_only) {  // the report only, nothing written
    ZPMPI_ASSIGN_OR_RETURN(const std::string report, plan_report_output(state.config, state.source->dataset(),
                                                                        state.job, plan, cli.plan_json, stop_planning));
    std::cout << report << std::flush;
    return std::string();
  }
  if (state.config.zarr_format == zarr::ZarrFormat::kV3) {  // its refusals before anything is written
    auto v3 = state.job.v3_metadata(state.config.compressor);
    if (!v3.ok()) return v3.error().with_context(state.config.path);
  }
  describe_plan(plan, state.job);
  if (auto w = workers_cpu_warning(state.config.workers, cpus_of_this_process())) log::warn(*w);
  ZPMPI_RETURN_IF_ERROR(check_halt(state));
  if (cli.verify) return verify_message(state, std::move(plan));
  if (cli.statistics)  // the store is read where it is, under the lock StoreAsSource holds
    return encode_job_message(JobMessage{state.source_spec, state.config.store, state.config.compressor,
                                         state.config.log_level, false, state.config.zarr_format,
                                         state.job.statistics, std::move(plan)});
  return open_store_copy(cli, state, std::move(plan));
}

}  // namespace zpmpi::app
