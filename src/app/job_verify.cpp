// zpmpi verify's end of the Job (app/job_phases.hpp): after every rank compared its chunks,
// rank 0 compares the metadata and the one-chunk arrays, and every rank's findings are
// reported by key. Exit 0 only when nothing differs; nothing is ever written to the store.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>

#include <unistd.h>

#include <boost/json.hpp>

#include "job_state.hpp"
#include "zpmpi/app/log.hpp"
#include "zpmpi/app/resume_record.hpp"
#include "zpmpi/zarr/metadata.hpp"
#include "zpmpi/exec/text_arrays.hpp"
#include "zpmpi/exec/tile_index_arrays.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_entry.hpp"

namespace zpmpi::app {
namespace {

/// The root attributes of the store at `store` (v2 .zattrs, v3 zarr.json's "attributes"),
/// read without following links; empty when unreadable (the comparison then says so).
boost::json::object root_attributes(const std::filesystem::path& store, zarr::ZarrFormat format) {
  const bool v3 = format == zarr::ZarrFormat::kV3;
  const zarr::StoreFileRead file = zarr::read_store_file(store, v3 ? "zarr.json" : ".zattrs");
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(file.bytes, ec);
  if (file.kind != zarr::EntryKind::kFile || ec || !doc.is_object()) return {};
  if (!v3) return doc.get_object();
  const auto* attrs = doc.get_object().if_contains("attributes");
  return attrs && attrs->is_object() ? attrs->get_object() : boost::json::object{};
}

/// An appended store's statistics were merged from each append's stored figures (Chan's
/// formula in double), not summed exactly as one run over all the data does: where they
/// agree up to that rounding (same_statistics), the store's are taken.
void accept_merged_statistics(Rank0State& state, const std::filesystem::path& store) {
  const bool v3 = state.config.zarr_format == zarr::ZarrFormat::kV3;
  for (auto& [name, attrs] : state.job.statistics_attrs) {
    const zarr::StoreFileRead file =
        zarr::read_store_file(store, std::filesystem::path(name) / (v3 ? "zarr.json" : ".zattrs"));
    auto doc = zarr::parse_store_json(file.bytes);
    if (file.kind != zarr::EntryKind::kFile || !doc.ok() || !doc->is_object()) continue;
    const boost::json::object* holder = &doc->get_object();
    if (v3) {
      const auto* a = holder->if_contains("attributes");
      if (!a || !a->is_object()) continue;
      holder = &a->get_object();
    }
    const auto* stored = holder->if_contains("statistics");
    const auto* exact = attrs.if_contains("statistics");
    if (stored && exact && stored->is_object() && exact->is_object() &&
        same_statistics(stored->get_object(), exact->get_object()))
      attrs["statistics"] = *stored;
  }
}

/// The job's metadata and one-chunk arrays, written into `scratch`, compared with `store`.
/// The provenance's volatile fields (when and which run) are taken from the store.
Status compare_with_scratch(Rank0State& state, const CliOptions& cli, const plan::RegionPlan& plan,
                            const std::filesystem::path& scratch, std::string& problems) {
  const std::filesystem::path store = state.config.store;
  const RunIdentity identity = identity_of(root_attributes(store, state.config.zarr_format));
  ZPMPI_RETURN_IF_ERROR(add_provenance(state, cli, identity));
  if (identity.appended_block) accept_merged_statistics(state, store);
  std::vector<std::string> names;
  for (const auto& a : state.job.arrays) names.push_back(a.name);
  const zarr::ZarrFormat format = state.config.zarr_format;
  ZPMPI_RETURN_IF_ERROR(zarr::create_store(scratch, names, format));
  const codec::CodecSpec& codec = state.config.compressor;
  ZPMPI_RETURN_IF_ERROR(exec::write_text_arrays(state.job.text_arrays, *state.source, scratch, codec, format, 0));
  ZPMPI_RETURN_IF_ERROR(exec::write_coarse_index_arrays(state.job.coarse_arrays, scratch, codec, format, 0));
  ZPMPI_RETURN_IF_ERROR(write_job_metadata(scratch, format, state.job, codec));
  for (const std::string& p : compare_files(scratch, store)) problems += p + "\n";
  std::map<std::string, zarr::ArrayFiles> files;
  for (const auto& a : plan.arrays) files[a.layout.name] = array_files(a.layout, format);
  for (const std::string& p : extra_entries(scratch, store, files)) problems += p + "\n";
  if (const Status same = check_inputs_unchanged(state.inputs); !same.ok())
    return runtime_error(same.error().message + ": the comparison is void; run verify again");
  return {};
}

}  // namespace

/// Rank 0, in a directory of its own (mkdtemp), so that nothing already in the temporary
/// directory (a name another process chose, a planted link) is ever removed.
Status Job::compare_metadata(std::string& problems) {
  std::string made = (std::filesystem::temp_directory_path() / "zpmpi-verify-XXXXXX").string();
  const bool have_dir = ::mkdtemp(made.data()) != nullptr;
  const Status compared = guarded([&]() -> Status {
    if (!have_dir) return runtime_error(made + ": cannot create a temporary directory: " + std::strerror(errno));
    return compare_with_scratch(s_->rank0, s_->cli, s_->message->plan, std::filesystem::path(made) / "store",
                                problems);
  });
  std::error_code ec;
  if (have_dir) std::filesystem::remove_all(made, ec);
  return compared;
}

/// Rank 0: prints every rank's findings (`all`, one text per rank) sorted, one line each,
/// and returns the verdict: ok when there are none, else the error naming the first.
Status Job::report_problems(const std::vector<std::string>& all) {
  std::vector<std::string> problems;
  for (const std::string& text : all)
    for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
      problems.push_back(text.substr(at, nl - at));
  std::sort(problems.begin(), problems.end());
  for (const std::string& p : problems) std::cout << "zpmpi: verify: " << p << "\n";
  std::cout << std::flush;
  const std::string& store = s_->rank0.config.store;
  if (problems.empty()) {
    log::info("verify: " + store + " is exactly this job's output (" + std::to_string(s_->report.totals->chunks) +
              " chunks compared, and its metadata)");
    return {};
  }
  return runtime_error("verify: " + store + " is not this job's output: " + std::to_string(problems.size()) +
                       " problem(s) listed above, first: " + problems.front());
}

int Job::verify_outcome() {
  State& s = *s_;
  std::string mine;
  for (const std::string& p : s.verifier->problems()) mine += p + "\n";
  const Status local = s.rank == 0 ? compare_metadata(mine) : Status{};
  const Status agreed = point_verify(local);
  const std::vector<std::string> all = point_problems(mine);
  if (!agreed.ok()) {
    if (s.rank == 0) log::error(agreed.error().message);
    return static_cast<int>(agreed.error().code);
  }
  // Only rank 0 knows every rank's findings; every rank exits with its verdict.
  const Status verdict = point_verdict(s.rank == 0 ? report_problems(all) : Status{});
  if (verdict.ok()) return 0;
  if (s.rank == 0) log::error(verdict.error().message);
  return static_cast<int>(verdict.error().code);
}

}  // namespace zpmpi::app
