#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>

#include "monitor/monitor.hpp"

namespace tug::monitor {

namespace {

// Minimal JSON string escaping: the fields are timestamps tug produced.
std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The store's reserve: a preallocated file (Store::create makes it) that
// takes the exit record when the filesystem is full, so that a container
// that filled the disk still has its real exit code recorded. Claimed by
// a rename (one writer wins), filled in place, renamed over the state.
bool write_into_reserve(const std::string& state_file, const std::string& body) {
  std::string dir = state_file.substr(0, state_file.rfind('/'));  // containers/<id>
  std::string containers = dir.substr(0, dir.rfind('/'));         // containers
  std::string reserve = containers.substr(0, containers.rfind('/')) + "/reserve";
  std::string mine = state_file + ".reserve-" + std::to_string(::getpid());
  if (::rename(reserve.c_str(), mine.c_str()) != 0) return false;
  int fd = ::open(mine.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 &&
            ::pwrite(fd, body.data(), body.size(), 0) == static_cast<ssize_t>(body.size()) &&
            ::ftruncate(fd, static_cast<off_t>(body.size())) == 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  ok = ok && ::rename(mine.c_str(), state_file.c_str()) == 0;
  if (!ok) ::unlink(mine.c_str());
  return ok;
}

}  // namespace

bool write_exit_state(const ExitRecord& r) {
  int lock = ::open(r.lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  std::string body = "{\"status\":\"exited\",\"pid\":0,\"pid_start_time\":0,\"monitor_pid\":" +
                     std::to_string(r.monitor_pid) +
                     ",\"monitor_start_time\":" + std::to_string(r.monitor_start_time) +
                     ",\"exit_code\":" + std::to_string(r.exit_code) +
                     ",\"restart_count\":" + std::to_string(r.restart_count) +
                     ",\"started_at\":" + json_quote(r.started_at) +
                     ",\"finished_at\":" + json_quote(timestamp_now()) + "}";
  std::string tmp = r.state_file + ".tmp-" + std::to_string(::getpid());
  bool ok = false;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
         (!r.durable || ::fsync(fd) == 0);
    ::close(fd);
    ok = ok && ::rename(tmp.c_str(), r.state_file.c_str()) == 0;
    if (!ok) ::unlink(tmp.c_str());
  }
  if (!ok) ok = write_into_reserve(r.state_file, body);
  if (lock >= 0) ::close(lock);
  return ok;
}

}  // namespace tug::monitor
