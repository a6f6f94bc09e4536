// Process-wide settings are app's to make (a library module changes nothing outside
// itself): how the process keeps the large buffers the decoders allocate and free.
#pragma once

namespace zpmpi::app {

/// Serves every allocation from the heap and keeps freed memory there (glibc's mallopt:
/// no mmap'ed blocks, trimming only past 2 GB free at the top). HDF5 allocates and frees
/// buffers of a chunk's size for every compressed chunk it decodes; above glibc's mmap
/// threshold (at most 32 MB) each one is a fresh mapping whose pages fault in, zeroed,
/// again: on a 100 MB ERA5 chunk that was a third of the read time. From the heap the
/// next chunk reuses the same pages. Peak memory is unchanged (the plan counts these
/// buffers, source/decode_buffers.hpp). Call once, early, before any large allocation.
/// No-op without glibc.
void keep_freed_memory_resident();

}  // namespace zpmpi::app
