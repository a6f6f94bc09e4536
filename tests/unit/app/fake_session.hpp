// Fake ranks for the Job's tests: mpi::Collectives on threads of one process, no MPI.
// Every collective is an all-gather of one text per rank (two barriers around a slot per
// rank), from which each method computes what Session would return; the run channel is a
// table of every rank's latest RankState. Each rank records the collectives it called, in
// order, so a test can check that every rank passes the same points.
//
//   FakeWorld world(2);
//   std::vector<int> codes = world.run([&](FakeSession& session) { return Job(session, cli).run(); });
#pragma once

#include <barrier>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "zpmpi/mpi/collectives.hpp"

namespace zpmpi::app::testing {

/// What abort() throws: the exit code every rank would end with.
struct FakeAbort {
  int code;
};

class FakeWorld;

class FakeSession : public mpi::Collectives {
 public:
  FakeSession(FakeWorld& world, int rank) : world_(world), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override;

  Status broadcast(std::string& value, int root = 0) const override {
    ZPMPI_ASSIGN_OR_RETURN(auto all, exchange("broadcast", value));
    value = all[root];
    return {};
  }
  Result<Result<std::string>> broadcast(const Result<std::string>& value, int root = 0) const override {
    const std::string mine = rank_ != root ? std::string()
                             : value.ok()  ? std::string(1, '\0') + value.value()
                                           : std::string(1, static_cast<char>(value.error().code)) + value.error().message;
    ZPMPI_ASSIGN_OR_RETURN(auto all, exchange("broadcast result", mine));
    const std::string& wire = all[root];
    if (wire[0] == 0) return Result<std::string>(wire.substr(1));
    return Result<std::string>(Error{wire.substr(1), static_cast<ExitCode>(wire[0])});
  }
  Result<Status> agree(const Status& local) const override {
    const std::string mine = local.ok() ? std::string() : char(local.error().code) + local.error().message;
    ZPMPI_ASSIGN_OR_RETURN(auto all, exchange("agree", mine));
    for (int r = 0; r < size(); ++r)
      if (!all[r].empty())
        return Status{Error{(r ? "rank " + std::to_string(r) + ": " : "") + all[r].substr(1),
                            static_cast<ExitCode>(all[r][0])}};
    return Status{};
  }
  Status reduce(std::span<const mpi::ReduceField> fields) const override {
    std::vector<double> mine;  // the test's figures fit a double exactly
    for (const auto& f : fields) std::visit([&](auto* p) { mine.push_back(static_cast<double>(*p)); }, f.value);
    ZPMPI_ASSIGN_OR_RETURN(auto all, exchange("reduce", bytes_of(std::span<const double>(mine))));
    for (std::size_t i = 0; i < fields.size(); ++i) {
      double v = 0;
      for (int r = 0; r < size(); ++r) {
        const double x = values_of<double>(all[r])[i];
        v = r == 0 ? x : fields[i].op == mpi::Op::kSum ? v + x : std::max(v, x);
      }
      std::visit([&](auto* p) { *p = static_cast<std::remove_cvref_t<decltype(*p)>>(v); }, fields[i].value);
    }
    return {};
  }
  Result<std::vector<std::uint64_t>> gather(std::span<const std::uint64_t> values, int root = 0) const override {
    return gather_values("gather u64", values, root);
  }
  Result<std::vector<double>> gather(std::span<const double> values, int root = 0) const override {
    return gather_values("gather double", values, root);
  }
  Result<std::vector<std::string>> gather(const std::string& value, int root = 0) const override {
    ZPMPI_ASSIGN_OR_RETURN(auto all, exchange("gather text", value));
    if (rank_ != root) return std::vector<std::string>();
    return all;
  }
  Result<std::unique_ptr<mpi::Channel>> open_channel() const override;

  [[noreturn]] void abort(int code) const override { throw FakeAbort{code == 0 ? 1 : code}; }

  /// The collectives this rank called, in order.
  std::vector<std::string> calls;

 private:
  Result<std::vector<std::string>> exchange(const char* what, const std::string& mine) const;

  template <class T>
  static std::string bytes_of(std::span<const T> values) {
    return std::string(reinterpret_cast<const char*>(values.data()), values.size_bytes());
  }
  template <class T>
  static std::vector<T> values_of(const std::string& bytes) {
    std::vector<T> out(bytes.size() / sizeof(T));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    return out;
  }
  template <class T>
  Result<std::vector<T>> gather_values(const char* what, std::span<const T> values, int root) const {
    ZPMPI_ASSIGN_OR_RETURN(auto all, exchange(what, bytes_of(values)));
    std::vector<T> out;
    if (rank_ != root) return out;
    for (const auto& text : all)
      for (T v : values_of<T>(text)) out.push_back(v);
    return out;
  }

