// tug-netns: holder of the user's rootless network namespace (see
// src/network/rootless_netns.hpp). Started by the first container on a
// user-defined network, as root of a user namespace of its own in a network
// namespace of its own; the bridges of the networks in use live here. It
// plugs containers in on request, answers DNS for their names on each
// bridge (forwarding other names through a socket of the host's network),
// and exits when nothing is attached any more.
//
// tug-netns --socket PATH --lock PATH --upstream-fd FD --ready-fd FD
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "network/dns.hpp"
#include "network/netlink.hpp"
#include "network/rootless_netns.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/lock.hpp"
#include "util/strings.hpp"

using namespace tug;
using network::Endpoint;

namespace {

constexpr int kIdleCheckMs = 200;
constexpr int64_t kUpstreamTimeoutMs = 5000;

int64_t now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct Client {
  UniqueFd fd;
  std::string container;
  bool lifeline = false;
};

struct Bridge {
  std::string network, gateway;
  int prefix = 0;
  bool internal = false;
  UniqueFd dns;  // UDP on gateway:53, when the network has DNS
};

struct Pending {
  struct sockaddr_in client;
  uint16_t id;
  int reply_fd;
  int64_t expires;
};

class Holder {
 public:
  Holder(std::string socket_path, std::string lock_path, int upstream)
      : socket_path_(std::move(socket_path)),
        lock_path_(std::move(lock_path)),
        upstream_(upstream) {
    own_netns_ = open_or_throw("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    own_userns_ = open_or_throw("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
    nl_.set_up("lo");
    upstream_server_ = first_nameserver();
    listen_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof addr.sun_path - 1);
    ::unlink(socket_path_.c_str());
    if (!listen_ || ::bind(listen_.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) ||
        ::listen(listen_.get(), 64))
      throw_errno("listening on " + socket_path_);
  }

  [[noreturn]] void serve() {
    for (;;) {
      std::vector<struct pollfd> fds;
      fds.push_back({listen_.get(), POLLIN, 0});
      fds.push_back({upstream_.get(), POLLIN, 0});
      for (const auto& c : clients_) fds.push_back({c->fd.get(), POLLIN, 0});
      for (const auto& [name, b] : bridges_)
        if (b.dns) fds.push_back({b.dns.get(), POLLIN, 0});
      int timeout = clients_.empty() ? kIdleCheckMs : (pending_.empty() ? -1 : 1000);
      int n = ::poll(fds.data(), fds.size(), timeout);
      if (n < 0 && errno != EINTR) throw_errno("poll");
      expire_pending();
      if (clients_.empty()) leave_if_idle();
      if (n <= 0) continue;
      for (const auto& p : fds) {
        if (!p.revents) continue;
        if (p.fd == listen_.get())
          accept_client();
        else if (p.fd == upstream_.get())
          relay_answer();
        else if (!serve_client(p.fd))
          serve_dns(p.fd);
      }
    }
  }

 private:
  static std::string first_nameserver() {
    for (const auto& line : split(read_file_if_exists("/etc/resolv.conf").value_or(""), '\n')) {
      auto words = split(trim(line), ' ');
      if (words.size() >= 2 && words[0] == "nameserver" && network::parse_ipv4(words[1]))
        return words[1];
    }
    return {};
  }

  void leave_if_idle() {
    // Under the clients' lock: no client is between connecting and hello.
    FileLock lock = FileLock::try_lock(lock_path_);
    if (!lock.held()) return;
    ::unlink(socket_path_.c_str());
    ::_exit(0);  // the namespace, its bridges and sockets go with us
  }

  void accept_client() {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    auto c = std::make_unique<Client>();
    c->fd.reset(fd);
    clients_.push_back(std::move(c));
  }

  // A message (or EOF) from a client; false if fd is not a client's.
  bool serve_client(int fd) {
    auto it = std::find_if(clients_.begin(), clients_.end(),
                           [&](const auto& c) { return c->fd.get() == fd; });
    if (it == clients_.end()) return false;
    Client& c = **it;
    std::string data;
    UniqueFd passed;
    bool open = false;
    try {
      open = recv_packet(fd, data, &passed);
    } catch (const Error&) {
    }
    if (!open) {
      if (c.lifeline && --attached_[c.container].lifelines <= 0) forget(c.container);
      clients_.erase(it);
      return true;
    }
    json reply = {{"ok", true}};
    int reply_fd = -1;
    try {
      json req = parse_json(data, "request");
      std::string op = req.value("op", "");
      std::string container = req.value("container", "");
      if (op == "hello") {
        c.container = container;
        c.lifeline = req.value("lifeline", false);
        if (c.lifeline) attached_[container].lifelines++;
        reply_fd = own_userns_.get();
      } else if (op == "connect") {
        if (!passed) throw Error(Errc::usage, "connect: no network namespace passed");
        connect(container, req.at("endpoints").get<std::vector<Endpoint>>(),
                req.value("unreachable", std::vector<std::string>{}), passed.get());
      } else if (op == "disconnect") {
        disconnect(container, req.value("network", ""));
      } else {
        throw Error(Errc::usage, "unknown request " + quote(op));
      }
    } catch (const std::exception& e) {
      reply = {{"error", e.what()}};
    }
    try {
      send_packet(fd, reply.dump(), reply_fd);
    } catch (const Error&) {
    }
    return true;
  }

