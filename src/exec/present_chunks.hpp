// Resume: which chunks of the plan's arrays exist already (ExecOptions::present, found by
// the run before the work), so that they are not written again and a batch whose chunks
// all exist is not even read.
#pragma once

#include <cstdint>
#include <vector>

#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::exec {

class PresentChunks {
 public:
  /// `present`: per array of `plan`, a bit per chunk by linear index in C order of the
  /// array's chunk grid; null, or an empty vector for an array: none exists. Both must
  /// outlive this.
  PresentChunks(const plan::RegionPlan& plan, const std::vector<std::vector<bool>>* present)
      : plan_(plan), present_(present) {}

  /// Chunk `index` (grid index) of array `array` exists.
  bool has(std::uint32_t array, const model::Shape& index) const;
  /// Every chunk of `batch` exists.
  bool all(const plan::Batch& batch) const;

 private:
  const plan::RegionPlan& plan_;
  const std::vector<std::vector<bool>>* present_;
};

}  // namespace zpmpi::exec
