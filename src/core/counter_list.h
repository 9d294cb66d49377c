#pragma once
// Counters declared once, as an X-macro list of (field, "metric_name") pairs (as Envoy's
// ALL_..._STATS(COUNTER) lists): FTPGATE_COUNTERS_OF(LIST) inside a struct makes a uint64_t
// field per entry, for_each(f), which calls f(std::string_view name, uint64_t value) in list
// order, and add(other), which adds another instance's values (the workers' totals). Metrics,
// status and summaries walk for_each, so no name is written out twice.
#include <cstdint>
#include <string_view>

#define FTPGATE_COUNTER_FIELD(field, name) uint64_t field = 0;
#define FTPGATE_COUNTER_VISIT(field, name) f(std::string_view(name), field);
#define FTPGATE_COUNTER_ADD(field, name) field += o.field;
#define FTPGATE_COUNTERS_OF(LIST)            \
  LIST(FTPGATE_COUNTER_FIELD)                \
  template <class F>                         \
  void for_each(F&& f) const {               \
    LIST(FTPGATE_COUNTER_VISIT)              \
  }                                          \
  /* adds another instance's values (gauges too: the sum of the parts) */ \
  template <class T>                         \
  void add(const T& o) {                     \
    LIST(FTPGATE_COUNTER_ADD)                \
  }
