// The Job's phases and its collective points, in the order of app/job_phases.hpp.
#include "zpmpi/app/job_phases.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include <unistd.h>

#include "job_state.hpp"
#include "zpmpi/app/log.hpp"
#include "zpmpi/app/rank_stats.hpp"
#include "zpmpi/app/resume_record.hpp"
#include "zpmpi/exec/boundary_sink.hpp"
#include "zpmpi/exec/statistics_sink.hpp"
#include "zpmpi/exec/stop_signals.hpp"
#include "zpmpi/exec/store_sink.hpp"
#include "zpmpi/exec/text_arrays.hpp"
#include "zpmpi/exec/verify_sink.hpp"
#include "zpmpi/exec/tile_index_arrays.hpp"
#include "zpmpi/model/bytes.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_attributes.hpp"
#include "zpmpi/zarr/store_contents.hpp"

namespace zpmpi::app {
namespace {

/// What a rank stopped by another rank's failure returns from its work: not its own error
/// (the failing rank reports the cause), so it agrees as ok.
constexpr const char* kStoppedByPeer = "stopped: another rank failed or was interrupted";

/// The value of a collective that worked, else (the transport failed, and the ranks can no
/// longer agree on anything) this rank prints the error and ends every rank with its
/// code: abort is the only way to be sure no rank waits forever (see mpi/comm.hpp).
template <class T>
T collective(const mpi::Collectives& session, Result<T> r) {
  if (!r.ok()) {
    log::error(r.error().message);
    session.abort(static_cast<int>(r.error().code));
  }
  return std::move(r).value();
}

void collective(const mpi::Collectives& session, const Status& s) {
  if (!s.ok()) {
    log::error(s.error().message);
    session.abort(static_cast<int>(s.error().code));
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

std::string statistics_summary(const exec::Stats& s, std::size_t arrays, double seconds) {
  char line[256];
  std::snprintf(line, sizeof line, "done: statistics of %zu arrays from %llu chunks; read %s, decoded %s in %.2f s, %.0f MB/s",
                arrays, static_cast<unsigned long long>(s.chunks), model::format_bytes(s.bytes_needed).c_str(),
                model::format_bytes(s.bytes_raw).c_str(), seconds, seconds > 0 ? s.bytes_raw / 1e6 / seconds : 0.0);
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

/// Chunk files in the plan, all arrays (for the interrupted run's message).
std::uint64_t planned_chunks(const plan::RegionPlan& p) {
  std::uint64_t total = 0;
  for (const auto& a : p.arrays) total += model::num_elements(a.layout.chunk_grid());
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
std::optional<ProgressReporter> make_progress(std::uint64_t total, bool quiet, bool decoded) {
  ProgressOptions options;
  options.quiet = quiet;
  if (decoded) options.bytes_are = "decoded";
  options.terminal = ::isatty(STDERR_FILENO) != 0;
  return std::optional<ProgressReporter>(std::in_place, std::cerr, total, options);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

Job::Job(const mpi::Collectives& session, CliOptions cli, JobHooks hooks)
    : s_(std::make_unique<State>(session, std::move(cli), std::move(hooks))) {
  s_->report.ranks = session.size();
}

Job::~Job() = default;

const Status& Job::status() const { return s_->status; }

int Job::run() {
  prepare();
  if (const auto code = agree_on_plan()) return *code;
  work();
  agree_on_outcome();
  if (s_->cli.verify) return s_->status.ok() ? verify_outcome() : stop(s_->status.error());
  if (s_->cli.statistics) return statistics_outcome();
  return commit();
}

// ---- the collective points, in their order ----

Result<std::string> Job::point_plan() { return collective(s_->session, s_->session.broadcast(s_->prepared)); }

void Job::point_present() {
  collective(s_->session, s_->session.broadcast(s_->rank0.present));
  s_->present = decode_present(s_->rank0.present);
}

void Job::point_channel() { s_->channel = collective(s_->session, s_->session.open_channel()); }

mpi::Totals Job::point_rounds(const mpi::RankState& out) { return collective(s_->session, s_->channel->finish(out)); }

Status Job::point_work() {
  return collective(s_->session, s_->session.agree(s_->stats.ok() ? Status{} : Status{s_->stats.error()}));
}

void Job::point_stats() {
  s_->report.totals = collective(s_->session, combine_over_ranks(s_->session, s_->local));
  s_->report.per_rank = collective(s_->session, gather_per_rank(s_->session, s_->local));
}

/// [6s] Every rank's partial statistics to rank 0, which merges them (exactly: the order of
/// the ranks does not matter) into each array's "statistics" attribute.
void Job::point_statistics() {
  State& s = *s_;
  const std::vector<std::string> all =
      collective(s.session, s.session.gather(stats::moments_to_bytes(s.moments)));
  if (s.rank != 0 || !s.status.ok()) return;
  std::vector<std::vector<stats::Moments>> merged;
  for (const auto& spec : s.message->statistics) merged.emplace_back(model::num_elements(spec.by_shape));
  for (const std::string& bytes : all) {
    if (const Status added = stats::merge_moments_bytes(bytes, merged); !added.ok()) {
      s.status = added;
      return;
    }
  }
  JobArrays& job = s.rank0.job;
  for (std::size_t i = 0; i < merged.size(); ++i) {
    const stats::ArrayStatisticsSpec& spec = s.message->statistics[i];
    job.statistics_attrs[spec.array] = {{"statistics", stats::statistics_json(spec, merged[i])}};
  }
}

Status Job::point_commit(const Status& local) { return collective(s_->session, s_->session.agree(local)); }

Status Job::point_report(const Status& local) { return collective(s_->session, s_->session.agree(local)); }

Status Job::point_verify(const Status& local) { return collective(s_->session, s_->session.agree(local)); }

std::vector<std::string> Job::point_problems(const std::string& mine) {
  return collective(s_->session, s_->session.gather(mine));
}

Status Job::point_verdict(const Status& rank0_verdict) {
  return collective(s_->session, s_->session.agree(rank0_verdict));
}

// ---- prepare, agree on the plan ----

void Job::prepare() {
  if (s_->rank != 0) return;
  s_->rank0.slurm_job_id = s_->hooks.slurm_job_id;
  s_->rank0.hold_store_lock = s_->hooks.hold_store_lock;
  s_->rank0.s3_environment = s_->hooks.s3_environment;
  s_->prepared = guarded([&] { return prepare_on_rank0(s_->cli, s_->session.size(), s_->rank0); });
}

std::optional<int> Job::agree_on_plan() {
  Result<std::string> wire = point_plan();
  if (!wire.ok()) return stop(wire.error());
  if (s_->cli.plan_only || wire->empty()) return 0;  // a plan only, or a resume with nothing left to do
  s_->message = decode_job_message(wire.value());
  point_present();
  return std::nullopt;
}

// ---- work ----

/// Asked before each batch and chunk, on any worker thread; only the main thread polls
/// the channel (and shows rank 0's progress).
Status Job::check_stop() {
  State& s = *s_;
  if (const int sig = exec::stop_signal())
    return Error{"interrupted by " + exec::signal_name(sig), ExitCode::kInterrupted};
  if (std::this_thread::get_id() == s.main_thread && !s.channel_failed) {
    auto totals = s.channel->poll(mpi::RankState{false, false, false, s.progress.chunks, s.progress.bytes});
    if (!totals.ok()) {
      s.channel_error = totals.error();
      s.channel_failed = true;
    } else {
      if (s.reporter && totals->rounds != s.rounds_shown) {
        s.rounds_shown = totals->rounds;
        s.reporter->update(seconds_since(s.work_start), totals->chunks, totals->bytes);
      }
      if (totals->stop()) s.peer_stop = true;
    }
  }
  if (s.channel_failed) return runtime_error("the run channel failed");
  if (s.peer_stop) return runtime_error(kStoppedByPeer);
  return {};
}

void Job::work() {
  State& s = *s_;
  point_channel();
  if (!s.message.ok()) {
    s.stats = s.message.error();
    return finish_work();
  }
  if (s.cli.verify) s.verifier.emplace(s.message->store, s.message->codec, s.message->format);
  log::init(s.rank, s.message->log_level);
  const plan::RegionPlan& p = s.message->plan;
  s.report.workers = p.options.workers;
  if (s.rank == 0 && !s.cli.verify)
    s.reporter = make_progress(chunks_to_write(p, s.present), s.cli.quiet || s.message->log_level < 1, s.cli.statistics);
  s.work_start = Clock::now();
  s.report.plan = PlanFigures{p.regions.size(), static_cast<std::uint64_t>(p.options.num_jobs),
                              p.options.memory_limit, p.max_batch_footprint, p.total_bytes};
  s.stats = guarded([&] { return work_on_rank(); });
  finish_work();
}

Result<exec::Stats> Job::work_on_rank() {
  State& s = *s_;
  if (s.hooks.fail_work) ZPMPI_RETURN_IF_ERROR(s.hooks.fail_work(s.rank));
  std::unique_ptr<source::Source> own;
  source::Source* source = s.rank0.source.get();
  if (!source) {
    ZPMPI_ASSIGN_OR_RETURN(own, source::open_source(s.message->source));
    source = own.get();
  }
  exec::ExecOptions options{s.message->store, s.message->codec, s.rank};
  options.format = s.message->format;
  options.check = [this] { return check_stop(); };
  if (s.verifier) {
    options.verify_chunk = [&](const model::ArrayLayout& a, const model::Shape& index, std::span<const std::byte> raw) {
      return s.verifier->check(a, index, raw);
    };
    exec::VerifySink sink(options.verify_chunk);
    return run_into(*source, options, sink);
  }
  if (s.cli.statistics) {  // the StatisticsSink in front of it (run_into) does the work; this one counts
    exec::VerifySink sink([&](const model::ArrayLayout&, const model::Shape&, std::span<const std::byte> raw) {
      s.progress.chunks += 1;
      s.progress.bytes += raw.size();
      return Status{};
    });
    return run_into(*source, options, sink);
  }
  options.progress = &s.progress;
  options.fsync = s.message->fsync;
  if (!s.present.empty()) options.present = &s.present;
  if (s.hooks.exec) s.hooks.exec(s.rank, options);
  const int workers = std::max(s.message->plan.options.workers, 1);
  exec::StoreSink sink(options, workers);
  exec::Stats stats;
  if (s.message->append_from.empty()) {
    ZPMPI_ASSIGN_OR_RETURN(stats, run_into(*source, options, sink));
  } else {  // an append: boundary chunks merged with the rows the old store keeps
    std::vector<model::ArrayLayout> parts;
    for (const auto& a : s.message->plan.arrays) parts.push_back(a.layout);
    exec::BoundarySink boundary(sink, {s.message->append_from, s.message->format, s.message->codec}, parts, workers);
    ZPMPI_ASSIGN_OR_RETURN(stats, run_into(*source, options, boundary));
  }
  if (s.rank == 0) ZPMPI_RETURN_IF_ERROR(write_rank0_arrays(*source, stats));
  return stats;
}

/// The rank's chunks into `sink`, through a StatisticsSink when the job has statistics
/// (whose figures this rank then holds in State::moments).
Result<exec::Stats> Job::run_into(source::Source& source, const exec::ExecOptions& options, exec::ChunkSink& sink) {
  State& s = *s_;
  const JobMessage& m = *s.message;
  if (m.statistics.empty()) return exec::run_rank(m.plan, source, options, sink);
  exec::StatisticsSink statistics(sink, m.statistics, {m.store, m.format, m.codec},
                                  std::max(m.plan.options.workers, 1));
  ZPMPI_ASSIGN_OR_RETURN(exec::Stats stats, exec::run_rank(m.plan, source, options, statistics));
  s.moments = statistics.moments();
  return stats;
}

/// Text arrays (one chunk each, from rank 0's source) and coarse index arrays.
Status Job::write_rank0_arrays(source::Source& source, exec::Stats& stats) {
  const State& s = *s_;
  const JobArrays& job = s.rank0.job;
  ZPMPI_ASSIGN_OR_RETURN(const std::uint64_t text,
                         exec::write_text_arrays(job.text_arrays, source, s.message->store, s.message->codec,
                                                                  s.message->format, s.rank));
  for (const auto& a : job.text_arrays) stats.chunks += model::num_elements(a.shape) > 0 ? 1 : 0;
  stats.bytes_written += text;
  ZPMPI_ASSIGN_OR_RETURN(const std::uint64_t coarse, exec::write_coarse_index_arrays(job.coarse_arrays, s.message->store,
                                                                                       s.message->codec, s.message->format, s.rank));
  stats.chunks += job.coarse_arrays.size();
  stats.bytes_written += coarse;
  if (const auto& append = s.rank0.append) {  // the append coordinate, whole
    exec::ExecOptions options{s.message->store, s.message->codec, s.rank};
    options.format = s.message->format;
    exec::StoreSink sink(options, 1);
    const exec::AssembledChunk chunk{append->coordinate, model::Shape{0}, append->coordinate_values};
    ZPMPI_RETURN_IF_ERROR(sink.put(0, chunk, stats));
    ZPMPI_RETURN_IF_ERROR(sink.finish());
  }
  return {};
}

/// Out of work (done, failed or interrupted): wait, without blocking anyone, for every
/// rank to be out too; a failure here reaches the ranks still working within a round.
void Job::finish_work() {
  State& s = *s_;
  s.stopped_by_peer = !s.stats.ok() && s.peer_stop && s.stats.error().message == kStoppedByPeer;
  const bool interrupted = !s.stats.ok() && s.stats.error().code == ExitCode::kInterrupted;
  const mpi::RankState out{!s.stats.ok() && !s.stopped_by_peer && !interrupted, interrupted, true, s.progress.chunks,
                           s.progress.bytes};
  if (s.channel_failed) collective(s.session, s.channel_error);
  s.wait_start = Clock::now();  // from here to the stats this rank waits for the others
  if (s.reporter) {  // rank 0 done early: it keeps showing the others' progress until the last round
    for (;;) {
      const mpi::Totals t = collective(s.session, s.channel->poll(out));
      if (t.rounds != s.rounds_shown) {
        s.rounds_shown = t.rounds;
        s.reporter->update(seconds_since(s.work_start), t.chunks, t.bytes);
      }
      if (t.final()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  s.totals = point_rounds(out);
  if (s.reporter) s.reporter->finish(seconds_since(s.work_start), s.totals.chunks, s.totals.bytes);
  if (s.stopped_by_peer) {  // the failing rank speaks for the job; this one counts what it did
    exec::Stats done;
    done.chunks = s.progress.chunks;
    done.bytes_written = s.progress.bytes;
    s.stats = done;
  }
  log::debug("run channel: " + std::to_string(s.totals.rounds) + " rounds");
}

// ---- agree on the outcome ----

void Job::agree_on_outcome() {
  State& s = *s_;
  s.status = point_work();
  s.local = s.stats.ok() ? s.stats.value() : exec::Stats{};
  if (!s.stats.ok()) {  // failed or interrupted: what it wrote before it stopped is known
    s.local.chunks = s.progress.chunks;
    s.local.bytes_written = s.progress.bytes;
  }
  s.local.peak_rss = peak_rss_bytes();
  s.local.seconds_wait = seconds_since(s.wait_start);
  point_stats();
  if (s.message.ok() && !s.message->statistics.empty()) point_statistics();  // alike on every rank
  if (s.stats.ok()) log::debug("this rank: " + stage_times(s.local, s.report.workers));
}

// ---- commit ----

int Job::commit() {
  State& s = *s_;
  if (s.status.ok() && s.rank == 0) s.status = guarded([&] { return commit_store(); });
  s.status = point_commit(s.status);
  if (!s.status.ok() && s.status.error().code == ExitCode::kInterrupted) return keep_interrupted();
  if (!s.status.ok()) return abandon_failed();
  return finish_report();
}

/// Rank 0: the store made valid and swapped in, unless a source file changed meanwhile.
Status Job::commit_store() {
  Rank0State& r = s_->rank0;
  if (const Status same = check_inputs_unchanged(r.inputs); !same.ok())  // the chunks may mix old and new data
    return runtime_error(same.error().message + ": the store would mix old and new data, so it was not "
                         "written; run the job again once the source files stay unchanged");
  ZPMPI_RETURN_IF_ERROR(add_provenance(s_->rank0, s_->cli, new_run_identity()));
  fill_report(Status{});  // the figures of the closing summary, --stats and the store's stats.json
  ZPMPI_RETURN_IF_ERROR(write_store_stats());  // before the completion document: a complete store has it
  ZPMPI_RETURN_IF_ERROR(write_job_metadata(r.store->build_path(), r.config.zarr_format, r.job, r.config.compressor));
  return s_->rank0.store->commit();
}

/// zpmpi statistics: rank 0 writes the figures into the store's attributes; [7] agree on it.
int Job::statistics_outcome() {
  State& s = *s_;
  if (s.status.ok() && s.rank == 0) s.status = guarded([&] { return write_statistics(); });
  s.status = point_commit(s.status);
  if (!s.status.ok()) return stop(s.status.error());
  return finish_report();
}

Status Job::write_statistics() {
  Rank0State& r = s_->rank0;
  fill_report(Status{});
  const zarr::AttributeChanges changes(r.job.statistics_attrs.begin(), r.job.statistics_attrs.end());
  return zarr::update_array_attributes(r.statistics_store->store(), r.statistics_store->references().format, changes);
}

/// Resumable: the copy keeps every complete chunk; no temporary file is left (each rank
/// finished the chunk in flight). The lock is released: --resume takes it again.
int Job::keep_interrupted() {
  State& s = *s_;
  if (s.rank != 0 || !s.rank0.store) return stop(s.status.error());
  const auto& arrays = s.message->plan.arrays;
  const bool sharded = std::any_of(arrays.begin(), arrays.end(), [](const auto& a) { return !a.layout.shards.empty(); });
  const Error stopped{s.status.error().message + ": stopped after " + std::to_string(s.totals.chunks) + " of " +
                          std::to_string(planned_chunks(s.message->plan)) + " chunks" +
                          (sharded ? " (those of shards not yet complete are written again)" : "") +
                          "; the partial store is kept in " +
                          s.rank0.store->build_path().string() +
                          "; run the same command with --resume to finish the job",
                      ExitCode::kInterrupted};
  fill_report(stopped);  // the kept copy's stats.json: this run's, with its error
  if (const Status written = write_store_stats(); !written.ok()) log::warn(written.error().message);
  s.rank0.store->keep();
  return stop(stopped);
}

/// Only this run's copy is removed: the store itself is as it was.
int Job::abandon_failed() {
  State& s = *s_;
  const int code = stop(s.status.error());
  if (s.rank == 0 && s.rank0.store) {
    const Status removed = s.rank0.store->abandon();
    log::warn(removed.ok() ? "removed the incomplete copy " + s.rank0.store->build_path().string() + "; " +
                                 s.rank0.store->path().string() + " is unchanged"
                           : removed.error().message);
  }
  return code;
}

/// The closing summary; a --stats file that could not be written fails the run on every
/// rank alike.
int Job::finish_report() {
  State& s = *s_;
  Status reported;
  if (s.rank == 0) {
    // The figures of the store's stats.json (filled in before its .zmetadata), quoted alike.
    log::info("slowest rank per stage: " + stage_times(*s.report.totals, s.report.workers) + " per rank");
    if (s.cli.statistics)
      log::info(statistics_summary(*s.report.totals, s.rank0.job.statistics_attrs.size(), s.report.seconds) + " -> " +
                s.rank0.config.store);
    else
      log::info(summary(*s.report.totals, s.report.arrays, s.report.seconds) + " -> " + s.rank0.config.store);
    const std::string path = stats_file(s.cli, s.rank0.config);
    if (!path.empty()) reported = write_summary(path, s.report);
    if (!reported.ok())
      reported = Error{reported.error().message + " (the store " + s.rank0.config.store + " is complete)",
                       reported.error().code};
  }
  s.status = point_report(reported);
  if (s.status.ok()) return 0;
  if (s.rank == 0) log::error(s.status.error().message);
  return static_cast<int>(s.status.error().code);
}

// ---- the run's summary, on every way out ----

void Job::fill_report(const Status& outcome) {
  State& s = *s_;
  s.report.outcome = outcome;
  s.report.source = s.rank0.source_spec.uris.empty() ? "" : s.rank0.source_spec.uris.front();
  if (s.rank0.statistics_store) s.report.source = s.rank0.statistics_store->store().string();  // not its reference file
  s.report.store = s.rank0.config.store;
  s.report.arrays = s.rank0.job.arrays.size() + s.rank0.job.text_arrays.size() + s.rank0.job.coarse_arrays.size();
  s.report.seconds = seconds_since(s.t0);
  s.report.statistics.clear();
  for (const auto& [array, attrs] : s.rank0.job.statistics_attrs)
    if (const auto* figures = attrs.if_contains("statistics"); figures && figures->is_object())
      s.report.statistics[array] = figures->get_object();
}

/// The --stats file, written on every way out with what is known by then.
Status Job::write_report(const Status& outcome) {
  State& s = *s_;
  const std::string path = stats_file(s.cli, s.rank0.config);
  using StatsFile = Rank0State::StatsFile;
  if (s.rank != 0 || path.empty() || s.rank0.stats_file == StatsFile::kRefused) return {};
  std::error_code ec;
  if (s.rank0.stats_file == StatsFile::kUnchecked && std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
    return runtime_error("--stats " + path + ": not written over: the job was refused before the path could be "
                         "checked against its source and store");
  fill_report(outcome);
  return write_summary(path, s.report);
}

/// The store's own .zpmpi/stats.json, inside the copy: nothing through a link (zarr/store.hpp).
Status Job::write_store_stats() {
  const std::string text = summary_json(s_->report);
  return zarr::write_store_file(s_->rank0.store->build_path(),
                                std::filesystem::path(zarr::kMarkerName) / zarr::kStatsName,
                                std::as_bytes(std::span(text)), std::string(zarr::kStatsName) + ".tmp");
}

/// Rank 0 prints the error and writes --stats; every rank returns its exit code.
int Job::stop(const Error& error) {
  if (s_->rank == 0) {
    log::error(error.message);
    if (const Status written = write_report(error); !written.ok()) log::warn(written.error().message);
  }
  return static_cast<int>(error.code);
}

}  // namespace zpmpi::app
