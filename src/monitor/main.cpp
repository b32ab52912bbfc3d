// tug-monitor's event loop, run(). Started by exec from tug after the
// container's first process was cloned (so that process is our child), with
// every channel already open, or called in tug's own monitor-to-be (a
// foreground run); see monitor.hpp and `tug-monitor --help`.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "monitor/monitor.hpp"
#include "monitor/protocol.hpp"

using namespace tug::monitor;

extern char** environ;

namespace {

struct Options {
  pid_t pid = -1;  // the container's first process (our child)
  std::string state, lock, log, socket_path, started_at;
  int out = -1, err = -1;    // read ends of the container's stdout/stderr pipes
  int terminal = -1;         // pty master (-t): output and input both
  int in = -1;               // write end of the container's stdin pipe (-i)
  int listen = -1;           // listening attach socket
  int attach = -1;           // pre-connected client (foreground run)
  std::vector<int> clients;  // clients handed over by an in-process monitor
  int restart_count = 0;
  bool durable = true;  // fsync the exit record (not for --rm containers)
  // The container dies with the --attach client: a build's RUN step, whose
  // build was killed, must not run on (no hand-over to tug-monitor then).
  bool kill_on_detach = false;
  // Restart policy, enforced here: after recording an exit the monitor
  // re-execs tug to start the container again, keeping its own pid.
  std::string restart = "no", stop_marker, tug, root, runroot, id;
  // Where `tug update --restart` puts a new policy while the container
  // runs: read at each exit, it replaces --restart.
  std::string restart_file;
  std::string cgroup;                // the container's cgroup, removed once it is empty
  std::vector<std::string> on_exit;  // command exec'd after the exit is recorded
  // The network's helpers, our children, ended with the container: the
  // port forwarder (reaped before the exit is recorded: a stop that
  // returned has freed the ports) and slirp4netns or pasta (after: they own
  // the tap device, whose removal takes the kernel tens of ms). The
  // lifeline is the pipe whose closing ends slirp4netns and the forwarder
  // should we die first.
  std::vector<pid_t> helpers, device_helpers;
  int lifeline = -1;
  // The connection to the rootless network namespace's holder (user-defined
  // networks): the container's endpoints and DNS names live while it is open.
  int hold = -1;
  // --sdnotify (notify.cpp): systemd's socket, the mode, the container's
  // own socket (container mode) and the start's pipe to tell the CLI that
  // systemd has been told.
  std::string sdnotify, notify_socket, notify_path;
  int notify_fd = -1, ready_fd = -1;
  long long health_interval_ms = 0;  // run `tug healthcheck run` this often
  // The pod (exit policy stop) told of this member's final exit through
  // `tug __pod-member-exited POD`.
  std::string pod_exited;
  std::string events, name, image;  // the event log, and the die event's attributes
  LogConfig log_config;             // --log-format, --log-max-size, --log-max-file, --log-*
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(
      stderr,
      "tug-monitor: %s\n"
      "usage: tug-monitor --pid PID --state FILE --lock FILE [--log FILE] [--socket PATH]\n"
      "         [--log-format k8s-file|json-file|journald] [--log-max-size BYTES]\n"
      "         [--log-max-file N] [--log-tag TAG --log-id ID --log-name NAME]\n"
      "         [--listen FD] [--attach FD] [--stdout FD] [--stderr FD] [--terminal FD]\n"
      "         [--client FD]... [--stdin FD] [--started-at TIME] [--restart-count N]\n"
      "         [--restart POLICY] [--restart-file FILE] [--stop-marker FILE]\n"
      "         [--restart-exec TUG --root DIR --runroot DIR --id ID]\n"
      "         [--no-fsync] [--kill-on-detach]\n"
      "         [--cgroup PATH] [--lifeline FD] [--hold FD] [--helper PID]...\n"
      "         [--device-helper PID]... [--sdnotify conmon|container]\n"
      "         [--notify-socket PATH] [--notify-fd FD] [--notify-path PATH]\n"
      "         [--ready-fd FD] [--health-interval MS] [--pod-exited POD]\n"
      "         [--events FILE --name NAME --image IMAGE]\n"
      "         [-- EXIT-COMMAND...]\n"
      "It is started by tug, not by hand.\n",
      why);
  std::exit(125);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) o.on_exit.emplace_back(argv[i]);
      break;
    }
    if (a == "--no-fsync") {
      o.durable = false;
      continue;
    }
    if (a == "--kill-on-detach") {
      o.kill_on_detach = true;
      continue;
    }
    if (i + 1 >= argc) usage(("missing value for " + a).c_str());
    std::string v = argv[++i];
    auto num = [&] { return std::atoi(v.c_str()); };
    if (a == "--pid")
      o.pid = num();
    else if (a == "--state")
      o.state = v;
    else if (a == "--lock")
      o.lock = v;
    else if (a == "--log")
      o.log = v;
    else if (a == "--log-format")
      o.log_config.format = v;
    else if (a == "--log-max-size")
      o.log_config.max_size = std::atoll(v.c_str());
    else if (a == "--log-max-file")
      o.log_config.max_file = num();
    else if (a == "--log-tag")
      o.log_config.tag = v;
    else if (a == "--log-id")
      o.log_config.id = v;
    else if (a == "--log-name")
      o.log_config.name = v;
    else if (a == "--socket")
      o.socket_path = v;
    else if (a == "--started-at")
      o.started_at = v;
    else if (a == "--stdout")
      o.out = num();
    else if (a == "--stderr")
      o.err = num();
    else if (a == "--terminal")
      o.terminal = num();
    else if (a == "--stdin")
      o.in = num();
    else if (a == "--listen")
      o.listen = num();
    else if (a == "--attach")
      o.attach = num();
    else if (a == "--client")
      o.clients.push_back(num());
    else if (a == "--restart-count")
      o.restart_count = num();
    else if (a == "--restart")
      o.restart = v;
    else if (a == "--restart-file")
      o.restart_file = v;
    else if (a == "--stop-marker")
      o.stop_marker = v;
    else if (a == "--restart-exec")
      o.tug = v;
    else if (a == "--root")
      o.root = v;
    else if (a == "--runroot")
      o.runroot = v;
    else if (a == "--id")
      o.id = v;
    else if (a == "--cgroup")
      o.cgroup = v;
    else if (a == "--lifeline")
      o.lifeline = num();
    else if (a == "--hold")
      o.hold = num();
    else if (a == "--helper")
      o.helpers.push_back(num());
    else if (a == "--device-helper")
      o.device_helpers.push_back(num());
    else if (a == "--sdnotify")
      o.sdnotify = v;
    else if (a == "--notify-socket")
      o.notify_socket = v;
    else if (a == "--notify-path")
      o.notify_path = v;
    else if (a == "--notify-fd")
      o.notify_fd = num();
    else if (a == "--ready-fd")
      o.ready_fd = num();
    else if (a == "--health-interval")
      o.health_interval_ms = std::atoll(v.c_str());
    else if (a == "--pod-exited")
      o.pod_exited = v;
    else if (a == "--events")
      o.events = v;
    else if (a == "--name")
      o.name = v;
    else if (a == "--image")
      o.image = v;
    else
      usage(("unknown option " + a).c_str());
  }
  if (o.pid <= 0 || o.state.empty() || o.lock.empty())
    usage("--pid, --state and --lock are required");
  if ((o.health_interval_ms > 0 || !o.pod_exited.empty()) && (o.tug.empty() || o.id.empty()))
    usage("--health-interval and --pod-exited need --restart-exec, --root, --runroot and --id");
  return o;
}

