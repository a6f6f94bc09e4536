// The run channel on one real rank (Open MPI's singleton start, no mpirun): rounds carry
// the rank's state and progress, a failure or an interruption ends them, and finish()
// returns the final round. Several ranks: the integration suite (fail_rank, progress_n2).
// One Session per process (MPI_Init once): ctest runs each test in a process of its own.
#include "zpmpi/mpi/run_channel.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace zpmpi::mpi {
namespace {

using std::chrono::milliseconds;

/// poll() until a round has completed (rounds > 0), at most about a second.
Totals first_round(RunChannel& channel, const RankState& mine) {
  for (int i = 0; i < 1000; ++i) {
    auto totals = channel.poll(mine);
    EXPECT_TRUE(totals.ok()) << totals.error().message;
    if (!totals.ok() || totals->rounds > 0) return totals.ok() ? *totals : Totals{};
    std::this_thread::sleep_for(milliseconds(1));
  }
  ADD_FAILURE() << "no round completed";
  return {};
}

struct OneRank : ::testing::Test {
  int argc = 0;
  char** argv = nullptr;
  Session session{&argc, &argv};
};

TEST_F(OneRank, ARoundCarriesProgressAndFinishReturnsTheFinalRound) {
  ASSERT_TRUE(session.status().ok()) << session.status().error().message;
  auto channel = RunChannel::open(session, milliseconds(0));
  ASSERT_TRUE(channel.ok()) << channel.error().message;
  EXPECT_EQ(channel->totals().rounds, 0u);  // nothing known before a round completes
  const Totals working = first_round(*channel, RankState{false, false, false, 3, 300});
  EXPECT_EQ(working.ranks, 1);
  EXPECT_EQ(working.chunks, 3u);
  EXPECT_EQ(working.bytes, 300u);
  EXPECT_FALSE(working.final());
  auto last = channel->finish(RankState{false, false, true, 5, 500});
  ASSERT_TRUE(last.ok()) << last.error().message;
  EXPECT_TRUE(last->final());
  EXPECT_FALSE(last->stop());
  EXPECT_EQ(last->done, 1u);
  EXPECT_EQ(last->chunks, 5u);
  EXPECT_GT(last->rounds, working.rounds);
}

TEST_F(OneRank, AFailureEndsTheRoundsAndEveryLaterPollReturnsTheFinalOne) {
  ASSERT_TRUE(session.status().ok()) << session.status().error().message;
  auto channel = RunChannel::open(session, milliseconds(0));
  ASSERT_TRUE(channel.ok()) << channel.error().message;
  const Totals failed = first_round(*channel, RankState{true, false, true, 1, 10});
  EXPECT_TRUE(failed.stop());
  EXPECT_TRUE(failed.final());
  EXPECT_EQ(failed.failed, 1u);
  // After a final round no new one starts: the totals stay those of the final round.
  auto again = channel->poll(RankState{false, false, false, 9, 90});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rounds, failed.rounds);
  EXPECT_EQ(again->chunks, 1u);
  auto last = channel->finish(RankState{true, false, true, 1, 10});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->rounds, failed.rounds);
}

TEST_F(OneRank, AnInterruptedRankStopsTheJobAsResumable) {
  ASSERT_TRUE(session.status().ok()) << session.status().error().message;
  auto channel = RunChannel::open(session, milliseconds(0));
  ASSERT_TRUE(channel.ok()) << channel.error().message;
  auto last = channel->finish(RankState{false, true, true, 2, 20});
  ASSERT_TRUE(last.ok()) << last.error().message;
  EXPECT_TRUE(last->stop());
  EXPECT_EQ(last->interrupted, 1u);
  EXPECT_EQ(last->failed, 0u);
}

}  // namespace
}  // namespace zpmpi::mpi
