#pragma once
// tug-monitor: owns one running container. It is exec'd by tug right after
// the container was cloned (the container stays its child across exec), so
// it only serves channels, one file each:
//   main.cpp    the event loop, run(); libexec/tug-monitor.cpp is its main
//   log.cpp     the container's output into a k8s-file log (podman's format)
//   attach.cpp  the attach socket: output to clients, stdin and resizes back
//   exit.cpp    the exit code and time, written atomically into state.json
//   notify.cpp  sd_notify: READY=1 and MAINPID to systemd, the container's
//               own notifications relayed, READY=1 at the first passed
//               healthcheck (--sdnotify)
//   event.cpp   the die event, appended to tug's event log
//   health.cpp  the healthcheck schedule (tug does the check itself)
// main.cpp runs the event loop. The monitor links no part of tugcore: its
// resident size is paid once per running container. tug links it too: a
// foreground run's monitor-to-be runs the loop in its own process while
// the CLI stays attached, and execs tug-monitor only when the CLI goes away
// with the container still running (see run()).
#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace tug::monitor {

// ---- log.cpp ----
// Where and how the container's output is kept (--log-driver/--log-opt).
struct LogConfig {
  std::string path;                 // k8s-file/json-file: the log file ("": none)
  std::string format = "k8s-file";  // k8s-file | json-file | journald
  long long max_size = 0;           // bytes; 0: no limit
  int max_file = 1;                 // files kept at max_size, the live one included
  std::string tag, id, name;        // journald's CONTAINER_TAG, _ID_FULL, _NAME
};

class LogWriter {
 public:
  // The log file is created (append-only) at the first output.
  void open(const LogConfig& config);
  // Appends data from stream ("stdout"/"stderr"); complete lines are
  // flagged F, a trailing partial line P (continued by the next record).
  // json-file writes docker's {"log","stream","time"} lines instead, a
  // partial line without its "\n"; journald sends one entry per line.
  void write(const char* stream, const char* data, size_t n);

 private:
  // At max_size: the file moves to PATH.1 (older ones one up, the oldest
  // beyond max_file dropped), or is emptied when max_file is 1.
  void rotate();
  void journal(const char* stream, const std::string& line);

  LogConfig config_;
  int fd_ = -1;
  long long size_ = 0;
};

// RFC 3339 with nanoseconds in UTC, the first field of a k8s-file log record.
std::string timestamp_now();

// ---- attach.cpp ----
class AttachServer {
 public:
  // listen_fd: a listening unix socket (may be -1); clients: already
  // connected ones (the foreground `run`'s, or those handed over by a
  // monitor that ran in tug's process).
  void init(int listen_fd, const std::vector<int>& clients);
  // Remembers fd (a client) so that lost() tells when it went away.
  void watch(int fd) { watched_ = fd; }
  bool lost() const { return watched_lost_; }
  const std::vector<int>& clients() const { return clients_; }
  // The container's ends the clients act on (non-blocking); closing one
  // sets it to -1.
  struct Streams {
    int& in;   // write end of its stdin pipe (-i)
    int& out;  // read ends of its stdout and stderr pipes
    int& err;
    int& terminal;  // pty master (-t)
  };
  // Poll entries this server wants watched, appended to fds. While stdin
  // bytes wait for a container that does not read them, no client is read
  // (its frames wait in the socket), only the stdin end for POLLOUT: the
  // monitor never blocks on the container's stdin, so its output flows on.
  void add_poll_fds(std::vector<struct pollfd>& fds, Streams streams) const;
  // Handles readiness: stdin bytes go to the stdin pipe or the terminal,
  // resizes to the terminal; a reader gone closes the stream (kReaderGone).
  void handle(const std::vector<struct pollfd>& fds, Streams streams);
  void broadcast(uint8_t type, const char* data, size_t n);
  void close_all();

 private:
  void drop(int fd);
  // Writes what it can of data (after what waits already) to the stdin end
  // and keeps the rest; a container that closed its stdin drops it all.
  void feed_stdin(Streams s, const char* data, size_t n);

  int listen_fd_ = -1;
  std::string stdin_pending_;
  std::vector<int> clients_;
  int watched_ = -1;
  bool watched_lost_ = false;
};

