#include "zpmpi/app/cpu_affinity.hpp"

#include <sched.h>

#include <thread>

#include <gtest/gtest.h>

namespace zpmpi::app {
namespace {

TEST(WorkersCpuWarning, OnlyWhenTheWorkersOutnumberTheCpus) {
  EXPECT_EQ(workers_cpu_warning(1, 1), std::nullopt);
  EXPECT_EQ(workers_cpu_warning(2, 2), std::nullopt);
  EXPECT_EQ(workers_cpu_warning(4, 0), std::nullopt);  // unknown: no guess
  EXPECT_EQ(workers_cpu_warning(2, 1),
            "workers 2, but rank 0 may run on 1 CPU (its affinity): its threads take turns there. Give each rank 2 "
            "CPUs: mpirun --bind-to none (or --map-by slot:PE=2), srun --cpus-per-task=2");
  const auto three = workers_cpu_warning(8, 3);
  ASSERT_TRUE(three);
  EXPECT_NE(three->find("may run on 3 CPUs"), std::string::npos) << *three;
}

TEST(CpusOfThisProcess, FollowsTheAffinityMask) {
  // On a thread of its own, so that narrowing its mask leaves the other tests' alone.
  std::thread([] {
    cpu_set_t all;
    CPU_ZERO(&all);
    ASSERT_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
    EXPECT_EQ(cpus_of_this_process(), CPU_COUNT(&all));
    int first = 0;
    while (!CPU_ISSET(first, &all)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
    EXPECT_EQ(cpus_of_this_process(), 1);
  }).join();
}

}  // namespace
}  // namespace zpmpi::app
