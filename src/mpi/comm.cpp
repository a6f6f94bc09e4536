#include "zpmpi/mpi/comm.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "zpmpi/mpi/launch.hpp"

namespace zpmpi::mpi {

struct Session::Comm {
  MPI_Comm comm = MPI_COMM_NULL;
};

namespace {

// MPI counts are int; plans and messages larger than 2 GiB are sent in pieces.
constexpr std::size_t kPiece = std::size_t{1} << 30;

ThreadLevel thread_level_of(int provided) {
  if (provided >= MPI_THREAD_MULTIPLE) return ThreadLevel::kMultiple;
  if (provided >= MPI_THREAD_SERIALIZED) return ThreadLevel::kSerialized;
  if (provided >= MPI_THREAD_FUNNELED) return ThreadLevel::kFunneled;
  return ThreadLevel::kSingle;
}

int mpi_thread_level(ThreadLevel level) {
  switch (level) {
    case ThreadLevel::kSingle: return MPI_THREAD_SINGLE;
    case ThreadLevel::kFunneled: return MPI_THREAD_FUNNELED;
    case ThreadLevel::kSerialized: return MPI_THREAD_SERIALIZED;
    case ThreadLevel::kMultiple: return MPI_THREAD_MULTIPLE;
  }
  return MPI_THREAD_SINGLE;
}

/// MPI's text for an error code (MPI_Error_string), empty if MPI cannot say.
std::string error_string(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return {};
  return std::string(text, static_cast<std::size_t>(std::clamp(len, 0, MPI_MAX_ERROR_STRING)));
}

Status failure(const char* operation, int code) {
  return runtime_error(mpi_failure_text(operation, code, error_string(code)));
}

/// Runs one MPI call (unless the test hook fails it) and turns its code into a Status.
template <class Call>
Status checked(const InjectedFailure& inject, const char* operation, int rank, Call&& mpi_call) {
  const int code = inject.applies(operation, rank) ? MPI_ERR_OTHER : mpi_call();
  if (code == MPI_SUCCESS) return {};
  return failure(operation, code);
}

/// One MPI_Allreduce over `values` in place (nothing to do when empty: every rank has the
/// same field list, so all skip alike).
template <class T>
Status allreduce(std::vector<T>& values, MPI_Datatype type, MPI_Op op, MPI_Comm comm, int rank,
                 const InjectedFailure& inject) {
  if (values.empty()) return {};
  std::vector<T> out(values.size());
  ZPMPI_RETURN_IF_ERROR(checked(inject, "MPI_Allreduce", rank, [&] {
    return MPI_Allreduce(values.data(), out.data(), static_cast<int>(values.size()), type, op, comm);
  }));
  values = std::move(out);
  return {};
}

template <class T>
Result<std::vector<T>> gather_values(std::span<const T> values, int root, int rank, int size, MPI_Datatype type,
                                     MPI_Comm comm, const InjectedFailure& inject) {
  std::vector<T> all(rank == root ? values.size() * static_cast<std::size_t>(size) : 0);
  ZPMPI_RETURN_IF_ERROR(checked(inject, "MPI_Gather", rank, [&] {
    return MPI_Gather(values.data(), static_cast<int>(values.size()), type, all.data(), static_cast<int>(values.size()),
                      type, root, comm);
  }));
  return all;
}

}  // namespace

std::string_view thread_level_name(ThreadLevel level) {
  switch (level) {
    case ThreadLevel::kSingle: return "MPI_THREAD_SINGLE";
    case ThreadLevel::kFunneled: return "MPI_THREAD_FUNNELED";
    case ThreadLevel::kSerialized: return "MPI_THREAD_SERIALIZED";
    case ThreadLevel::kMultiple: return "MPI_THREAD_MULTIPLE";
  }
  return "an unknown thread level";
}

Status check_thread_level(ThreadLevel provided) {
  if (provided >= kRequiredThreadLevel) return {};
  return runtime_error("the MPI library provides " + std::string(thread_level_name(provided)) + ", zpmpi needs " +
                       std::string(thread_level_name(kRequiredThreadLevel)) +
                       " (its worker threads run beside the thread that calls MPI); use an MPI build with thread "
                       "support");
}

std::string mpi_failure_text(std::string_view operation, int code, std::string_view mpi_text) {
  std::string text(mpi_text);
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  const auto first = text.find_first_not_of(' ');
  text = first == std::string::npos ? std::string() : text.substr(first, text.find_last_not_of(' ') - first + 1);
  if (text.empty()) text = "error code " + std::to_string(code);
  return std::string(operation) + " failed: " + text;
}

Session::Session(int* argc, char*** argv, InjectedFailure inject) : inject_(std::move(inject)) {
  prefer_local_messaging();  // see launch.hpp: 0.2 s less start-up on one node
  int provided = MPI_THREAD_SINGLE;
  // Before MPI_Init_thread returns, errors are fatal by MPI's default: a failure here
  // usually ends the process with MPI's own message; the check is for the rest.
  const int code = MPI_Init_thread(argc, argv, mpi_thread_level(kRequiredThreadLevel), &provided);
  if (code != MPI_SUCCESS) {
    status_ = failure("MPI_Init_thread", code);
    return;
  }
  initialized_ = true;
  // Every process of this launch learns the same provided level: all stop alike, cleanly.
  status_ = [&]() -> Status {
    // Errors come back as return codes instead of aborting the job without a message.
    ZPMPI_RETURN_IF_ERROR(checked(inject_, "MPI_Comm_set_errhandler", rank_,
                               [] { return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN); }));
    ZPMPI_RETURN_IF_ERROR(checked(inject_, "MPI_Comm_rank", rank_, [&] { return MPI_Comm_rank(MPI_COMM_WORLD, &rank_); }));
    ZPMPI_RETURN_IF_ERROR(checked(inject_, "MPI_Comm_size", rank_, [&] { return MPI_Comm_size(MPI_COMM_WORLD, &size_); }));
    ZPMPI_RETURN_IF_ERROR(check_thread_level(thread_level_of(provided)));
    // From here on a failure may be one rank's alone (MPI_Comm_dup is a collective).
    must_abort_ = true;
    auto comm = std::make_unique<Comm>();
    ZPMPI_RETURN_IF_ERROR(checked(inject_, "MPI_Comm_dup", rank_, [&] { return MPI_Comm_dup(MPI_COMM_WORLD, &comm->comm); }));
    comm_ = std::move(comm);
    ZPMPI_RETURN_IF_ERROR(checked(inject_, "MPI_Comm_set_errhandler", rank_,
                               [&] { return MPI_Comm_set_errhandler(comm_->comm, MPI_ERRORS_RETURN); }));
    must_abort_ = false;
    return {};
  }();
}

