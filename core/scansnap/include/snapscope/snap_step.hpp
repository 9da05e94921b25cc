// The Scan-and-Snap snap step (the step at which the attention stops moving), as the sweep's snap_step column, the
// loss curve's marker and the README define it.
#pragma once

#include <cstdint>
#include <vector>

#include "snapscope/lab.hpp"
#include "snapscope/scansnap_run.hpp"

namespace snapscope {

// The snap step: when the attention has frozen, measured against how far it has already moved, so the same tolerance
// means the same thing for 20 tokens or 2000. For each class n and recorded step s:
//   D_n(s) = TV(c_0, c_s) = 1/2 sum_l |c_s(l) - c_0(l)|                the distance moved so far, and
//   E_n(s) = 1/2 sum_l max_{t >= s} |c_t(l) - c_s(l)|                  the envelope of all later movement (it bounds
//                                                                      every later TV distance to c_s from above).
// The snap step is the first recorded s with E_n(s) <= tol * D_n(s) for every class (a class that never moves counts
// as frozen), provided the run goes on for at least `window` steps after s; -1 if there is none. The attention
// vectors hold the classes' rows one after another (num_classes rows of equal length). One backward pass: O(records
// x classes x tokens).
std::int64_t snap_step(const std::vector<std::int64_t>& steps, const std::vector<const std::vector<double>*>& attention,
                       std::size_t num_classes, double tol = kSnapTolerance, int window = kSnapWindow);
std::int64_t snap_step(const std::vector<const MatrixRecord*>& records, std::size_t num_classes, double tol = kSnapTolerance,
                       int window = kSnapWindow);

}  // namespace snapscope