  Bridge& bridge_for(const Endpoint& ep) {
    auto it = bridges_.find(ep.bridge);
    if (it != bridges_.end() &&
        (it->second.gateway != ep.gateway || it->second.prefix != ep.prefix ||
         it->second.network != ep.network)) {
      // Another network on this device name now (the old one was removed).
      nl_.delete_link(ep.bridge);
      bridges_.erase(it);
      it = bridges_.end();
    }
    if (it != bridges_.end()) return it->second;
    nl_.create_bridge(ep.bridge, 0);
    nl_.add_address(ep.bridge, ep.gateway, ep.prefix);
    nl_.set_up(ep.bridge);
    Bridge b;
    b.network = ep.network;
    b.gateway = ep.gateway;
    b.prefix = ep.prefix;
    b.internal = ep.internal;
    if (ep.dns) {
      b.dns.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      struct sockaddr_in sa = {};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(53);
      ::inet_pton(AF_INET, ep.gateway.c_str(), &sa.sin_addr);
      if (!b.dns || ::bind(b.dns.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0)
        throw_errno("binding the DNS responder to " + ep.gateway + ":53");
    }
    return bridges_.emplace(ep.bridge, std::move(b)).first->second;
  }

  // A netlink socket of another network namespace (a container's).
  network::netlink::Socket socket_in(int netns_fd) {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) throw_errno("entering the container's network");
    ScopeExit back([&] { ::setns(own_netns_.get(), CLONE_NEWNET); });
    return network::netlink::Socket();
  }

  void connect(const std::string& container, const std::vector<Endpoint>& endpoints,
               const std::vector<std::string>& unreachable, int netns_fd) {
    network::netlink::Socket inside = socket_in(netns_fd);
    for (const auto& ep : endpoints) {
      bridge_for(ep);
      std::string host = network::veth_name(container, ep.bridge);
      nl_.delete_link(host);  // a stale one of an earlier run
      nl_.create_veth(host, ep.bridge, netns_fd, ep.interface, 0);
      nl_.set_up(host);
      // A network joined live was unreachable from here until now.
      inside.delete_unreachable_route(ep.address + "/" + std::to_string(ep.prefix));
      inside.add_address(ep.interface, ep.address, ep.prefix);
      inside.set_up(ep.interface);
      auto& eps = attached_[container].endpoints;
      std::erase_if(eps, [&](const Endpoint& e) { return e.network == ep.network; });
      eps.push_back(ep);
    }
    for (const auto& subnet : unreachable) inside.add_unreachable_route(subnet);
    if (!attached_[container].netns)
      attached_[container].netns.reset(::fcntl(netns_fd, F_DUPFD_CLOEXEC, 3));
    // The way out is this namespace's (slirp4netns's tap0 here, which the
    // starter attached): the container's default route goes through the
    // gateway of its first network that is not internal, so it sees its
    // eth0 alone, as docker's and podman's containers do.
    for (const auto& ep : attached_[container].endpoints)
      if (!ep.internal) {
        enable_forwarding();
        inside.add_default_route(ep.gateway);
        break;
      }
  }

  // Containers' packets leave through tap0. slirp4netns takes any source
  // address; its ARP requests for the containers' addresses are answered
  // here for the bridges behind (proxy ARP).
  void enable_forwarding() {
    if (forwarding_) return;
    for (const char* f :
         {"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/conf/tap0/proxy_arp"})
      try {
        write_file(f, "1");
      } catch (const Error& e) {
        std::cerr << "tug-netns: " << e.what() << "\n";
      }
    forwarding_ = true;
  }

  void disconnect(const std::string& container, const std::string& net) {
    auto& eps = attached_[container].endpoints;
    for (const auto& e : eps)
      if (e.network == net) nl_.delete_link(network::veth_name(container, e.bridge));
    std::erase_if(eps, [&](const Endpoint& e) { return e.network == net; });
    // The default route may have gone with that network's veth: another
    // network with a way out takes it over.
    const UniqueFd& netns = attached_[container].netns;
    for (const auto& ep : eps)
      if (!ep.internal && netns) {
        socket_in(netns.get()).add_default_route(ep.gateway);
        break;
      }
  }

  void forget(const std::string& container) {
    auto it = attached_.find(container);
    if (it == attached_.end()) return;
    for (const auto& e : it->second.endpoints) {
      try {
        nl_.delete_link(network::veth_name(container, e.bridge));
      } catch (const Error& err) {
        std::cerr << "tug-netns: " << err.what() << "\n";
      }
    }
    attached_.erase(it);
  }

