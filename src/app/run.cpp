#include "zpmpi/app/run.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include <boost/json.hpp>

#include "zpmpi/app/cli.hpp"
#include "zpmpi/app/config.hpp"
#include "zpmpi/app/job.hpp"
#include "zpmpi/app/job_message.hpp"
#include "zpmpi/app/log.hpp"
#include "zpmpi/app/plan_report.hpp"
#include "zpmpi/app/version.hpp"
#include "zpmpi/app/rank_stats.hpp"
#include "zpmpi/app/run_summary.hpp"
#include "zpmpi/exec/executor.hpp"
#include "zpmpi/exec/text_arrays.hpp"
#include "zpmpi/exec/tile_index_arrays.hpp"
#include "zpmpi/model/bytes.hpp"
#include "zpmpi/mpi/comm.hpp"
#include "zpmpi/plan/chunk_warnings.hpp"
#include "zpmpi/plan/region_plan.hpp"
#include "zpmpi/source/decode_buffers.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_transaction.hpp"

namespace zpmpi::app {
namespace json = boost::json;
namespace {

using Clock = std::chrono::steady_clock;

/// Rank 0's state between planning and the metadata it writes at the end.
struct Rank0State {
  Config config;
  JobArrays job;
  source::SourceSpec source_spec;  ///< config.source with globs expanded
  std::unique_ptr<source::Source> source;
  std::optional<zarr::StoreTransaction> store;  ///< this run's copy of the store, under its lock
};

/// What the store must never hold: the source's local files and the job file.
std::vector<zarr::ProtectedPath> protected_paths(const source::SourceSpec& source, const std::string& job_file) {
  std::vector<zarr::ProtectedPath> paths;
  for (const std::string& uri : source.uris)
    if (uri.find("://") == std::string::npos) paths.push_back({"the source", uri});
  paths.push_back({"the job file", job_file});
  return paths;
}

void describe_plan(const plan::RegionPlan& p, const JobArrays& job) {
  for (std::size_t i = 0; i < p.arrays.size(); ++i) {
    const auto& a = p.arrays[i].layout;
    log::info("array " + a.name + ": " + std::string(model::dtype_name(a.dtype)) + " " +
              model::to_string(a.shape) + ", chunks " + model::to_string(a.chunks) +
              " (source chunks " + model::to_string(a.source.chunks) + "), batch of " +
              model::to_string(p.arrays[i].batch_chunks) + " chunks" +
              (job.arrays[i].is_coordinate ? ", coordinate" : ""));
  }
  log::info("plan: " + std::to_string(p.regions.size()) + " regions over " +
            std::to_string(p.options.num_jobs) + " jobs on " + std::to_string(p.options.num_ranks) +
            " ranks, " + model::format_bytes(p.total_bytes) + " to write, at most " +
            model::format_bytes(p.max_batch_footprint) + " of buffers per rank (memory_limit " +
            model::format_bytes(p.options.memory_limit) + ")");
}

/// Rank 0: everything up to the broadcast. On success the store exists, empty.
Result<std::string> prepare(const CliOptions& cli, int num_ranks, Rank0State& state) {
  ZPMPI_ASSIGN_OR_RETURN(state.config, load_config(cli.config_path));
  ZPMPI_RETURN_IF_ERROR(apply_cli(cli, state.config));
  const Config& config = state.config;
  log::init(0, cli.plan_json ? 0 : config.log_level);  // plan --json: stdout holds the JSON alone

  ZPMPI_ASSIGN_OR_RETURN(state.source_spec, source::resolve_source(config.source));
  ZPMPI_ASSIGN_OR_RETURN(state.source, source::open_source(state.source_spec));
  const model::Dataset& dataset = state.source->dataset();
  for (const auto& s : dataset.skipped) log::warn("skipping " + s);
  for (const auto& s : dataset.decoders) log::info("source: " + s);
  for (const auto& w : state.source_spec.warnings) log::warn(w);
  log::info("source " + dataset.uri + ": " + std::to_string(dataset.variables.size()) +
            " variables, " + std::to_string(dataset.dims.size()) + " dims");

  std::map<std::string, std::vector<double>> coords;
  if (!config.steps.empty()) {
    ZPMPI_ASSIGN_OR_RETURN(coords, read_coordinates(*state.source));
  }
  auto job = build_job_arrays(config, dataset, coords);
  if (!job.ok()) return job.error().with_context(config.path);
  state.job = std::move(job).value();
  if (config.recommendations != "ignore" || cli.plan_only)
    for (const auto& r : state.job.recommendations) log::warn("recommendation: " + r.text);

  plan::PlanOptions options;
  options.num_ranks = cli.plan_ranks.value_or(num_ranks);  // plan --ranks N
  options.num_jobs = config.num_jobs.value_or(options.num_ranks);
  options.memory_limit = config.memory_limit;
  options.workers = config.workers;
  options.max_chunks = config.max_chunks;
  ZPMPI_ASSIGN_OR_RETURN(plan::RegionPlan plan, plan::make_plan(state.job.layouts(), options));
  for (const auto& w : plan::small_chunk_warnings(plan)) log::warn(w);
  if (cli.plan_only) {  // the report only, nothing written
    std::cout << plan_report_output(config, dataset, state.job, plan, cli.plan_json) << std::flush;
    return std::string();
  }
  describe_plan(plan, state.job);
  if (!state.job.recommendations.empty() && config.recommendations == "halt")
    return Error{config.path + ": the selection or tiling is not aligned to the source chunks (" +
                     std::to_string(state.job.recommendations.size()) +
                     " recommendation(s) above); use the aligned bounds or tile sizes, or set \"recommendations\": "
                     "\"warn\" to write anyway",
                 ExitCode::kHalted};

  std::vector<std::string> names;
  for (const auto& a : state.job.arrays) names.push_back(a.name);
  // Ranks write into a copy beside the store; commit() swaps it in at the end.
  ZPMPI_ASSIGN_OR_RETURN(zarr::StoreTransaction store,
                         zarr::StoreTransaction::begin({config.store, config.overwrite, names,
                                                        protected_paths(state.source_spec, config.path),
                                                        {}, [](const std::string& m) { log::warn(m); }}));
  state.store.emplace(std::move(store));
  return encode_job_message(JobMessage{state.source_spec, state.store->build_path().string(), config.compressor,
                           config.log_level, std::move(plan)});
}

template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return runtime_error(std::string("unexpected failure: ") + e.what());
  }
}

