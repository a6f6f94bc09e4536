#include "zpmpi/app/rank_stats.hpp"

#include <cstdint>
#include <type_traits>

namespace zpmpi::app {

Result<exec::Stats> combine_over_ranks(const mpi::Collectives& session, const exec::Stats& local) {
  exec::Stats totals = local;
  std::vector<mpi::ReduceField> list;
  exec::fields(totals, [&](const char*, auto& field, exec::Combine how) {
    list.push_back({&field, how == exec::Combine::kSum ? mpi::Op::kSum : mpi::Op::kMax});
  });
  ZPMPI_RETURN_IF_ERROR(session.reduce(list));
  return totals;
}

Result<std::vector<exec::Stats>> gather_per_rank(const mpi::Collectives& session, const exec::Stats& local, int root) {
  // The integer fields and the double fields, each in the list's order.
  std::vector<std::uint64_t> ints;
  std::vector<double> reals;
  exec::fields(local, [&](const char*, const auto& field, exec::Combine) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(field)>, double>) reals.push_back(field);
    else ints.push_back(field);
  });
  ZPMPI_ASSIGN_OR_RETURN(const std::vector<std::uint64_t> all_ints, session.gather(std::span<const std::uint64_t>(ints), root));
  ZPMPI_ASSIGN_OR_RETURN(const std::vector<double> all_reals, session.gather(std::span<const double>(reals), root));
  std::vector<exec::Stats> ranks;
  if (session.rank() != root) return ranks;
  for (int r = 0; r < session.size(); ++r) {
    exec::Stats s;
    std::size_t i = r * ints.size(), j = r * reals.size();
    exec::fields(s, [&](const char*, auto& field, exec::Combine) {
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(field)>, double>) field = all_reals.at(j++);
      else field = all_ints.at(i++);
    });
    ranks.push_back(s);
  }
  return ranks;
}

}  // namespace zpmpi::app
