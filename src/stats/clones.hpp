// ZPMPI_STATS_CLONES (private to src/stats): the hot functions of the statistics in two
// copies, AVX2 and any x86-64, the one for the CPU chosen at load time (GCC's and clang's
// target_clones, an ifunc): a build for generic x86-64 (Spack's) still runs the wide one.
// Elsewhere (aarch64) one copy, for the build's target. Both copies give the same bits: the
// same operations, lane for lane, and no fused multiply-add (-ffp-contract=off).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
#define ZPMPI_STATS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ZPMPI_STATS_CLONES
#endif