  void serve_dns(int fd) {
    auto it = std::find_if(bridges_.begin(), bridges_.end(),
                           [&](const auto& kv) { return kv.second.dns.get() == fd; });
    if (it == bridges_.end()) return;
    const Bridge& b = it->second;
    char buf[1500];
    struct sockaddr_in from = {};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<struct sockaddr*>(&from), &len);
    if (n <= 0) return;
    std::string_view packet(buf, static_cast<size_t>(n));
    auto q = network::dns::parse_query(packet);
    if (!q) return;
    // The asking container (by its address on this bridge) finds names on
    // every network it is on, as docker's resolver does; a name on none of
    // them is not answered here.
    char source[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &from.sin_addr, source, sizeof source);
    std::set<std::string> networks = {b.network};
    for (const auto& [id, a] : attached_)
      for (const auto& e : a.endpoints)
        if (e.network == b.network && e.address == source)
          for (const auto& mine : a.endpoints) networks.insert(mine.network);
    std::vector<std::string> found;
    bool known = false;
    for (const auto& [id, a] : attached_)
      for (const auto& e : a.endpoints)
        if (networks.count(e.network) && e.dns &&
            std::find(e.names.begin(), e.names.end(), q->name) != e.names.end()) {
          known = true;
          found.push_back(e.address);
        }
    std::string reply;
    if (known) {
      if (q->type != network::dns::kTypeA) found.clear();
      reply = network::dns::answer(packet, *q, found);
    } else if (b.internal || q->name.find('.') == std::string::npos) {
      // Nothing leaves an internal network; a single-label name that is no
      // container's is nobody's (resolvers do not send those out either).
      reply = network::dns::error_response(packet, *q, network::dns::kNxDomain);
    } else if (!forward(packet, from, fd)) {
      reply = network::dns::error_response(packet, *q, network::dns::kServFail);
    }
    if (!reply.empty())
      ::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<struct sockaddr*>(&from), len);
  }

  bool forward(std::string_view packet, const struct sockaddr_in& from, int reply_fd) {
    if (upstream_server_.empty() || pending_.size() > 4096) return false;
    uint16_t id;
    do {
      random_bytes(&id, sizeof id);
    } while (pending_.count(id));
    struct sockaddr_in up = {};
    up.sin_family = AF_INET;
    up.sin_port = htons(53);
    ::inet_pton(AF_INET, upstream_server_.c_str(), &up.sin_addr);
    std::string out = network::dns::with_id(packet, id);
    if (::sendto(upstream_.get(), out.data(), out.size(), 0,
                 reinterpret_cast<struct sockaddr*>(&up), sizeof up) < 0)
      return false;
    pending_[id] = {from, network::dns::message_id(packet), reply_fd,
                    now_ms() + kUpstreamTimeoutMs};
    return true;
  }

  void relay_answer() {
    char buf[4096];
    ssize_t n = ::recv(upstream_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return;
    std::string_view packet(buf, static_cast<size_t>(n));
    auto it = pending_.find(network::dns::message_id(packet));
    if (it == pending_.end()) return;
    std::string out = network::dns::with_id(packet, it->second.id);
    ::sendto(it->second.reply_fd, out.data(), out.size(), 0,
             reinterpret_cast<const struct sockaddr*>(&it->second.client),
             sizeof it->second.client);
    pending_.erase(it);
  }

  void expire_pending() {
    int64_t now = now_ms();
    std::erase_if(pending_, [&](const auto& kv) { return kv.second.expires < now; });
  }

  struct Attached {
    std::vector<Endpoint> endpoints;
    int lifelines = 0;
    UniqueFd netns;  // the container's, for a default route after a disconnect
  };

  std::string socket_path_, lock_path_;
  UniqueFd upstream_;
  std::string upstream_server_;
  UniqueFd own_netns_, own_userns_, listen_;
  network::netlink::Socket nl_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::map<std::string, Attached> attached_;
  std::map<std::string, Bridge> bridges_;
  std::map<uint16_t, Pending> pending_;
  bool forwarding_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path, lock_path;
  int upstream = -1, ready = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--socket")
      socket_path = argv[i + 1];
    else if (a == "--lock")
      lock_path = argv[i + 1];
    else if (a == "--upstream-fd")
      upstream = std::atoi(argv[i + 1]);
    else if (a == "--ready-fd")
      ready = std::atoi(argv[i + 1]);
  }
  if (socket_path.empty() || lock_path.empty() || upstream < 0 || ready < 0) {
    std::cerr << "usage: tug-netns --socket PATH --lock PATH --upstream-fd FD --ready-fd FD\n";
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  ::fcntl(upstream, F_SETFD, FD_CLOEXEC);
  try {
    Holder h(socket_path, lock_path, upstream);
    (void)!::write(ready, "ok\n", 3);
    ::close(ready);
    h.serve();
  } catch (const std::exception& e) {
    std::string msg = e.what();
    (void)!::write(ready, msg.data(), msg.size());
    std::cerr << "tug-netns: " << msg << "\n";
    return 1;
  }
}