std::string summary(const exec::Stats& s, std::size_t arrays, double seconds) {
  char line[512];
  const double mbps = seconds > 0 ? s.bytes_needed / 1e6 / seconds : 0;
  std::snprintf(line, sizeof line,
                "done: %zu arrays, %llu chunks; read %s (amplification %.2f), wrote %s (%s raw) "
                "in %.2f s, %.0f MB/s",
                arrays, static_cast<unsigned long long>(s.chunks),
                model::format_bytes(s.bytes_needed).c_str(), s.read_amplification(),
                model::format_bytes(s.bytes_written).c_str(), model::format_bytes(s.bytes_raw).c_str(),
                seconds, mbps);
  return line;
}

/// Stage seconds; with several workers the chunk stages are summed over their threads.
std::string stage_times(const exec::Stats& s, int workers) {
  char line[320];
  std::snprintf(line, sizeof line, "read %.2f s, gather %.2f s, encode %.2f s, write %.2f s%s; peak buffers %s",
                s.seconds_read, s.seconds_gather, s.seconds_encode, s.seconds_write,
                workers > 1 ? (" (thread-seconds of " + std::to_string(workers) + " workers)").c_str() : "",
                model::format_bytes(s.peak_buffer).c_str());
  return line;
}

/// The value of a collective that worked, else (MPI itself failed, and the ranks can no
/// longer agree on anything) this rank prints the MPI error and ends every rank with its
/// code: MPI_Abort is the only way to be sure no rank waits forever (see mpi/comm.hpp).
template <class T>
T collective(const mpi::Session& session, Result<T> r) {
  if (!r.ok()) {
    log::error(r.error().message);
    session.abort(static_cast<int>(r.error().code));
  }
  return std::move(r).value();
}

void collective(const mpi::Session& session, const Status& s) {
  if (!s.ok()) {
    log::error(s.error().message);
    session.abort(static_cast<int>(s.error().code));
  }
}

