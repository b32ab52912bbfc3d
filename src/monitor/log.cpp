#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "monitor/monitor.hpp"

namespace tug::monitor {

std::string timestamp_now() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf;
}

void LogWriter::open(const std::string& path) {
  path_ = path;
}

void LogWriter::write(const char* stream, const char* data, size_t n) {
  if (n == 0 || path_.empty()) return;
  if (fd_ < 0) {
    // Created on the first output: a container that prints nothing costs
    // no file (readers take a missing log as an empty one).
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      path_.clear();  // no log then, as before; the output still reaches attach clients
      return;
    }
  }
  std::string ts = timestamp_now();
  std::string out;
  size_t start = 0;
  while (start < n) {
    size_t end = start;
    while (end < n && data[end] != '\n') ++end;
    bool full = end < n;
    out += ts;
    out += ' ';
    out += stream;
    out += full ? " F " : " P ";
    out.append(data + start, end - start);
    out += '\n';
    start = full ? end + 1 : end;
  }
  // One write per chunk: O_APPEND keeps concurrent readers from seeing a
  // record torn in the middle.
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    ssize_t w = ::write(fd_, p, left);
    if (w <= 0) return;
    p += w;
    left -= static_cast<size_t>(w);
  }
}

}  // namespace tug::monitor
