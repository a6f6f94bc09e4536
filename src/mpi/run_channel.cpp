// The run channel's rounds of MPI_Iallreduce: see run_channel.hpp.
#include "zpmpi/mpi/run_channel.hpp"

#include <mpi.h>

#include <array>
#include <thread>

namespace zpmpi::mpi {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kFields = 5;  // failed, interrupted, done, chunks, bytes

Status mpi_status(const char* operation, int code) {
  if (code == MPI_SUCCESS) return {};
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
  return runtime_error(mpi_failure_text(operation, code, std::string_view(text, static_cast<std::size_t>(len))));
}

}  // namespace

struct RunChannel::State {
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Request request = MPI_REQUEST_NULL;  ///< the round in flight, if any
  std::array<std::uint64_t, kFields> send{}, recv{};
  std::chrono::milliseconds min_interval{20};
  Clock::time_point last_start{};
  int ranks = 1;
  bool ended = false;  ///< a final round has completed: no more rounds

  ~State() {
    // A round still in flight (an error path) cannot be cancelled portably; leave the
    // communicator to MPI_Finalize rather than free it under a pending request.
    if (comm != MPI_COMM_NULL && request == MPI_REQUEST_NULL) (void)MPI_Comm_free(&comm);
  }

  Status start(const RankState& mine) {
    send = {mine.failed ? 1u : 0u, mine.interrupted ? 1u : 0u, mine.done ? 1u : 0u, mine.chunks, mine.bytes};
    last_start = Clock::now();
    return mpi_status("MPI_Iallreduce", MPI_Iallreduce(send.data(), recv.data(), kFields, MPI_UINT64_T, MPI_SUM,
                                                       comm, &request));
  }

  /// Tests the round in flight; true (and `totals` updated) when it has just completed.
  Result<bool> test(Totals& totals) {
    if (request == MPI_REQUEST_NULL) return false;
    int flag = 0;
    ZPMPI_RETURN_IF_ERROR(mpi_status("MPI_Test", MPI_Test(&request, &flag, MPI_STATUS_IGNORE)));
    if (!flag) return false;
    totals.failed = recv[0];
    totals.interrupted = recv[1];
    totals.done = recv[2];
    totals.chunks = recv[3];
    totals.bytes = recv[4];
    totals.rounds += 1;
    totals.ranks = ranks;
    if (totals.final()) ended = true;
    return true;
  }
};

Result<RunChannel> RunChannel::open(const Session& session, std::chrono::milliseconds min_interval) {
  auto state = std::make_unique<State>();
  state->min_interval = min_interval;
  state->ranks = session.size();
  ZPMPI_RETURN_IF_ERROR(mpi_status("MPI_Comm_dup", MPI_Comm_dup(MPI_COMM_WORLD, &state->comm)));
  ZPMPI_RETURN_IF_ERROR(
      mpi_status("MPI_Comm_set_errhandler", MPI_Comm_set_errhandler(state->comm, MPI_ERRORS_RETURN)));
  return RunChannel(std::move(state));
}

RunChannel::RunChannel(std::unique_ptr<State> state) : state_(std::move(state)) { totals_.ranks = state_->ranks; }
RunChannel::RunChannel(RunChannel&&) noexcept = default;
RunChannel& RunChannel::operator=(RunChannel&&) noexcept = default;
RunChannel::~RunChannel() = default;

Result<Totals> RunChannel::poll(const RankState& mine) {
  State& s = *state_;
  if (s.ended) return totals_;
  ZPMPI_ASSIGN_OR_RETURN(bool completed, s.test(totals_));
  (void)completed;
  if (!s.ended && s.request == MPI_REQUEST_NULL && Clock::now() - s.last_start >= s.min_interval)
    ZPMPI_RETURN_IF_ERROR(s.start(mine));
  return totals_;
}

Result<Totals> RunChannel::finish(const RankState& mine) {
  State& s = *state_;
  while (!s.ended) {
    ZPMPI_ASSIGN_OR_RETURN(bool completed, s.test(totals_));
    if (s.ended) break;
    // A round started before this rank was done carries its old state: join the next.
    if (s.request == MPI_REQUEST_NULL) {
      ZPMPI_RETURN_IF_ERROR(s.start(mine));
      continue;
    }
    if (!completed) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return totals_;
}

}  // namespace zpmpi::mpi

namespace zpmpi::mpi {

Result<std::unique_ptr<Channel>> Session::open_channel() const {
  ZPMPI_ASSIGN_OR_RETURN(RunChannel channel, RunChannel::open(*this));
  return std::unique_ptr<Channel>(std::make_unique<RunChannel>(std::move(channel)));
}

}  // namespace zpmpi::mpi
