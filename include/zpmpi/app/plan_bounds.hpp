// The bounds the planner asks of the modules that own them (plan::OwnerBounds): the job's
// chunk codec publishes its encoded size bound, the source its decode buffers and the
// largest stored chunk it reads. app is the one place that sees all three.
#pragma once

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::app {

/// codec::encoded_size_bound(codec.id), source::max_stored_chunk_bytes and
/// source::kDecodeChunkBuffers.
plan::OwnerBounds owner_bounds(const codec::CodecSpec& codec);

}  // namespace zpmpi::app
