#include "network/setup.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "network/forwarder.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::network {

namespace {

constexpr int kReadyTimeoutMs = 10000;

int64_t monotonic_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Closes every fd above stderr except those in keep (in a forked child).
void keep_only_fds(const std::vector<int>& keep) {
  std::vector<int> open;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (struct dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') open.push_back(std::atoi(e->d_name));
    ::closedir(d);
  }
  for (int fd : open)
    if (fd > 2 && std::find(keep.begin(), keep.end(), fd) == keep.end()) ::close(fd);
}

// In a forked child: the signal state a helper program expects.
void reset_signals() {
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) ::signal(s, SIG_DFL);
}

// Dies with the caller (and, after exec of the monitor, with the monitor).
void die_with_parent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);
}

// fork+exec of a helper program: `fds` maps the helper's fd numbers to ours,
// stdout and stderr go to `log`.
Child spawn(const std::vector<std::string>& argv, const std::vector<std::pair<int, int>>& fds,
            const std::string& log, bool pdeathsig) {
  std::vector<char*> cargv;
  std::vector<std::string> copy = argv;
  for (auto& a : copy) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    if (pdeathsig) die_with_parent(parent);
    reset_signals();
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) ::dup2(out, 1), ::dup2(out, 2);
    // Out of the way first: a source may sit on another one's target.
    std::vector<std::pair<int, int>> moved;
    for (auto [target, source] : fds) moved.push_back({target, ::fcntl(source, F_DUPFD, 100)});
    int highest = 2;
    for (auto [target, source] : moved) {
      ::dup2(source, target);
      highest = std::max(highest, target);
    }
    close_fds_from(highest + 1);
    ::execvp(cargv[0], cargv.data());
    std::string msg = std::string("cannot run ") + cargv[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  return Child(pid, Child::OnDestroy::kill_and_wait);
}

std::string log_tail(const std::string& log) {
  std::string text = trim(read_file_if_exists(log).value_or(""));
  if (text.size() > 800) text = "..." + text.substr(text.size() - 800);
  return text.empty() ? "(no message)" : text;
}

// ---- slirp4netns ---------------------------------------------------------

