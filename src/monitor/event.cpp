// The container's die event, appended to tug's event log in the format of
// src/events/ (which the monitor does not link): one line, one write(2) on
// an O_APPEND fd, so it never interleaves with another writer's line.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "monitor/monitor.hpp"

namespace tug::monitor {

namespace {

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

void log_event(const std::string& path, const std::string& action, const std::string& id,
               const std::vector<std::pair<std::string, std::string>>& attributes) {
  if (path.empty()) return;
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  long long nano = static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
  std::string line = "{\"time_nano\":" + std::to_string(nano) +
                     ",\"type\":\"container\",\"action\":" + json_quote(action) +
                     ",\"id\":" + json_quote(id) + ",\"attributes\":{";
  bool first = true;
  for (const auto& [k, v] : attributes) {
    if (!first) line += ',';
    first = false;
    line += json_quote(k) + ":" + json_quote(v);
  }
  line += "}}\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t n = ::write(fd, line.data(), line.size());
  (void)n;
  ::close(fd);
}

}  // namespace tug::monitor
