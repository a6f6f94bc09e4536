#include "zpmpi/mpi/comm.hpp"

#include <mpi.h>

#include <climits>

#include "zpmpi/mpi/launch.hpp"

namespace zpmpi::mpi {
namespace {

// MPI counts are int; plans and messages larger than 2 GiB are sent in pieces.
constexpr std::size_t kPiece = std::size_t{1} << 30;

void broadcast_bytes(char* data, std::size_t size, int root) {
  for (std::size_t off = 0; off < size; off += kPiece) {
    const auto n = static_cast<int>(std::min(kPiece, size - off));
    MPI_Bcast(data + off, n, MPI_CHAR, root, MPI_COMM_WORLD);
  }
}

}  // namespace

Session::Session(int* argc, char*** argv) {
  prefer_local_messaging();  // see launch.hpp: 0.2 s less start-up on one node
  MPI_Init(argc, argv);
  // Errors come back as return codes instead of aborting the job without a message.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() { MPI_Finalize(); }

void Session::broadcast(std::string& value, int root) const {
  std::uint64_t size = value.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, root, MPI_COMM_WORLD);
  value.resize(size);
  broadcast_bytes(value.data(), size, root);
}

Result<std::string> Session::broadcast(const Result<std::string>& value, int root) const {
  // Wire form: [exit code as one char] + payload (the value when the code is 0, else the message).
  std::string wire;
  if (rank_ == root) {
    wire = value.ok() ? std::string(1, '\0') + value.value()
                      : std::string(1, static_cast<char>(value.error().code)) + value.error().message;
  }
  broadcast(wire, root);
  const auto code = static_cast<ExitCode>(wire.empty() ? 1 : wire[0]);
  std::string payload = wire.empty() ? std::string() : wire.substr(1);
  if (code == ExitCode::kOk) return payload;
  return Error{std::move(payload), code};
}

Status Session::agree(const Status& local) const {
  // Lowest failing rank, or size_ when all are ok.
  int mine = local.ok() ? size_ : rank_;
  int first = size_;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == size_) return {};
  Error carried = local.ok() ? Error{} : local.error();
  std::string wire = rank_ == first ? std::string(1, static_cast<char>(carried.code)) + carried.message
                                    : std::string();
  broadcast(wire, first);
  Error error{wire.substr(1), static_cast<ExitCode>(wire[0])};
  if (first != 0) error.message = "rank " + std::to_string(first) + ": " + error.message;
  return error;
}

std::vector<std::uint64_t> Session::sum(const std::vector<std::uint64_t>& values) const {
  std::vector<std::uint64_t> out(values.size());
  MPI_Allreduce(values.data(), out.data(), static_cast<int>(values.size()), MPI_UINT64_T,
                MPI_SUM, MPI_COMM_WORLD);
  return out;
}

std::vector<double> Session::max(const std::vector<double>& values) const {
  std::vector<double> out(values.size());
  MPI_Allreduce(values.data(), out.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_MAX,
                MPI_COMM_WORLD);
  return out;
}

std::string Session::processor_name() const {
  char name[MPI_MAX_PROCESSOR_NAME];
  int len = 0;
  MPI_Get_processor_name(name, &len);
  return std::string(name, static_cast<std::size_t>(len));
}

}  // namespace zpmpi::mpi
