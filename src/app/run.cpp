#include "zpmpi/app/run.hpp"

#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <unistd.h>

#include <boost/json.hpp>

#include "zpmpi/app/cli.hpp"
#include "zpmpi/app/config.hpp"
#include "zpmpi/app/cpu_affinity.hpp"
#include "zpmpi/app/environment.hpp"  // issue 26 (wt-c)
#include "zpmpi/app/job.hpp"
#include "zpmpi/app/job_message.hpp"
#include "zpmpi/app/log.hpp"
#include "zpmpi/app/plan_bounds.hpp"  // issue 26 (wt-c)
#include "zpmpi/app/plan_report.hpp"
#include "zpmpi/app/process_memory.hpp"  // issue 26 (wt-c)
#include "zpmpi/app/progress.hpp"
#include "zpmpi/app/version.hpp"
#include "zpmpi/app/rank_stats.hpp"
#include "zpmpi/app/resume_record.hpp"
#include "zpmpi/app/run_summary.hpp"
#include "zpmpi/app/verify.hpp"
#include "zpmpi/exec/executor.hpp"
#include "zpmpi/exec/stop_signals.hpp"
#include "zpmpi/exec/text_arrays.hpp"
#include "zpmpi/exec/tile_index_arrays.hpp"
#include "zpmpi/model/bytes.hpp"
#include "zpmpi/mpi/comm.hpp"
#include "zpmpi/mpi/run_channel.hpp"
#include "zpmpi/plan/chunk_warnings.hpp"
#include "zpmpi/plan/region_plan.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/zarr/file_write.hpp"
#include "zpmpi/zarr/side_file.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_entry.hpp"
#include "zpmpi/zarr/store_resume.hpp"
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
  /// The source's files as identified when the run started (checked again at its end).
  std::vector<source::InputFile> inputs;
  std::optional<zarr::StoreTransaction> store;  ///< this run's copy of the store, under its lock
  Environment env;  ///< issue 26 (wt-c): read once in run(), the store's test hook and SLURM job
  std::string present;  ///< --resume: the chunks the adopted copy holds (encode_present)
  /// The --stats file: written over only once judged (zarr/side_file.hpp); before that (a
  /// job refused early) only created when it does not exist; never when refused.
  enum class StatsFile { kUnchecked, kAccepted, kRefused } stats_file = StatsFile::kUnchecked;
};

/// Chunks per dim of an array's grid.
model::Shape chunk_grid(const model::ArrayLayout& a) {
  model::Shape grid(a.shape.size());
  for (std::size_t d = 0; d < grid.size(); ++d) grid[d] = a.chunks[d] ? (a.shape[d] + a.chunks[d] - 1) / a.chunks[d] : 0;
  return grid;
}

/// The present-chunk bitmaps of the plan's arrays as bytes for the broadcast: per array, its
/// bit count (8 bytes) and the bits (LSB first). Empty: nothing is present.
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

