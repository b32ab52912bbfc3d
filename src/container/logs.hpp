#pragma once
// Reading a container's log, for `tug logs`, compose's logs and the API's
// GET /containers/{id}/logs: a k8s-file or json-file log (with the files
// its rotation left beside it), or the journal. The monitor writes it
// (monitor/log.cpp); this only reads.
#include <stdint.h>

#include <functional>
#include <string>

#include "container/container.hpp"

namespace tug::container {

// One record of the log: "TIME STREAM F|P TEXT" (k8s-file; F ends a line,
// P continues in the next record) or docker's json-file line.
struct LogRecord {
  std::string time;
  bool err = false;
  bool full = true;
  std::string text;
};
// False for lines that are not records.
bool parse_log_record(const std::string& line, LogRecord* r);

// --since/--until: RFC 3339, a unix time (a fraction is dropped), or a
// duration ago ("10m", "2h", "30s"); empty: none_value. Error(usage)
// naming flag otherwise.
int64_t parse_log_time(const std::string& s, const char* flag, int64_t none_value);

struct LogQuery {
  int64_t since = INT64_MIN, until = INT64_MAX;  // seconds since the epoch
  long tail = -1;                                // lines from the end; -1: all
  bool follow = false;
};

// Calls emit for each record of rec's log that the query selects, oldest
// first; with follow, then for each new one until the container is no
// longer running. Stops early when emit returns false, or (while
// following and idle) when alive returns false: the reader went away.
// Error(unsupported) for the none and passthrough drivers, which keep
// nothing.
void read_logs(const Store& store, const Record& rec, const LogQuery& q,
               const std::function<bool(const LogRecord&)>& emit,
               const std::function<bool()>& alive = {});

}  // namespace tug::container