Session::~Session() {
  if (!initialized_) return;
  // Nothing to report to from a destructor: the run's outcome is already decided.
  if (comm_ && comm_->comm != MPI_COMM_NULL) (void)MPI_Comm_free(&comm_->comm);
  (void)MPI_Finalize();
}

void Session::abort(int code) const {
  if (initialized_) MPI_Abort(comm_ ? comm_->comm : MPI_COMM_WORLD, code == 0 ? 1 : code);
  std::_Exit(code == 0 ? 1 : code);  // MPI_Abort returned (it should not): end this process at least
}

Status Session::broadcast(std::string& value, int root) const {
  std::uint64_t size = value.size();
  ZPMPI_RETURN_IF_ERROR(checked(inject_, "MPI_Bcast", rank_, [&] { return MPI_Bcast(&size, 1, MPI_UINT64_T, root, comm_->comm); }));
  value.resize(size);
  for (std::size_t off = 0; off < size; off += kPiece) {
    const auto n = static_cast<int>(std::min<std::size_t>(kPiece, size - off));
    ZPMPI_RETURN_IF_ERROR(checked(inject_, "MPI_Bcast", rank_, [&] { return MPI_Bcast(value.data() + off, n, MPI_CHAR, root, comm_->comm); }));
  }
  return {};
}

Result<Result<std::string>> Session::broadcast(const Result<std::string>& value, int root) const {
  // Wire form: [exit code as one char] + payload (the value when the code is 0, else the message).
  std::string wire;
  if (rank_ == root) {
    wire = value.ok() ? std::string(1, '\0') + value.value()
                      : std::string(1, static_cast<char>(value.error().code)) + value.error().message;
  }
  ZPMPI_RETURN_IF_ERROR(broadcast(wire, root));
  const auto code = static_cast<ExitCode>(wire.empty() ? 1 : wire[0]);
  std::string payload = wire.empty() ? std::string() : wire.substr(1);
  if (code == ExitCode::kOk) return Result<std::string>(std::move(payload));
  return Result<std::string>(Error{std::move(payload), code});
}