// Docker's rules: always and unless-stopped restart whatever the code;
// on-failure[:N] only after a non-zero exit, at most N times. A manual stop
// or kill (the marker file) or rm prevents any restart.
bool stopped_by_user(const Options& o) {
  // The marker, or the record gone altogether: rm -f removed it.
  return (!o.stop_marker.empty() && ::access(o.stop_marker.c_str(), F_OK) == 0) ||
         ::access(o.state.c_str(), F_OK) != 0;
}

// The policy now: the one `tug update` left, else the one at start.
std::string current_policy(const Options& o) {
  if (o.restart_file.empty()) return o.restart;
  int fd = ::open(o.restart_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return o.restart;
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  std::string p(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!p.empty() && (p.back() == '\n' || p.back() == ' ')) p.pop_back();
  return p.empty() ? o.restart : p;
}

bool should_restart(const Options& o, int exit_code) {
  std::string policy = current_policy(o);
  if (policy == "no" || o.tug.empty()) return false;
  if (stopped_by_user(o)) return false;
  if (policy == "always" || policy == "unless-stopped") return true;
  if (policy.rfind("on-failure", 0) != 0 || exit_code == 0) return false;
  auto colon = policy.find(':');
  if (colon == std::string::npos) return true;
  return o.restart_count < std::atoi(policy.c_str() + colon + 1);
}

long long now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Field 22 of /proc/self/stat, as tug records a process's start time.
unsigned long long own_start_time() {
  char buf[1024];
  int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');
  if (!p) return 0;
  // After ") " comes field 3; skip to field 22.
  for (int field = 2; field < 22 && p; ++field) p = std::strchr(p + 1, ' ');
  return p ? std::strtoull(p + 1, nullptr, 10) : 0;
}

// containers/<id>/state.json -> <id>
std::string id_of_state(const std::string& state) {
  std::string dir = state.substr(0, state.rfind('/'));
  return dir.substr(dir.rfind('/') + 1);
}

// Runs argv with default signal handling and waits for it (best effort).
void run_and_wait(std::vector<std::string> argv) {
  pid_t pid = spawn_plain(argv);
  if (pid > 0)
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

void set_nonblock(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Moves what is readable on fd into the log and to attached clients.
// Returns false at EOF (or EIO: a terminal whose last holder went away).
// A few reads at most, then back to poll: a container that writes without
// pause must not keep the clients' frames (stdin, a reader gone) waiting.
bool pump(int fd, const char* stream, uint8_t frame, LogWriter& log, AttachServer& attach) {
  static char buf[kMaxPayload];
  for (int round = 0; round < 4; ++round) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      log.write(stream, buf, static_cast<size_t>(n));
      attach.broadcast(frame, buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    return false;
  }
  return true;
}

// Execs tug-monitor (argv[0]) with argv, less the CLI's --attach, plus the
// clients still connected. Returns only if the exec failed.
void hand_over(int argc, char** argv, const AttachServer& attach) {
  std::vector<std::string> args;
  int i = 0;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    if (std::strcmp(argv[i], "--attach") == 0) {
      ++i;
      continue;
    }
    args.emplace_back(argv[i]);
  }
  for (int c : attach.clients()) {
    ::fcntl(c, F_SETFD, 0);
    args.insert(args.end(), {"--client", std::to_string(c)});
  }
  args.insert(args.end(), argv + i, argv + argc);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  ::execv(cargs[0], cargs.data());
  std::fprintf(stderr, "tug-monitor: exec %s: %s (monitoring on in place)\n", cargs[0],
               std::strerror(errno));
}

}  // namespace

int tug::monitor::run(int argc, char** argv, bool in_process) {
  if (argc > 1 && std::strcmp(argv[1], "--help") == 0) usage("help");
  Options o = parse(argc, argv);
  ::prctl(PR_SET_NAME, "tug-monitor");

  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  int sfd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  ::signal(SIGPIPE, SIG_IGN);

  LogWriter log;
  o.log_config.path = o.log;
  log.open(o.log_config);
  AttachServer attach;
  std::vector<int> clients = o.clients;
  clients.insert(clients.begin(), o.attach);
  attach.init(o.listen, clients);
  // In tug's process only while its CLI is attached.
  bool in_place = in_process && o.attach >= 0;
  if (in_process && !in_place) hand_over(argc, argv, attach);
  if (in_place || (o.kill_on_detach && o.attach >= 0)) attach.watch(o.attach);
  bool killed = false;
  for (int fd : {o.out, o.err, o.terminal, o.in}) set_nonblock(fd);
  Notifier notifier;
  notifier.init(o.notify_socket, o.sdnotify, o.notify_fd);
  // The container's process has been exec'd before tug exec'd us.
  notifier.started();
  // The CLI that started us waits for this byte: systemd has been told
  // (in healthy mode: READY=1 after the first passed check).
  auto tell_cli = [&o] {
    if (o.ready_fd < 0) return;
    (void)!::write(o.ready_fd, "r", 1);
    ::close(o.ready_fd);
    o.ready_fd = -1;
  };
  std::string dir = o.state.substr(0, o.state.rfind('/'));
  int health_fd = notifier.watch_health(dir);
  if (!notifier.waiting_for_health()) tell_cli();

  HealthChecker health;
  if (o.health_interval_ms > 0)
    health.init(o.health_interval_ms,
                {o.tug, "--root", o.root, "--runroot", o.runroot, "healthcheck", "run", o.id},
                now_ms());

  bool exited = false;
  int exit_code = 0;
  // The container may have exited before this program blocked SIGCHLD (a
  // `true` is done before tug execs us): that signal is gone, so ask once.
  {
    int st;
    if (::waitpid(o.pid, &st, WNOHANG) == o.pid) {
      exited = true;
      exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
  }
  for (;;) {
    if (exited && o.out < 0 && o.err < 0 && o.terminal < 0) break;
    std::vector<struct pollfd> fds = {{sfd, POLLIN, 0}};
    if (o.out >= 0) fds.push_back({o.out, POLLIN, 0});
    if (o.err >= 0) fds.push_back({o.err, POLLIN, 0});
    if (o.terminal >= 0) fds.push_back({o.terminal, POLLIN, 0});
    if (notifier.container_fd() >= 0 && !exited)
      fds.push_back({notifier.container_fd(), POLLIN, 0});
    if (notifier.waiting_for_health() && health_fd >= 0 && !exited)
      fds.push_back({health_fd, POLLIN, 0});
    size_t first_attach = fds.size();
    if (!exited) attach.add_poll_fds(fds, {o.in, o.out, o.err, o.terminal});
    // After the exit, output still buffered in the pipes is drained; a
    // grandchild holding them open (a daemonised process) cannot keep us:
    // the pid namespace ended with its init.
    int n = ::poll(fds.data(), fds.size(), exited ? 200 : health.poll_timeout(now_ms()));
    if (n < 0 && errno != EINTR) break;
    if (n == 0 && exited) break;
    for (size_t i = 0; i < fds.size() && i < first_attach; ++i) {
      if (!fds[i].revents) continue;
      int fd = fds[i].fd;
      if (fd == sfd) {
        struct signalfd_siginfo si;
        while (::read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
          if (si.ssi_signo == SIGCHLD) {
            int st;
            pid_t r;
            while ((r = ::waitpid(-1, &st, WNOHANG)) > 0) {
              if (health.reaped(r, now_ms())) {
                if (notifier.recheck_health()) tell_cli();
                continue;
              }
              if (r != o.pid) {
                // A helper that ended early: its pid may be reused, never signal it.
                std::erase(o.helpers, r);
                std::erase(o.device_helpers, r);
                continue;
              }
              exited = true;
              exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
          } else if (!exited) {
            // systemd stopping the unit, or a user signalling the monitor:
            // the container is what should hear it.
            ::kill(o.pid, static_cast<int>(si.ssi_signo));
          }
        }
      } else if (fd == o.out) {
        if (!pump(fd, "stdout", kStdout, log, attach)) ::close(o.out), o.out = -1;
      } else if (fd == o.err) {
        if (!pump(fd, "stderr", kStderr, log, attach)) ::close(o.err), o.err = -1;
      } else if (fd == o.terminal) {
        if (!pump(fd, "stdout", kStdout, log, attach)) ::close(o.terminal), o.terminal = -1;
      } else if (fd == notifier.container_fd()) {
        notifier.relay();
      } else if (fd == health_fd && notifier.waiting_for_health()) {
        if (notifier.health_changed()) tell_cli();
      }
    }
    if (!exited) {
      std::vector<struct pollfd> afds(fds.begin() + static_cast<long>(first_attach), fds.end());
      attach.handle(afds, {o.in, o.out, o.err, o.terminal});
      health.tick(now_ms());
      if (attach.lost() && o.kill_on_detach) {
        if (!killed) ::kill(o.pid, SIGKILL);
        killed = true;
      } else if (in_place && attach.lost()) {
        in_place = false;
        hand_over(argc, argv, attach);
      }
    }
  }
  health.stop();
  tell_cli();  // never healthy: the CLI waits no longer

  // A last notification sent just before the exit still counts.
  notifier.relay();
  notifier.close_container_socket();
  if (!o.notify_path.empty()) {
    ::unlink(o.notify_path.c_str());
    auto slash = o.notify_path.rfind('/');
    if (slash != std::string::npos) ::rmdir(o.notify_path.substr(0, slash).c_str());
  }
  // The network goes with the container.
  if (o.lifeline >= 0) ::close(o.lifeline);
  if (o.hold >= 0) ::close(o.hold);
  for (pid_t h : o.device_helpers) ::kill(h, SIGKILL);
  for (pid_t h : o.helpers) ::kill(h, SIGKILL);
  for (pid_t h : o.helpers) ::waitpid(h, nullptr, 0);

  bool restart = should_restart(o, exit_code);
  ExitRecord rec{o.state, o.lock, o.started_at, exit_code, o.restart_count, o.durable};
  if (restart) {
    rec.monitor_pid = ::getpid();
    rec.monitor_start_time = own_start_time();
  }
  // The die goes in the log before the state says exited: a `tug stop`
  // waiting on the state logs its stop after it, in docker's order.
  log_event(o.events, "die", o.id.empty() ? id_of_state(o.state) : o.id,
            {{"exitCode", std::to_string(exit_code)}, {"image", o.image}, {"name", o.name}});
  if (!write_exit_state(rec))
    std::fprintf(stderr, "tug-monitor: cannot record the exit in %s\n", o.state.c_str());
  unsigned char code[4] = {
      static_cast<unsigned char>(exit_code), static_cast<unsigned char>(exit_code >> 8),
      static_cast<unsigned char>(exit_code >> 16), static_cast<unsigned char>(exit_code >> 24)};
  attach.broadcast(kExit, reinterpret_cast<char*>(code), sizeof code);
  attach.close_all();
  if (!o.socket_path.empty()) ::unlink(o.socket_path.c_str());
  // Before a restart binds the ports again and before the exit command.
  for (pid_t h : o.device_helpers) ::waitpid(h, nullptr, 0);
  // The pid namespace's other processes die with its init, asynchronously:
  // the cgroup empties within moments.
  for (int i = 0; !o.cgroup.empty() && i < 100; ++i) {
    if (::rmdir(o.cgroup.c_str()) == 0 || errno == ENOENT) break;
    if (errno != EBUSY) break;
    ::usleep(10000);
  }
  if (restart) {
    // Docker's back-off: 100 ms doubling per restart, at most 6.4 s. A
    // signal (rm or stop waking us after writing the marker) ends it early.
    int shift = o.restart_count < 6 ? o.restart_count : 6;
    long long left_ms = 100LL << shift;
    while (left_ms > 0 && !stopped_by_user(o)) {
      long long t0 = now_ms();
      struct pollfd p = {sfd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left_ms)) > 0) {
        struct signalfd_siginfo si;
        while (::read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        }
      }
      left_ms -= now_ms() - t0;
    }
    // An update to --restart=no during the back-off cancels the restart.
    if (stopped_by_user(o) || current_policy(o) == "no") return 0;
    std::string count = std::to_string(o.restart_count + 1);
    std::vector<std::string> args = {
        o.tug, "--root", o.root, "--runroot", o.runroot, "__monitor-restart", o.id, count};
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::execv(cargs[0], cargs.data());
    std::fprintf(stderr, "tug-monitor: exec %s: %s\n", cargs[0], std::strerror(errno));
    return 125;
  }
  // The pod's exit policy, then the exit command (rm of a --rm member).
  if (!o.pod_exited.empty())
    run_and_wait(
        {o.tug, "--root", o.root, "--runroot", o.runroot, "__pod-member-exited", o.pod_exited});
  if (!o.on_exit.empty()) {
    std::vector<char*> args;
    for (auto& a : o.on_exit) args.push_back(a.data());
    args.push_back(nullptr);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "tug-monitor: exec %s: %s\n", args[0], std::strerror(errno));
    return 125;
  }
  return 0;
}