void slirp_api(const std::string& socket_path, const json& request) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (!s || ::connect(s.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("connecting to slirp4netns's API socket " + socket_path);
  std::string body = request.dump();
  write_all(s.get(), body.data(), body.size());
  ::shutdown(s.get(), SHUT_WR);
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(s.get(), buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
  json j = json::parse(reply, nullptr, false);
  if (j.is_discarded()) throw Error(Errc::io, "slirp4netns API: unreadable reply " + quote(reply));
  if (j.contains("error"))
    throw Error(Errc::in_use, "slirp4netns: " + j["error"].value("desc", reply));
}

void start_slirp4netns(const AttachRequest& req, const UniqueFd& lifeline_read, Attachment& a) {
  const Mode& m = req.mode;
  Pipe ready = Pipe::make();
  std::string log = req.files_prefix + "slirp4netns.log";
  std::string api = req.files_prefix + "slirp.sock";
  bool api_needed = m.port_handler == "slirp4netns" && !req.listeners.empty();
  std::vector<std::string> argv = {"slirp4netns", "--configure", "--mtu",     std::to_string(m.mtu),
                                   "--ready-fd",  "3",           "--exit-fd", "4"};
  if (m.cidr != Mode{}.cidr) argv.insert(argv.end(), {"--cidr", m.cidr});
  if (!m.allow_host_loopback) argv.push_back("--disable-host-loopback");
  if (m.enable_ipv6) argv.push_back("--enable-ipv6");
  if (api_needed) {
    ::unlink(api.c_str());
    argv.insert(argv.end(), {"--api-socket", api});
  }
  argv.insert(argv.end(), {std::to_string(req.pid), "tap0"});
  Child slirp = spawn(argv, {{3, ready.write.get()}, {4, lifeline_read.get()}}, log, false);
  ready.write.reset();
  struct pollfd p = {ready.read.get(), POLLIN, 0};
  int n;
  do {
    n = ::poll(&p, 1, kReadyTimeoutMs);
  } while (n < 0 && errno == EINTR);
  char c = 0;
  if (n <= 0 || ::read(ready.read.get(), &c, 1) != 1) {
    slirp.kill(SIGKILL);
    throw Error(Errc::generic,
                "slirp4netns could not set up the container's network" +
                    std::string(n == 0 ? " (no answer in 10 s)" : "") + ": " + log_tail(log),
                ::access("/dev/net/tun", R_OK | W_OK) != 0
                    ? "slirp4netns needs /dev/net/tun readable and writable by you (it is not)"
                    : "");
  }
  if (api_needed) {
    for (const Listener& l : req.listeners)
      slirp_api(api, {{"execute", "add_hostfwd"},
                      {"arguments",
                       {{"proto", l.mapping.protocol},
                        {"host_addr", l.mapping.host_ip.empty() ? "0.0.0.0" : l.mapping.host_ip},
                        {"host_port", l.mapping.host_port},
                        {"guest_port", l.mapping.container_port}}}});
  }
  a.device_helpers.push_back(slirp.detach());
}

// ---- pasta ---------------------------------------------------------------

void start_pasta(const AttachRequest& req, Attachment& a) {
  std::string log = req.files_prefix + "pasta.log";
  std::string pidfile = req.files_prefix + "pasta.pid";
  ::unlink(pidfile.c_str());
  std::vector<std::string> argv = {"pasta",        "--config-net", "--quiet",
                                   "--foreground", "--pid",        pidfile};
  std::vector<std::string> tcp, udp;
  for (const Listener& l : req.listeners) {
    std::string spec = (l.mapping.host_ip.empty() ? "" : l.mapping.host_ip + "/") +
                       std::to_string(l.mapping.host_port) + ":" +
                       std::to_string(l.mapping.container_port);
    (l.mapping.protocol == "udp" ? udp : tcp).push_back(spec);
  }
  argv.insert(argv.end(), {"-t", tcp.empty() ? "none" : join(tcp, ",")});
  argv.insert(argv.end(), {"-u", udp.empty() ? "none" : join(udp, ",")});
  argv.insert(argv.end(), {"-T", "none", "-U", "none"});
  argv.insert(argv.end(), req.mode.pasta_options.begin(), req.mode.pasta_options.end());
  argv.push_back(std::to_string(req.pid));
  Child pasta = spawn(argv, {}, log, true);
  // pasta writes its pid file once the namespace is configured.
  int64_t deadline = monotonic_ms() + kReadyTimeoutMs;
  for (;;) {
    if (!read_file_if_exists(pidfile).value_or("").empty()) break;
    int st;
    if (::waitpid(pasta.pid(), &st, WNOHANG) == pasta.pid()) {
      pasta.detach();
      throw Error(Errc::generic,
                  "pasta could not set up the container's network: " + log_tail(log));
    }
    if (monotonic_ms() > deadline) {
      pasta.kill(SIGKILL);
      throw Error(Errc::generic,
                  "pasta did not configure the container's network in 10 s: " + log_tail(log));
    }
    ::usleep(1000);
  }
  a.device_helpers.push_back(pasta.detach());
}

// ---- the builtin port forwarder ------------------------------------------

void start_forwarder(AttachRequest& req, const UniqueFd& lifeline_read, Attachment& a) {
  UniqueFd userns = open_or_throw("/proc/" + std::to_string(req.pid) + "/ns/user", O_RDONLY);
  UniqueFd netns = open_or_throw("/proc/" + std::to_string(req.pid) + "/ns/net", O_RDONLY);
  std::string target = req.address.empty() ? container_address(req.mode) : req.address;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    die_with_parent(parent);
    ::prctl(PR_SET_NAME, "tug-forwarder");
    std::vector<int> keep = {lifeline_read.get(), userns.get(), netns.get()};
    for (const Listener& l : req.listeners) keep.push_back(l.fd.get());
    keep_only_fds(keep);
    reset_signals();
    ::signal(SIGPIPE, SIG_IGN);
    // The user namespace first: it grants the right to enter the network's.
    if (::setns(userns.get(), CLONE_NEWUSER) != 0 || ::setns(netns.get(), CLONE_NEWNET) != 0)
      ::_exit(1);
    run_forwarder(req.listeners, target, lifeline_read.get());
  }
  a.helpers.push_back(pid);
}

}  // namespace