// ---- exit.cpp ----
struct ExitRecord {
  std::string state_file;
  std::string lock_file;
  std::string started_at;
  int exit_code = 0;
  int restart_count = 0;
  bool durable = true;
  // Set while the monitor waits to restart the container: rm and stop then
  // know whom to wake.
  pid_t monitor_pid = 0;
  unsigned long long monitor_start_time = 0;
};
// Replaces state.json (temp file, fsync, rename) under the container's lock.
bool write_exit_state(const ExitRecord& r);

// ---- notify.cpp ----
// systemd's notify protocol towards the caller's NOTIFY_SOCKET (a path, or
// "@name" for the abstract namespace). Sends are best effort: a unit whose
// manager went away must not take the container down.
class Notifier {
 public:
  // target: $NOTIFY_SOCKET as tug saw it; mode: conmon or container;
  // container_fd: the bound socket the container notifies on (-1 if none).
  void init(const std::string& target, const std::string& mode, int container_fd);
  bool active() const { return !target_.empty(); }
  int container_fd() const { return container_fd_; }
  // At start, once the container's process runs: MAINPID is this process
  // (the unit's main process from now on, so systemd sees the container's
  // exit as ours); READY=1 too in conmon mode.
  void started();
  // healthy mode: READY=1 waits for the container's healthcheck to pass
  // (whoever ran it: the schedule below or a `tug healthcheck run`). Watches
  // health.json in dir (the container's directory) with inotify; returns
  // the fd to poll, -1 when there is none (nothing to wait for, or no
  // inotify instance left: then only the scheduled checks are seen, through
  // recheck_health()).
  int watch_health(const std::string& dir);
  // After the watched fd polled readable: true once READY=1 has been sent
  // (the watch is closed then).
  bool health_changed();
  // After a scheduled check ended: as health_changed(), without inotify.
  bool recheck_health() { return health_waiting_ && check_healthy(); }
  bool waiting_for_health() const { return health_waiting_; }
  // Reads what the container sent and relays it, its MAINPID rewritten
  // to ours (systemd cannot see the container's pid namespace).
  void relay();
  void close_container_socket();

 private:
  bool send(const std::string& msg);
  bool check_healthy();
  std::string target_, mode_;
  int fd_ = -1;  // our datagram socket towards systemd
  int container_fd_ = -1;
  int health_fd_ = -1;  // inotify on the container's directory (healthy mode)
  bool health_waiting_ = false;
  std::string health_file_;
};
// True if health.json's text says the container is healthy.
bool health_is_healthy(const std::string& health_json);
// Rewrites a notification from the container: MAINPID= lines name pid.
std::string rewrite_notification(const std::string& msg, long pid);
// ---- event.cpp ----
// Appends a container event to the log at path (src/events/'s line format).
void log_event(const std::string& path, const std::string& action, const std::string& id,
               const std::vector<std::pair<std::string, std::string>>& attributes);

// ---- health.cpp ----
// Starts argv[0] with argv (posix_spawn, a vfork underneath: no copy of the
// monitor's pages) with default signal dispositions and an empty mask;
// its pid, or -1.
pid_t spawn_plain(std::vector<std::string>& argv);

class HealthChecker {
 public:
  // argv: the command that runs one check; the first runs interval_ms from now.
  void init(long long interval_ms, std::vector<std::string> argv, long long now_ms);
  // How long poll may sleep before the next check is due (-1: no check due).
  int poll_timeout(long long now_ms) const;
  // Starts a check if one is due and none runs.
  void tick(long long now_ms);
  // True if pid was the running check (it ended): the next is due in one interval.
  bool reaped(pid_t pid, long long now_ms);
  // No more checks; a running one is killed and reaped.
  void stop();

 private:
  long long interval_ms_ = 0, next_ms_ = 0;
  pid_t pid_ = 0;
  std::vector<std::string> argv_;
};

// ---- main.cpp ----
// The monitor's whole life, argv as `tug-monitor --help` shows; returns its
// exit status. in_process: the caller is tug's monitor-to-be of a
// foreground run (a fork of the CLI, its inherited fds closed as exec would
// have), which saves the exec of tug-monitor on the way of a short
// container's exit. It monitors in that process while the client given by
// --attach (the CLI) stays connected; once the CLI is gone and the
// container runs on, it execs argv[0] (tug-monitor) with the same argv and
// its other clients as --client, to leave the CLI's memory behind. Should
// that exec fail, it goes on in place.
int run(int argc, char** argv, bool in_process);

}  // namespace tug::monitor
