// The parts of the MPI layer that need no running MPI: error text and the thread level.
// The collectives themselves run under mpirun in the integration suite (fail_rank, mpi_failure).
#include "zpmpi/mpi/comm.hpp"

#include <gtest/gtest.h>

namespace zpmpi::mpi {
namespace {

TEST(MpiFailureText, NamesTheCallAndKeepsMpisTextOnOneLine) {
  EXPECT_EQ(mpi_failure_text("MPI_Bcast", 16, "MPI_ERR_OTHER: known error not in list"),
            "MPI_Bcast failed: MPI_ERR_OTHER: known error not in list");
  EXPECT_EQ(mpi_failure_text("MPI_Allreduce", 5, "  MPI_ERR_TRUNCATE:\nmessage truncated\r\n"),
            "MPI_Allreduce failed: MPI_ERR_TRUNCATE: message truncated");
}

TEST(MpiFailureText, FallsBackToTheCodeWhenMpiHasNoText) {
  EXPECT_EQ(mpi_failure_text("MPI_Gather", 42, ""), "MPI_Gather failed: error code 42");
  EXPECT_EQ(mpi_failure_text("MPI_Gather", 42, " \n "), "MPI_Gather failed: error code 42");
}

TEST(ThreadLevel, FunneledOrMoreIsEnough) {
  EXPECT_EQ(kRequiredThreadLevel, ThreadLevel::kFunneled);
  EXPECT_TRUE(check_thread_level(ThreadLevel::kFunneled).ok());
  EXPECT_TRUE(check_thread_level(ThreadLevel::kSerialized).ok());
  EXPECT_TRUE(check_thread_level(ThreadLevel::kMultiple).ok());
}

TEST(ThreadLevel, SingleIsRefusedNamingBothLevels) {
  const Status s = check_thread_level(ThreadLevel::kSingle);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("provides MPI_THREAD_SINGLE"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("needs MPI_THREAD_FUNNELED"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().code, ExitCode::kRuntime);
}

}  // namespace
}  // namespace zpmpi::mpi