std::string container_address(const Mode& m) {
  if (m.kind == Mode::Kind::slirp4netns) return slirp_addresses(m.cidr).container;
  return "";
}

std::string host_address(const Mode& m) {
  if (m.kind == Mode::Kind::none) return "";
  if (m.kind == Mode::Kind::slirp4netns && m.allow_host_loopback)
    return slirp_addresses(m.cidr).gateway;
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (struct ifaddrs* a = list; a && found.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || (a->ifa_flags & IFF_LOOPBACK) ||
        !(a->ifa_flags & IFF_UP))
      continue;
    auto* in = reinterpret_cast<struct sockaddr_in*>(a->ifa_addr);
    uint32_t ip = ntohl(in->sin_addr.s_addr);
    if ((ip >> 24) == 127 || (ip >> 16) == 0xa9fe) continue;  // loopback, link-local
    char buf[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf)) found = buf;
  }
  ::freeifaddrs(list);
  return found;
}

std::vector<std::string> nameservers(const Mode& m) {
  if (m.kind == Mode::Kind::slirp4netns) return {slirp_addresses(m.cidr).dns};
  return {};
}

bool forwarder_carries_ports(const Mode& m) {
  return (m.kind == Mode::Kind::slirp4netns && m.port_handler == "builtin") ||
         m.kind == Mode::Kind::bridge;
}

bool helper_available(const Mode& m) {
  if (m.kind == Mode::Kind::slirp4netns) return !find_in_path("slirp4netns").empty();
  if (m.kind == Mode::Kind::pasta) return !find_in_path("pasta").empty();
  return true;
}

void loopback_up() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("socket");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) throw_errno("reading the flags of lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) throw_errno("bringing lo up");
}

Attachment attach(AttachRequest req) {
  Attachment a;
  for (const Listener& l : req.listeners) a.ports.push_back(l.mapping);
  const Mode& m = req.mode;
  bool bridge = m.kind == Mode::Kind::bridge;
  if (m.kind != Mode::Kind::slirp4netns && m.kind != Mode::Kind::pasta && !bridge) return a;
  if ((bridge && req.external && find_in_path("slirp4netns").empty()) ||
      (!bridge && !helper_available(m))) {
    std::string prog = m.kind == Mode::Kind::pasta ? "pasta" : "slirp4netns";
    throw Error(Errc::not_found, prog + " is not installed: the container's network needs it",
                "install it (Debian: apt install " +
                    std::string(m.kind == Mode::Kind::pasta ? "passt" : "slirp4netns") +
                    "), or run with --network none or --network host");
  }
  Pipe lifeline = Pipe::make();
  if (bridge) {
    // Its bridges and its way out (the default route through its
    // network's gateway) come from the rootless network namespace, whose
    // slirp4netns serves every container there; published ports are its
    // own, as with the default network.
    if (!req.listeners.empty()) start_forwarder(req, lifeline.read, a);
  } else if (m.kind == Mode::Kind::pasta) {
    start_pasta(req, a);
  } else {
    start_slirp4netns(req, lifeline.read, a);
    if (forwarder_carries_ports(m) && !req.listeners.empty())
      start_forwarder(req, lifeline.read, a);
  }
  a.lifeline = std::move(lifeline.write);
  return a;
}

}  // namespace tug::network