Result<Status> Session::agree(const Status& local) const {
  // Lowest failing rank, or size_ when all are ok.
  int mine = local.ok() ? size_ : rank_;
  int first = size_;
  ZPMPI_RETURN_IF_ERROR(
      checked(inject_, "MPI_Allreduce", rank_, [&] { return MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm_->comm); }));
  if (first == size_) return Status{};
  Error carried = local.ok() ? Error{} : local.error();
  std::string wire = rank_ == first ? std::string(1, static_cast<char>(carried.code)) + carried.message
                                    : std::string();
  ZPMPI_RETURN_IF_ERROR(broadcast(wire, first));
  if (wire.empty()) return runtime_error("internal: empty failure message from rank " + std::to_string(first));
  Error error{wire.substr(1), static_cast<ExitCode>(wire[0])};
  if (first != 0) error.message = "rank " + std::to_string(first) + ": " + error.message;
  return Status{std::move(error)};
}

Status Session::reduce(std::span<const ReduceField> fields) const {
  // Four buffers, one per (type, op), filled and emptied in the list's order.
  std::vector<std::uint64_t> u64[2];
  std::vector<double> f64[2];
  for (const auto& f : fields) {
    const int k = f.op == Op::kSum ? 0 : 1;
    if (auto* const* u = std::get_if<std::uint64_t*>(&f.value)) u64[k].push_back(**u);
    else f64[k].push_back(*std::get<double*>(f.value));
  }
  const MPI_Op ops[2] = {MPI_SUM, MPI_MAX};
  for (int k = 0; k < 2; ++k) {
    ZPMPI_RETURN_IF_ERROR(allreduce(u64[k], MPI_UINT64_T, ops[k], comm_->comm, rank_, inject_));
    ZPMPI_RETURN_IF_ERROR(allreduce(f64[k], MPI_DOUBLE, ops[k], comm_->comm, rank_, inject_));
  }
  std::size_t next_u64[2] = {0, 0}, next_f64[2] = {0, 0};
  for (const auto& f : fields) {
    const int k = f.op == Op::kSum ? 0 : 1;
    if (auto* const* u = std::get_if<std::uint64_t*>(&f.value)) **u = u64[k][next_u64[k]++];
    else *std::get<double*>(f.value) = f64[k][next_f64[k]++];
  }
  return {};
}

Result<std::vector<std::uint64_t>> Session::gather(std::span<const std::uint64_t> values, int root) const {
  return gather_values(values, root, rank_, size_, MPI_UINT64_T, comm_->comm, inject_);
}

Result<std::vector<double>> Session::gather(std::span<const double> values, int root) const {
  return gather_values(values, root, rank_, size_, MPI_DOUBLE, comm_->comm, inject_);
}

Result<std::vector<std::string>> Session::gather(const std::string& value, int root) const {
  if (value.size() > kPiece) return runtime_error("internal: a gathered text over 1 GiB");
  const std::uint64_t mine = value.size();
  ZPMPI_ASSIGN_OR_RETURN(std::vector<std::uint64_t> sizes, gather(std::span<const std::uint64_t>(&mine, 1), root));
  std::vector<int> counts, displs;
  std::string all;
  if (rank_ == root) {
    std::uint64_t total = 0;
    for (std::uint64_t n : sizes) {
      counts.push_back(static_cast<int>(n));
      displs.push_back(static_cast<int>(total));
      total += n;
    }
    if (total > kPiece) return runtime_error("internal: gathered texts over 1 GiB");
    all.resize(total);
  }
  ZPMPI_RETURN_IF_ERROR(checked(inject_, "MPI_Gatherv", rank_, [&] {
    return MPI_Gatherv(value.data(), static_cast<int>(value.size()), MPI_CHAR, all.data(), counts.data(),
                       displs.data(), MPI_CHAR, root, comm_->comm);
  }));
  std::vector<std::string> out;
  for (std::size_t r = 0; r < counts.size(); ++r) out.push_back(all.substr(displs[r], counts[r]));
  return out;
}

Result<std::string> Session::processor_name() const {
  char name[MPI_MAX_PROCESSOR_NAME];
  int len = 0;
  ZPMPI_RETURN_IF_ERROR(checked(inject_, "MPI_Get_processor_name", rank_, [&] { return MPI_Get_processor_name(name, &len); }));
  return std::string(name, static_cast<std::size_t>(std::clamp(len, 0, MPI_MAX_PROCESSOR_NAME)));
}

}  // namespace zpmpi::mpi