  FakeWorld& world_;
  int rank_;
};

class FakeWorld {
 public:
  explicit FakeWorld(int ranks) : ranks_(ranks), barrier_(ranks), slots_(ranks), states_(ranks), finished_(ranks) {}

  int size() const { return ranks_; }

  /// The collective named `what` of `rank` fails (as a broken network would), once. In a
  /// one-rank world only: the other ranks would wait for the aborted one (MPI_Abort would
  /// have ended them).
  void fail(std::string what, int rank) { failures_.insert(std::to_string(rank) + ":" + what); }

  /// Runs `rank_main` on one thread per rank; returns each rank's result (an abort's code).
  std::vector<int> run(const std::function<int(FakeSession&)>& rank_main) {
    sessions_.clear();
    states_.assign(ranks_, mpi::RankState{});
    finished_.assign(ranks_, false);
    for (int r = 0; r < ranks_; ++r) sessions_.emplace_back(std::make_unique<FakeSession>(*this, r));
    std::vector<int> codes(ranks_, -1);
    std::vector<std::thread> threads;
    for (int r = 0; r < ranks_; ++r)
      threads.emplace_back([&, r] {
        try {
          codes[r] = rank_main(*sessions_[r]);
        } catch (const FakeAbort& a) {
          codes[r] = a.code;
        }
      });
    for (auto& t : threads) t.join();
    return codes;
  }
  const FakeSession& session(int rank) const { return *sessions_[rank]; }

 private:
  friend class FakeSession;
  friend class FakeChannel;

  int ranks_;
  std::barrier<> barrier_;
  std::mutex mutex_;
  std::vector<std::string> slots_;
  std::vector<mpi::RankState> states_;  ///< the run channel: each rank's latest state
  std::vector<bool> finished_;          ///< the run channel: ranks in finish()
  std::set<std::string> failures_;
  std::vector<std::unique_ptr<FakeSession>> sessions_;
};

inline int FakeSession::size() const { return world_.size(); }

inline Result<std::vector<std::string>> FakeSession::exchange(const char* what, const std::string& mine) const {
  const_cast<FakeSession*>(this)->calls.push_back(what);
  {
    std::lock_guard lock(world_.mutex_);
    if (world_.failures_.erase(std::to_string(rank_) + ":" + what))
      return runtime_error(std::string("fake ") + what + " failed on rank " + std::to_string(rank_));
    world_.slots_[rank_] = mine;
  }
  world_.barrier_.arrive_and_wait();
  std::vector<std::string> all;
  {
    std::lock_guard lock(world_.mutex_);
    all = world_.slots_;
  }
  world_.barrier_.arrive_and_wait();
  return all;
}

/// Every poll sees every rank's latest state at once; finish() returns when every rank is
/// in it, so all see the same final totals.
class FakeChannel : public mpi::Channel {
 public:
  FakeChannel(FakeWorld& world, int rank) : world_(world), rank_(rank) {}
  Result<mpi::Totals> poll(const mpi::RankState& mine) override {
    std::lock_guard lock(world_.mutex_);
    world_.states_[rank_] = mine;
    return totals();
  }
  Result<mpi::Totals> finish(const mpi::RankState& mine) override {
    for (bool first = true;; first = false) {
      {
        std::lock_guard lock(world_.mutex_);
        if (first) {
          world_.states_[rank_] = mine;
          world_.finished_[rank_] = true;
        }
        if (std::count(world_.finished_.begin(), world_.finished_.end(), true) == world_.size()) return totals();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  mpi::Totals totals() {  // under the world's mutex
    mpi::Totals t;
    for (const auto& s : world_.states_) {
      t.failed += s.failed;
      t.interrupted += s.interrupted;
      t.done += s.done;
      t.chunks += s.chunks;
      t.bytes += s.bytes;
    }
    t.rounds = ++rounds_;
    t.ranks = world_.size();
    return t;
  }
  FakeWorld& world_;
  int rank_;
  std::uint64_t rounds_ = 0;
};

inline Result<std::unique_ptr<mpi::Channel>> FakeSession::open_channel() const {
  ZPMPI_RETURN_IF_ERROR(exchange("open channel", ""));
  return std::unique_ptr<mpi::Channel>(std::make_unique<FakeChannel>(world_, rank_));
}

}  // namespace zpmpi::app::testing