/// --resume, rank 0: one listing of each array directory of the adopted copy (stale
/// temporary files are removed on the way); logs what was found.
Result<std::string> list_present(const plan::RegionPlan& plan, const std::filesystem::path& copy) {
  std::vector<std::vector<bool>> arrays;
  std::uint64_t found = 0, total = 0, temps = 0;
  for (const auto& a : plan.arrays) {
    ZPMPI_ASSIGN_OR_RETURN(zarr::ChunkListing listing, zarr::list_chunks(copy, a.layout.name, chunk_grid(a.layout)));
    found += listing.count;
    total += listing.present.size();
    temps += listing.removed_temps;
    arrays.push_back(std::move(listing.present));
  }
  log::info("resuming " + copy.string() + ": " + std::to_string(found) + " of " + std::to_string(total) +
            " chunks are complete and kept" +
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
  if (!config.stats.empty()) {  // before anything runs: writing it replaces what is there
    state.stats_file = Rank0State::StatsFile::kRefused;
    ZPMPI_RETURN_IF_ERROR(zarr::check_side_file(cli.stats ? "--stats" : config.path + ": stats", config.stats,
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
  options.bounds = owner_bounds(config.compressor);  // issue 26 (wt-c): the codec's and the source's bounds
  // Planning and its report grow with the grid: a stop signal ends them (see make_plan).
  const plan::StopCheck stop = []() -> Status {
    if (const int sig = exec::stop_signal())
      return Error{"interrupted by " + exec::signal_name(sig) + " while planning", ExitCode::kInterrupted};
    return {};
  };
  ZPMPI_ASSIGN_OR_RETURN(plan::RegionPlan plan, plan::make_plan(state.job.layouts(), options, stop));
  for (const auto& w : plan::small_chunk_warnings(plan)) log::warn(w);
  if (cli.plan_only) {  // the report only, nothing written
    ZPMPI_ASSIGN_OR_RETURN(const std::string report,
                           plan_report_output(config, dataset, state.job, plan, cli.plan_json, stop));
    std::cout << report << std::flush;
    return std::string();
  }
  describe_plan(plan, state.job);
  if (auto w = workers_cpu_warning(config.workers, cpus_of_this_process())) log::warn(*w);
  if (!state.job.recommendations.empty() && config.recommendations == "halt")
    return Error{config.path + ": the selection or tiling is not aligned to the source chunks (" +
                     std::to_string(state.job.recommendations.size()) +
                     " recommendation(s) above); use the aligned bounds or tile sizes, or set \"recommendations\": "
                     "\"warn\" to write anyway",
                 ExitCode::kHalted};

  if (cli.verify) {  // the store as it is: no lock, no copy, nothing written to it
    std::error_code ec;
    const auto st = std::filesystem::symlink_status(config.store, ec);
    if (!std::filesystem::exists(st)) return runtime_error("verify: no store at " + config.store);
    if (std::filesystem::is_symlink(st))  // zpmpi never writes a store that is a link: not its output
      return runtime_error("verify: " + zarr::link_in_store_message(config.store, "read") +
                           ", or verify the store it points to");
    return encode_job_message(JobMessage{state.source_spec, config.store, config.compressor, config.log_level,
                                         false, std::move(plan)});
  }
  std::vector<std::string> names;
  for (const auto& a : state.job.arrays) names.push_back(a.name);
  zarr::StoreRequest request{config.store, config.overwrite, names, protected_paths(state.source_spec, config.path),
                             {}, [](const std::string& m) { log::warn(m); }};
  ZPMPI_ASSIGN_OR_RETURN(request.resume_record,
                         resume_record(config.path, state.inputs, state.job.group_attrs, state.job.metadata(),
                                       codec::compressor_json(config.compressor)));
  request.resume = config.resume;
  request.slurm_job_id = state.env.slurm_job_id;             // issue 26 (wt-c)
  request.hold_lock_until = state.env.hooks.hold_store_lock;  // issue 26 (wt-c)
  // Ranks write into a copy beside the store; commit() swaps it in at the end.
  ZPMPI_ASSIGN_OR_RETURN(zarr::StoreTransaction store, zarr::StoreTransaction::begin(std::move(request)));
  state.store.emplace(std::move(store));
  if (state.store->complete()) {
    log::info("nothing to resume: " + config.store + " is complete and no interrupted run of it is left" +
              " (zpmpi verify --config " + zarr::shell_quote(config.path) + " checks it against this job)");
    return std::string();  // every rank: nothing to do
  }
  if (state.store->resumed()) {
    ZPMPI_ASSIGN_OR_RETURN(state.present, list_present(plan, state.store->build_path()));
  } else if (config.resume) {
    log::info("no interrupted run of " + config.store + " to resume: writing it from the start");
  }
  return encode_job_message(JobMessage{state.source_spec, state.store->build_path().string(), config.compressor,
                           config.log_level, config.fsync, std::move(plan)});
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
  if (s.chunks_present > 0)
    return line + std::string("; kept ") + std::to_string(s.chunks_present) + " chunks of the interrupted run";
  return line;
}

/// Stage seconds; with several workers the chunk stages are summed over their threads.
std::string stage_times(const exec::Stats& s, int workers) {
  char line[360];
  std::snprintf(line, sizeof line, "read %.2f s, gather %.2f s, encode %.2f s, write %.2f s%s, waiting %.2f s; peak buffers %s",
                s.seconds_read, s.seconds_gather, s.seconds_encode, s.seconds_write,
                workers > 1 ? (" (thread-seconds of " + std::to_string(workers) + " workers)").c_str() : "",
                s.seconds_wait, model::format_bytes(s.peak_buffer).c_str());
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

/// Chunk files in the plan, all arrays (for the interrupted run's message).
std::uint64_t planned_chunks(const plan::RegionPlan& p) {
  std::uint64_t total = 0;
  for (const auto& a : p.arrays) {
    std::uint64_t n = 1;
    for (std::size_t d = 0; d < a.layout.shape.size(); ++d)
      n *= a.layout.chunks[d] ? (a.layout.shape[d] + a.layout.chunks[d] - 1) / a.layout.chunks[d] : 0;
    total += n;
  }
  return total;
}

/// Chunk files this run writes: the plan's, less those a resumed run keeps.
std::uint64_t chunks_to_write(const plan::RegionPlan& p, const std::vector<std::vector<bool>>& present) {
  std::uint64_t kept = 0;
  for (const auto& bits : present) kept += static_cast<std::uint64_t>(std::count(bits.begin(), bits.end(), true));
  const std::uint64_t planned = planned_chunks(p);
  return planned > kept ? planned - kept : 0;
}

/// Rank 0's live progress (app/progress.hpp) on stderr: a bar when it is a terminal, else
/// lines. (mpirun forwards a rank's stderr through a pipe - and its stdout through a pty,
/// even into a file - so under mpirun it is lines; a bar for `zpmpi` run alone or under
/// `srun --pty`.)
std::optional<ProgressReporter> make_progress(std::uint64_t total, bool quiet) {
  ProgressOptions options;
  options.quiet = quiet;
  options.terminal = ::isatty(STDERR_FILENO) != 0;
  return std::optional<ProgressReporter>(std::in_place, std::cerr, total, options);
}

/// The chunk writes' test hooks (app/environment.hpp); `fault` holds the write that fails.
void apply_test_hooks(const TestHooks& hooks, int rank, exec::ExecOptions& options,
                      std::optional<zarr::WriteFault>& fault) {
  if (hooks.fail_write_rank == rank) options.fail_write = &fault.emplace(hooks.fail_write_nth);
  options.test_write_delay_ms = hooks.write_delay_ms;
}

/// zpmpi verify, after every rank compared its chunks: rank 0 compares the metadata and the
/// one-chunk arrays (written by this job into a scratch directory), gathers every rank's
/// findings and reports them by key. Exit 0 only when nothing differs.
int report_verify(const mpi::Session& session, Rank0State& state, const plan::RegionPlan& plan,
                  const ChunkVerifier& verifier, const exec::Stats& totals) {
  std::string mine;
  for (const std::string& p : verifier.problems()) mine += p + "\n";
  Status local;
  if (session.rank() == 0) {
    const std::filesystem::path store = state.config.store;
    // A directory of our own (mkdtemp), so that nothing already in the temporary directory
    // (a name another process chose, a planted link) is ever removed.
    std::string made = (std::filesystem::temp_directory_path() / "zpmpi-verify-XXXXXX").string();
    const bool have_dir = ::mkdtemp(made.data()) != nullptr;
    const std::filesystem::path scratch = std::filesystem::path(made) / "store";
    local = guarded([&]() -> Status {
      if (!have_dir) return runtime_error(made + ": cannot create a temporary directory: " + std::strerror(errno));
      std::vector<std::string> names;
      for (const auto& a : state.job.arrays) names.push_back(a.name);
      ZPMPI_RETURN_IF_ERROR(zarr::create_store(scratch, names));
      const codec::CodecSpec& codec = state.config.compressor;
      ZPMPI_RETURN_IF_ERROR(exec::write_text_arrays(state.job.text_arrays, *state.source, scratch, codec, 0));
      ZPMPI_RETURN_IF_ERROR(exec::write_coarse_index_arrays(state.job.coarse_arrays, scratch, codec, 0));
      ZPMPI_RETURN_IF_ERROR(zarr::write_metadata(scratch, state.job.group_attrs, state.job.metadata(),
                                                 codec::compressor_json(codec)));
      for (const std::string& p : compare_files(scratch, store)) mine += p + "\n";
      std::map<std::string, model::Shape> grids;
      for (const auto& a : plan.arrays) grids[a.layout.name] = chunk_grid(a.layout);
      for (const std::string& p : extra_entries(scratch, store, grids)) mine += p + "\n";
      if (const Status same = check_inputs_unchanged(state.inputs); !same.ok())
        return runtime_error(same.error().message + ": the comparison is void; run verify again");
      return {};
    });
    std::error_code ec;
    if (have_dir) std::filesystem::remove_all(made, ec);
  }
  const Status agreed = collective(session, session.agree(local));
  const std::vector<std::string> all = collective(session, session.gather(mine));
  if (!agreed.ok()) {
    if (session.rank() == 0) log::error(agreed.error().message);
    return static_cast<int>(agreed.error().code);
  }
  if (session.rank() != 0) return 0;
  std::vector<std::string> problems;
  for (const std::string& text : all)
    for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
      problems.push_back(text.substr(at, nl - at));
  std::sort(problems.begin(), problems.end());
  for (const std::string& p : problems) std::cout << "zpmpi: verify: " << p << "\n";
  std::cout << std::flush;
  if (problems.empty()) {
    log::info("verify: " + state.config.store + " is exactly this job's output (" + std::to_string(totals.chunks) +
              " chunks compared, and its metadata)");
    return 0;
  }
  log::error("verify: " + state.config.store + " is not this job's output: " + std::to_string(problems.size()) +
             " problem(s) listed above, first: " + problems.front());
  return static_cast<int>(ExitCode::kRuntime);
}

/// What a rank stopped by another rank's failure returns from its work: not its own error
/// (the failing rank reports the cause), so it agrees as ok.
constexpr const char* kStoppedByPeer = "stopped: another rank failed or was interrupted";

int run(int argc, char** argv) {
  keep_freed_memory_resident();  // issue 26 (wt-c): process-wide settings are app's
  // First: a stop signal during start-up is then recorded and honoured at the first chunk.
  exec::install_stop_signals();
  const Environment env = Environment::of_process();  // issue 26 (wt-c): the one getenv
  mpi::Session session(&argc, &argv, env.hooks.mpi_fail);
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
  state.env = env;  // issue 26 (wt-c)
  // Rank 0's summary: the --stats file, written on every way out below with what is known
  // by then, and the store's own .zpmpi/stats.json (zarr/store_contents.hpp), written into
  // the copy before its .zmetadata (or into the copy an interrupted run keeps).
  RunSummary report;
  report.ranks = session.size();
  auto fill_report = [&](const Status& outcome) {
    report.outcome = outcome;
    report.source = state.source_spec.uris.empty() ? "" : state.source_spec.uris.front();
    report.store = state.config.store;
    report.arrays = state.job.arrays.size() + state.job.text_arrays.size() + state.job.coarse_arrays.size();
    report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  };
  auto write_report = [&](const Status& outcome) -> Status {
    const std::string path = cli->stats ? *cli->stats : state.config.stats;
    using StatsFile = Rank0State::StatsFile;
    if (rank != 0 || path.empty() || state.stats_file == StatsFile::kRefused) return {};
    std::error_code ec;
    if (state.stats_file == StatsFile::kUnchecked && std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
      return runtime_error("--stats " + path + ": not written over: the job was refused before the path could be "
                           "checked against its source and store");
    fill_report(outcome);
    return write_summary(path, report);
  };
  auto write_store_stats = [&]() -> Status {  // inside the copy: nothing through a link (zarr/store.hpp)
    const std::string text = summary_json(report);
    return zarr::write_store_file(state.store->build_path(), std::filesystem::path(zarr::kMarkerName) / zarr::kStatsName,
                                  std::as_bytes(std::span(text)), std::string(zarr::kStatsName) + ".tmp");
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
  if (cli->plan_only || wire->empty()) return 0;  // a plan only, or a resume with nothing left to do

  Result<JobMessage> message = decode_job_message(wire.value());
  // --resume: which chunks exist already (empty when none), from rank 0's one listing.
  collective(session, session.broadcast(state.present));
  const std::vector<std::vector<bool>> present = decode_present(state.present);
  Result<exec::Stats> stats = exec::Stats{};
  // Every rank, same point: the channel that stops all ranks when one fails (run_channel.hpp).
  mpi::RunChannel channel = collective(session, mpi::RunChannel::open(session));
  exec::ExecOptions::Progress progress;
  // Rank 0 shows the job's totals as the channel's rounds bring them (app/progress.hpp).
  std::optional<ProgressReporter> reporter;
  auto work_start = Clock::now();
  std::uint64_t rounds_shown = 0;
  auto show_progress = [&](const mpi::Totals& t) {
    if (!reporter || t.rounds == rounds_shown) return;
    rounds_shown = t.rounds;
    reporter->update(std::chrono::duration<double>(Clock::now() - work_start).count(), t.chunks, t.bytes);
  };
  std::atomic<bool> peer_stop{false}, channel_failed{false};
  Status channel_error;  // an MPI failure of the channel (main thread only)
  const auto main_thread = std::this_thread::get_id();
  // Asked before each batch and chunk, on any worker thread; only the main thread polls MPI.
  auto check = [&]() -> Status {
    if (const int sig = exec::stop_signal())
      return Error{"interrupted by " + exec::signal_name(sig), ExitCode::kInterrupted};
    if (std::this_thread::get_id() == main_thread && !channel_failed) {
      auto totals = channel.poll(mpi::RankState{false, false, false, progress.chunks, progress.bytes});
      if (!totals.ok()) {
        channel_error = totals.error();
        channel_failed = true;
      } else {
        show_progress(*totals);
        if (totals->stop()) peer_stop = true;
      }
    }
    if (channel_failed) return runtime_error("the run channel failed");
    if (peer_stop) return runtime_error(kStoppedByPeer);
    return {};
  };
  std::optional<ChunkVerifier> verifier;
  if (message.ok() && cli->verify) verifier.emplace(message->store, message->codec);
  if (message.ok()) {
    log::init(rank, message->log_level);
    const auto& p = message->plan;
    report.workers = p.options.workers;
    if (rank == 0 && !cli->verify)
      reporter = make_progress(chunks_to_write(p, present), cli->quiet || message->log_level < 1);
    work_start = Clock::now();
    report.plan = PlanFigures{p.regions.size(), static_cast<std::uint64_t>(p.options.num_jobs), p.options.memory_limit,
                              p.max_batch_footprint, p.total_bytes};
    stats = guarded([&]() -> Result<exec::Stats> {
      // Test hook: the integration tests make one rank fail to prove no rank hangs.
      if (const auto failure = env.hooks.rank_failure(rank)) return runtime_error(*failure);  // issue 26 (wt-c)
      std::unique_ptr<source::Source> own;
      source::Source* source = state.source.get();
      if (!source) {
        ZPMPI_ASSIGN_OR_RETURN(own, source::open_source(message->source));
        source = own.get();
      }
      exec::ExecOptions options{message->store, message->codec, rank};
      options.check = check;
      if (verifier) {
        options.verify_chunk = [&](const model::ArrayLayout& a, const std::string& key, std::span<const std::byte> raw) {
          return verifier->check(a, key, raw);
        };
        return exec::run_rank(message->plan, *source, options);
      }
      options.progress = &progress;
      options.fsync = message->fsync;
      if (!present.empty()) options.present = &present;
      std::optional<zarr::WriteFault> write_fault;  // issue 26 (wt-c)
      apply_test_hooks(env.hooks, rank, options, write_fault);
      auto numeric = exec::run_rank(message->plan, *source, options);
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
  // Out of work (done, failed or interrupted): wait, without blocking anyone, for every
  // rank to be out too; a failure here reaches the ranks still working within a round.
  const bool stopped_by_peer = !stats.ok() && peer_stop && stats.error().message == kStoppedByPeer;
  const bool interrupted = !stats.ok() && stats.error().code == ExitCode::kInterrupted;
  mpi::RankState out{!stats.ok() && !stopped_by_peer && !interrupted, interrupted, true, progress.chunks,
                     progress.bytes};
  if (channel_failed) collective(session, channel_error);
  // From here to the stats gather this rank waits for the others: its "seconds_wait".
  const auto wait_start = Clock::now();
  if (reporter) {  // rank 0 done early: it keeps showing the others' progress until the last round
    for (;;) {
      const mpi::Totals t = collective(session, channel.poll(out));
      show_progress(t);
      if (t.final()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  const mpi::Totals totals = collective(session, channel.finish(out));
  if (reporter)
    reporter->finish(std::chrono::duration<double>(Clock::now() - work_start).count(), totals.chunks, totals.bytes);
  if (stopped_by_peer) {  // the failing rank speaks for the job; this one counts what it did
    exec::Stats done;
    done.chunks = progress.chunks;
    done.bytes_written = progress.bytes;
    stats = done;
  }
  log::debug("run channel: " + std::to_string(totals.rounds) + " rounds");
  Status status = collective(session, session.agree(stats.ok() ? Status{} : Status{stats.error()}));
  exec::Stats local = stats.ok() ? stats.value() : exec::Stats{};
  if (!stats.ok()) {  // failed or interrupted: what it wrote before it stopped is known
    local.chunks = progress.chunks;
    local.bytes_written = progress.bytes;
  }
  local.peak_rss = peak_rss_bytes();
  local.seconds_wait = std::chrono::duration<double>(Clock::now() - wait_start).count();
  report.totals = collective(session, combine_over_ranks(session, local));
  report.per_rank = collective(session, gather_per_rank(session, local));
  const int workers = report.workers;
  if (stats.ok()) log::debug("this rank: " + stage_times(local, workers));
  if (cli->verify) return status.ok() ? report_verify(session, state, message->plan, *verifier, *report.totals)
                                                    : stop(status.error());

  if (status.ok() && rank == 0) {
    status = guarded([&]() -> Status {
      // A source file changed during the run: the chunks may mix old and new data.
      if (const Status same = check_inputs_unchanged(state.inputs); !same.ok())
        return runtime_error(same.error().message + ": the store would mix old and new data, so it was not "
                             "written; run the job again once the source files stay unchanged");
      fill_report(Status{});  // the figures of the closing summary, --stats and the store's stats.json
      ZPMPI_RETURN_IF_ERROR(write_store_stats());  // before .zmetadata: a complete store has it
      ZPMPI_RETURN_IF_ERROR(zarr::write_metadata(state.store->build_path(), state.job.group_attrs,
                                                 state.job.metadata(), codec::compressor_json(state.config.compressor)));
      return state.store->commit();
    });
  }
  status = collective(session, session.agree(status));
  if (!status.ok() && status.error().code == ExitCode::kInterrupted) {
    // Resumable: the copy keeps every complete chunk; no temporary file is left (each rank
    // finished the chunk in flight). The lock is released: --resume takes it again.
    if (rank == 0 && state.store) {
      const std::uint64_t planned = planned_chunks(message->plan);
      const Error stopped{status.error().message + ": stopped after " + std::to_string(totals.chunks) + " of " +
                              std::to_string(planned) + " chunks; the partial store is kept in " +
                              state.store->build_path().string() + "; run the same command with --resume to finish the job",
                          ExitCode::kInterrupted};
      fill_report(stopped);  // the kept copy's stats.json: this run's, with its error
      if (const Status written = write_store_stats(); !written.ok()) log::warn(written.error().message);
      state.store->keep();
      return stop(stopped);
    }
    return stop(status.error());
  }
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
    // The figures of the store's stats.json (filled in before its .zmetadata), quoted alike.
    log::info("slowest rank per stage: " + stage_times(*report.totals, workers) + " per rank");
    log::info(summary(*report.totals, report.arrays, report.seconds) + " -> " + state.config.store);
    const std::string path = cli->stats ? *cli->stats : state.config.stats;
    if (!path.empty()) reported = write_summary(path, report);
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