int run(int argc, char** argv) {
  source::keep_decode_buffers_resident();
  mpi::Session session(&argc, &argv);
  const int rank = session.rank();
  log::init(rank, 1);
  if (!session.status().ok()) {
    if (session.must_abort()) collective(session, session.status());
    // Every rank failed alike (e.g. the thread level): rank 0 speaks, all return.
    if (rank == 0) log::error(session.status().error().message);
    return static_cast<int>(session.status().error().code);
  }

  // Every rank parses the same argv, so every rank reaches the same verdict.
  auto cli = parse_cli(argc, argv);
  if (!cli.ok()) {
    if (rank == 0) log::error(cli.error().message);
    return static_cast<int>(cli.error().code);
  }
  if (cli->help || cli->version) {
    if (rank == 0) std::cout << (cli->help ? cli->usage : version_text()) << std::flush;
    return 0;
  }

  const auto t0 = Clock::now();
  Rank0State state;
  // Rank 0's --stats file: written on every way out below, with what is known by then.
  RunSummary report;
  report.ranks = session.size();
  auto write_report = [&](const Status& outcome) -> Status {
    const std::string path = cli->stats ? *cli->stats : state.config.stats;
    if (rank != 0 || path.empty()) return {};
    report.outcome = outcome;
    report.source = state.source_spec.uris.empty() ? "" : state.source_spec.uris.front();
    report.store = state.config.store;
    report.arrays = state.job.arrays.size() + state.job.text_arrays.size() + state.job.coarse_arrays.size();
    report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return write_summary(path, report);
  };
  auto stop = [&](const Error& error) {
    if (rank == 0) {
      log::error(error.message);
      if (const Status written = write_report(error); !written.ok()) log::warn(written.error().message);
    }
    return static_cast<int>(error.code);
  };

  Result<std::string> prepared = std::string();
  if (rank == 0) prepared = guarded([&] { return prepare(*cli, session.size(), state); });
  auto wire = collective(session, session.broadcast(prepared));
  if (!wire.ok()) return stop(wire.error());
  if (cli->plan_only) return 0;

  Result<JobMessage> message = decode_job_message(wire.value());
  Result<exec::Stats> stats = exec::Stats{};
  if (message.ok()) {
    log::init(rank, message->log_level);
    const auto& p = message->plan;
    report.workers = p.options.workers;
    report.plan = PlanFigures{p.regions.size(), static_cast<std::uint64_t>(p.options.num_jobs), p.options.memory_limit,
                              p.max_batch_footprint, p.total_bytes};
    stats = guarded([&]() -> Result<exec::Stats> {
      // Test hook: the integration tests make one rank fail to prove no rank hangs.
      if (const char* fail = std::getenv("ZPMPI_TEST_FAIL_RANK"); fail && std::atoi(fail) == rank)
        return runtime_error("injected failure (ZPMPI_TEST_FAIL_RANK=" + std::string(fail) + ")");
      std::unique_ptr<source::Source> own;
      source::Source* source = state.source.get();
      if (!source) {
        ZPMPI_ASSIGN_OR_RETURN(own, source::open_source(message->source));
        source = own.get();
      }
      auto numeric = exec::run_rank(message->plan, *source,
                                    exec::ExecOptions{message->store, message->codec, rank});
      if (numeric.ok() && rank == 0) {  // text arrays: one chunk each, from rank 0's source
        auto text = exec::write_text_arrays(state.job.text_arrays, *source, message->store, message->codec, rank);
        if (!text.ok()) return text.error();
        for (const auto& a : state.job.text_arrays) numeric->chunks += model::num_elements(a.shape) > 0 ? 1 : 0;
        numeric->bytes_written += *text;
        auto coarse = exec::write_coarse_index_arrays(state.job.coarse_arrays, message->store, message->codec, rank);
        if (!coarse.ok()) return coarse.error();
        numeric->chunks += state.job.coarse_arrays.size();
        numeric->bytes_written += *coarse;
      }
      return numeric;
    });
  } else {
    stats = message.error();
  }
  Status status = collective(session, session.agree(stats.ok() ? Status{} : Status{stats.error()}));
  exec::Stats local = stats.ok() ? stats.value() : exec::Stats{};
  local.peak_rss = peak_rss_bytes();
  report.totals = collective(session, combine_over_ranks(session, local));
  report.per_rank = collective(session, gather_per_rank(session, local));
  const int workers = report.workers;
  if (stats.ok()) log::debug("this rank: " + stage_times(local, workers));

  if (status.ok() && rank == 0) {
    status = guarded([&]() -> Status {
      ZPMPI_RETURN_IF_ERROR(zarr::write_metadata(state.store->build_path(), state.job.group_attrs,
                                                 state.job.metadata(), codec::compressor_json(state.config.compressor)));
      return state.store->commit();
    });
  }
  status = collective(session, session.agree(status));
  if (!status.ok()) {
    const int code = stop(status.error());
    if (rank == 0 && state.store) {  // only this run's copy: the store itself is as it was
      const Status removed = state.store->abandon();
      log::warn(removed.ok() ? "removed the incomplete copy " + state.store->build_path().string() + "; " +
                                   state.store->path().string() + " is unchanged"
                             : removed.error().message);
    }
    return code;
  }
  Status reported;
  if (rank == 0) {
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    log::info("slowest rank per stage: " + stage_times(*report.totals, workers) + " per rank");
    log::info(summary(*report.totals, state.job.arrays.size() + state.job.text_arrays.size() + state.job.coarse_arrays.size(), seconds) + " -> " + state.config.store);
    reported = write_report(Status{});
    if (!reported.ok())
      reported = Error{reported.error().message + " (the store " + state.config.store + " is complete)",
                       reported.error().code};
  }
  // A --stats file that could not be written fails the run on every rank alike.
  status = collective(session, session.agree(reported));
  if (!status.ok()) {
    if (rank == 0) log::error(status.error().message);
    return static_cast<int>(status.error().code);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }

}  // namespace zpmpi::app
