// The healthcheck schedule: every interval (counted from the end of the
// previous check, as docker counts it) the monitor spawns
// `tug healthcheck run ID`, which execs the check in the container, kills
// it at its timeout and records the result. One check at a time; the
// monitor itself only keeps a deadline and a pid.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "monitor/monitor.hpp"

extern char** environ;

namespace tug::monitor {

void HealthChecker::init(long long interval_ms, std::vector<std::string> argv, long long now_ms) {
  interval_ms_ = interval_ms;
  argv_ = std::move(argv);
  next_ms_ = now_ms + interval_ms;
}

int HealthChecker::poll_timeout(long long now_ms) const {
  if (interval_ms_ <= 0 || pid_ > 0) return -1;
  long long left = next_ms_ - now_ms;
  return left <= 0 ? 0 : static_cast<int>(left > 1 << 30 ? 1 << 30 : left);
}

pid_t spawn_plain(std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], nullptr, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

void HealthChecker::tick(long long now_ms) {
  if (interval_ms_ <= 0 || pid_ > 0 || now_ms < next_ms_) return;
  pid_t pid = spawn_plain(argv_);
  if (pid > 0)
    pid_ = pid;
  else
    next_ms_ = now_ms + interval_ms_;
}

bool HealthChecker::reaped(pid_t pid, long long now_ms) {
  if (pid_ <= 0 || pid != pid_) return false;
  pid_ = 0;
  next_ms_ = now_ms + interval_ms_;
  return true;
}

void HealthChecker::stop() {
  interval_ms_ = 0;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
}

}  // namespace tug::monitor
