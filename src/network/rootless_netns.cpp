#include "network/rootless_netns.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::network {

namespace {

constexpr int kReadyTimeoutMs = 10000;

std::string dir_of(const Paths& p) {
  return p.run + "/netns";
}

UniqueFd try_connect(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw Error(Errc::invalid, "socket path too long: " + path);
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(s.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return {};
    throw_errno("connecting to the rootless network namespace's holder at " + path);
  }
  return s;
}

// Starts libexec/tug-netns in a new user namespace (mapped like every
// container) and network namespace, detached in a session of its own, and
// waits until it listens. Its DNS forwarding socket is made here, in the
// host's network namespace, and handed down.
void spawn_holder(const Paths& paths, const userns::Mapping& mapping) {
  std::string bin = libexec_path("tug-netns");
  if (::access(bin.c_str(), X_OK) != 0)
    throw Error(Errc::not_found, "network helper not found at " + bin,
                "reinstall tug: helpers live in <prefix>/libexec/tug next to <prefix>/bin/tug");
  std::string dir = dir_of(paths);
  UniqueFd upstream(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!upstream) throw_errno("socket");
  Pipe ready = Pipe::make();
  Pipe go = Pipe::make();
  // slirp4netns gives the namespace its way out (tap0): it reports on
  // slirp_ready once configured and ends when the holder, which keeps the
  // write end of slirp_exit, is gone.
  std::string slirp = find_in_path("slirp4netns");
  Pipe slirp_ready = Pipe::make();
  Pipe slirp_exit = Pipe::make();
  std::vector<std::string> argv = {bin,      "--socket",    dir + "/ctl.sock",
                                   "--lock", dir + "/lock", "--upstream-fd",
                                   "3",      "--ready-fd",  "4"};
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::string log = dir + "/tug-netns.log";
  pid_t first = ::fork();
  if (first < 0) throw_errno("fork");
  if (first == 0) {
    ::setsid();
    long holder = ::syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, nullptr, nullptr,
                            nullptr, nullptr);
    if (holder == 0) {
      go.write.reset();
      char c;
      if (::read(go.read.get(), &c, 1) != 1) ::_exit(1);  // the maps were not written
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      int devnull = ::open("/dev/null", O_RDWR);
      int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
      ::dup2(err >= 0 ? err : devnull, 2);
      int up = ::fcntl(upstream.get(), F_DUPFD, 10);
      int rd = ::fcntl(ready.write.get(), F_DUPFD, 10);
      int ex = ::fcntl(slirp_exit.write.get(), F_DUPFD, 10);
      ::dup2(up, 3);
      ::dup2(rd, 4);
      ::dup2(ex, 5);
      close_fds_from(6);
      ::execv(cargv[0], cargv.data());
      std::string msg = std::string("cannot run ") + cargv[0] + ": " + std::strerror(errno);
      (void)!::write(4, msg.data(), msg.size());
      ::_exit(127);
    }
    if (holder < 0) {
      std::string msg =
          std::string("creating the rootless network namespace: ") + std::strerror(errno);
      (void)!::write(ready.write.get(), msg.data(), msg.size());
      ::_exit(1);
    }
    try {
      userns::write_id_maps(static_cast<pid_t>(holder), mapping);
    } catch (const std::exception& e) {
      std::string msg = std::string("mapping the rootless network namespace's users: ") + e.what();
      (void)!::write(ready.write.get(), msg.data(), msg.size());
      ::kill(static_cast<pid_t>(holder), SIGKILL);
      ::_exit(1);
    }
    (void)!::write(go.write.get(), "g", 1);
    if (!slirp.empty() && ::fork() == 0) {
      std::vector<std::string> sargv = {
          slirp,        "--configure", "--mtu",     "65520", "--disable-host-loopback",
          "--ready-fd", "3",           "--exit-fd", "4",     std::to_string(holder),
          "tap0"};
      std::vector<char*> sc;
      for (auto& a : sargv) sc.push_back(a.data());
      sc.push_back(nullptr);
      int devnull = ::open("/dev/null", O_RDWR);
      int err = ::open((dir + "/slirp4netns.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
      ::dup2(err >= 0 ? err : devnull, 2);
      int rd = ::fcntl(slirp_ready.write.get(), F_DUPFD, 10);
      int ex = ::fcntl(slirp_exit.read.get(), F_DUPFD, 10);
      ::dup2(rd, 3);
      ::dup2(ex, 4);
      close_fds_from(5);
      ::execv(sc[0], sc.data());
      ::_exit(127);
    }
    ::_exit(0);
  }
  go.read.reset();
  go.write.reset();
  slirp_exit.read.reset();
  slirp_exit.write.reset();
  slirp_ready.write.reset();
  int status = 0;
  while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
  }
  ready.write.reset();
  upstream.reset();
  std::string reply;
  char buf[1024];
  for (;;) {
    struct pollfd p = {ready.read.get(), POLLIN, 0};
    int r = ::poll(&p, 1, kReadyTimeoutMs);
    if (r == 0) throw Error(Errc::io, "the rootless network namespace's holder did not start");
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    ssize_t n = ::read(ready.read.get(), buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  reply = trim(reply);
  if (reply != "ok")
    throw Error(Errc::io,
                "starting the rootless network namespace: " +
                    (reply.empty() ? std::string("the holder exited") : reply),
                "see " + log);
  if (!slirp.empty()) {
    struct pollfd p = {slirp_ready.read.get(), POLLIN, 0};
    char c = 0;
    if (::poll(&p, 1, kReadyTimeoutMs) <= 0 || ::read(slirp_ready.read.get(), &c, 1) != 1)
      log_warn("slirp4netns did not set up the rootless network namespace's way out: " +
               trim(read_file_if_exists(dir + "/slirp4netns.log").value_or("(no message)")));
  }
}

}  // namespace

RootlessNetns RootlessNetns::open(const Paths& paths, const userns::Mapping& mapping,
                                  const std::string& container_id, bool lifeline) {
  std::string dir = dir_of(paths);
  make_dirs(dir, 0700);
  RootlessNetns r;
  r.container_ = container_id;
  // Held while connecting: the holder leaves only when it can take this
  // lock with nobody attached, so it cannot go away under a new client.
  FileLock lock(dir + "/lock");
  std::string sock = dir + "/ctl.sock";
  r.conn_ = try_connect(sock);
  if (!r.conn_) {
    ::unlink(sock.c_str());  // a killed holder's
    spawn_holder(paths, mapping);
    r.conn_ = try_connect(sock);
    if (!r.conn_) throw Error(Errc::io, "the rootless network namespace's holder is not listening");
  }
  send_packet(r.conn_.get(),
              json{{"op", "hello"}, {"container", container_id}, {"lifeline", lifeline}}.dump());
  std::string data;
  if (!recv_packet(r.conn_.get(), data, &r.userns_))
    throw Error(Errc::io, "the rootless network namespace's holder closed the connection");
  json reply = parse_json(data, "the holder's reply");
  if (reply.contains("error"))
    throw Error(Errc::io, "rootless network namespace: " + reply["error"].get<std::string>());
  if (!r.userns_)
    throw Error(Errc::io, "the rootless network namespace's holder sent no namespace");
  return r;
}

json RootlessNetns::call(const json& request, int fd) {
  send_packet(conn_.get(), request.dump(), fd);
  std::string data;
  if (!recv_packet(conn_.get(), data))
    throw Error(Errc::io, "the rootless network namespace's holder closed the connection");
  json reply = parse_json(data, "the holder's reply");
  if (reply.contains("error")) throw Error(Errc::io, reply["error"].get<std::string>());
  return reply;
}

void RootlessNetns::connect(int netns_fd, const std::vector<Endpoint>& endpoints,
                            const std::vector<std::string>& unreachable) {
  call({{"op", "connect"},
        {"container", container_},
        {"endpoints", endpoints},
        {"unreachable", unreachable}},
       netns_fd);
}

void RootlessNetns::disconnect(const std::string& network) {
  call({{"op", "disconnect"}, {"container", container_}, {"network", network}});
}

}  // namespace tug::network
