#pragma once
// The daemon's two clocks, in microseconds: the monotonic one every decision is timed by
// (core's Micros), and the wall clock logs and metrics state times in.
#include <time.h>

#include <cstdint>

#include "core/policy.h"

namespace ftpgate {

inline int64_t wall_clock_micros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

inline Micros monotonic_micros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Micros{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace ftpgate
