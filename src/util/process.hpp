#pragma once
// Child processes with an owner. A Child is either waited for, killed, or
// explicitly detached; it is never silently leaked as a zombie.
#include <sys/types.h>

#include <string>
#include <vector>

namespace tug {

class Child {
 public:
  enum class OnDestroy { kill_and_wait, wait, detach };
  Child() = default;
  Child(pid_t pid, OnDestroy policy) : pid_(pid), policy_(policy) {}
  Child(Child&& o) noexcept;
  Child& operator=(Child&& o) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  explicit operator bool() const { return pid_ > 0; }
  // Waits and returns the raw wait status; the Child is then empty.
  int wait();
  void kill(int sig);
  pid_t detach();

 private:
  pid_t pid_ = -1;
  OnDestroy policy_ = OnDestroy::kill_and_wait;
};

// Exit code as a shell reports it: the exit status, or 128+signal.
int exit_code_of(int wait_status);

struct CommandResult {
  int status = 0;   // exit_code_of()
  std::string out;  // captured stdout (if asked)
  std::string err;  // captured stderr
};

// Runs argv[0] (PATH lookup) with the given argv; captures stdout/stderr.
// Throws Error(not_found) if the program cannot be executed.
CommandResult run_command(const std::vector<std::string>& argv);

// Finds a program in PATH; empty if absent.
std::string find_in_path(const std::string& name);

// Path of a helper installed beside tug: <bindir>/../libexec/tug/<name>;
// TUG_LIBEXEC_DIR overrides (tests run helpers from the build tree).
std::string libexec_path(const std::string& name);

// Closes every fd >= lowfd except those in keep (close_range where available).
void close_fds_from(int lowfd);

// What an exec would do to the process, for one that goes on without it:
// closes every fd above 2 marked close-on-exec and resets each caught
// signal to its default action (ignored ones stay ignored).
void reset_as_exec();

}  // namespace tug
