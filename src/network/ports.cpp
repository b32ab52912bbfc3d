#include "network/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::network {

void to_json(json& j, const PortMapping& p) {
  j = json{{"host_ip", p.host_ip},
           {"host_port", p.host_port},
           {"container_port", p.container_port},
           {"protocol", p.protocol}};
}

void from_json(const json& j, PortMapping& p) {
  p.host_ip = j.value("host_ip", "");
  p.host_port = j.value("host_port", uint16_t{0});
  p.container_port = j.value("container_port", uint16_t{0});
  p.protocol = j.value("protocol", "tcp");
}

namespace {

struct Range {
  int first = 0, last = -1;  // last < first: absent
  int size() const { return last - first + 1; }
};

Range parse_range(const std::string& text, const std::string& whole, bool allow_empty) {
  Range r;
  if (text.empty()) {
    if (allow_empty) return r;
    throw Error(Errc::usage, "invalid port " + quote(whole) + ": the container port is missing");
  }
  auto num = [&](const std::string& s) {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
      throw Error(Errc::usage,
                  "invalid port " + quote(whole) + ": " + quote(s) + " is not a port number");
    int n = std::stoi(s);
    if (n < 1 || n > 65535)
      throw Error(Errc::usage, "invalid port " + quote(whole) + ": " + s + " is not in 1..65535");
    return n;
  };
  bool dash = false;
  auto [a, b] = split_once(text, '-', &dash);
  r.first = num(a);
  r.last = dash ? num(b) : r.first;
  if (r.last < r.first)
    throw Error(Errc::usage, "invalid port range " + quote(text) + ": the end is before the start");
  return r;
}

std::string check_ip(const std::string& ip, const std::string& whole) {
  if (ip.empty()) return ip;
  unsigned char buf[sizeof(struct in6_addr)];
  if (::inet_pton(AF_INET, ip.c_str(), buf) != 1 && ::inet_pton(AF_INET6, ip.c_str(), buf) != 1)
    throw Error(Errc::usage,
                "invalid port " + quote(whole) + ": " + quote(ip) + " is not an IP address");
  return ip;
}

}  // namespace

std::vector<PortMapping> parse_publish(const std::string& whole) {
  std::string text = whole, proto = "tcp";
  if (auto slash = text.rfind('/'); slash != std::string::npos) {
    proto = text.substr(slash + 1);
    text = text.substr(0, slash);
    if (proto != "tcp" && proto != "udp")
      throw Error(
          Errc::usage,
          "invalid port " + quote(whole) + ": protocol " + quote(proto) + " is not tcp or udp",
          proto == "sctp" ? "tug's rootless port forwarding carries tcp and udp only" : "");
  }
  std::string ip, host, ctr;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw Error(Errc::usage,
                  "invalid port " + quote(whole) + ": expected [IPv6]:HOSTPORT:CTRPORT");
    ip = text.substr(1, close - 1);
    auto [h, c] = split_once(text.substr(close + 2), ':');
    host = h;
    ctr = c;
  } else {
    std::vector<std::string> parts = split(text, ':');
    if (parts.size() == 1) {
      ctr = parts[0];
    } else if (parts.size() == 2) {
      host = parts[0];
      ctr = parts[1];
    } else if (parts.size() == 3) {
      ip = parts[0];
      host = parts[1];
      ctr = parts[2];
    } else {
      throw Error(Errc::usage, "invalid port " + quote(whole),
                  "expected [[IP:][HOSTPORT]:]CTRPORT[/PROTOCOL]; put an IPv6 address in brackets");
    }
  }
  check_ip(ip, whole);
  Range c = parse_range(ctr, whole, false);
  Range h = parse_range(host, whole, true);
  if (h.size() > 0 && h.size() != c.size())
    throw Error(Errc::usage, "invalid port " + quote(whole) +
                                 ": the host range and the container range differ in length");
  std::vector<PortMapping> out;
  for (int i = 0; i < c.size(); ++i) {
    PortMapping p;
    p.host_ip = ip;
    p.host_port = static_cast<uint16_t>(h.size() > 0 ? h.first + i : 0);
    p.container_port = static_cast<uint16_t>(c.first + i);
    p.protocol = proto;
    out.push_back(p);
  }
  return out;
}

std::vector<PortMapping> publish_exposed(const std::vector<std::string>& exposed) {
  std::vector<PortMapping> out;
  for (const std::string& e : exposed) {
    auto [port, proto] = split_once(e, '/');
    PortMapping p;
    p.protocol = proto.empty() ? "tcp" : proto;
    if (p.protocol != "tcp" && p.protocol != "udp") continue;  // sctp: not carried
    Range r = parse_range(port, e, false);
    for (int n = r.first; n <= r.last; ++n) {
      p.container_port = static_cast<uint16_t>(n);
      out.push_back(p);
    }
  }
  return out;
}

std::string describe(const PortMapping& p) {
  std::string ip = p.host_ip.empty() ? "0.0.0.0" : p.host_ip;
  if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(p.host_port) + "->" + std::to_string(p.container_port) + "/" +
         p.protocol;
}

std::optional<PortMapping> parse_described(const std::string& text) {
  auto arrow = text.find("->");
  auto slash = text.rfind('/');
  auto colon = text.rfind(':', arrow);
  if (arrow == std::string::npos || slash == std::string::npos || colon == std::string::npos ||
      slash < arrow)
    return std::nullopt;
  PortMapping p;
  p.host_ip = text.substr(0, colon);
  if (p.host_ip.size() > 1 && p.host_ip.front() == '[')
    p.host_ip = p.host_ip.substr(1, p.host_ip.size() - 2);
  if (p.host_ip == "0.0.0.0") p.host_ip.clear();
  try {
    p.host_port = static_cast<uint16_t>(std::stoi(text.substr(colon + 1, arrow - colon - 1)));
    p.container_port = static_cast<uint16_t>(std::stoi(text.substr(arrow + 2, slash - arrow - 2)));
  } catch (...) {
    return std::nullopt;
  }
  p.protocol = text.substr(slash + 1);
  return p;
}

int unprivileged_port_start() {
  try {
    if (auto v = read_file_if_exists("/proc/sys/net/ipv4/ip_unprivileged_port_start"))
      return std::stoi(*v);
  } catch (...) {
  }
  return 1024;
}

std::vector<Listener> bind_ports(const std::vector<PortMapping>& mappings) {
  std::vector<Listener> out;
  for (const PortMapping& m : mappings) {
    bool v6 = m.host_ip.find(':') != std::string::npos;
    bool tcp = m.protocol == "tcp";
    Listener l;
    l.mapping = m;
    l.fd.reset(
        ::socket(v6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
    if (!l.fd) throw_errno("socket");
    int one = 1;
    if (tcp) ::setsockopt(l.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss {};
    socklen_t len;
    if (v6) {
      auto* a = reinterpret_cast<struct sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(m.host_port);
      ::inet_pton(AF_INET6, m.host_ip.c_str(), &a->sin6_addr);
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<struct sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(m.host_port);
      a->sin_addr.s_addr = htonl(INADDR_ANY);
      if (!m.host_ip.empty()) ::inet_pton(AF_INET, m.host_ip.c_str(), &a->sin_addr);
      len = sizeof *a;
    }
    std::string what = "cannot publish port " + std::to_string(m.host_port) + "/" + m.protocol;
    if (::bind(l.fd.get(), reinterpret_cast<struct sockaddr*>(&ss), len) != 0) {
      int e = errno;
      std::string addr =
          (m.host_ip.empty() ? "0.0.0.0" : m.host_ip) + ":" + std::to_string(m.host_port);
      if (e == EADDRINUSE)
        throw Error(Errc::in_use, what + ": address " + addr + " is already in use",
                    "stop what listens there or publish another host port");
      if (e == EACCES && m.host_port < unprivileged_port_start())
        throw Error(
            Errc::permission,
            what + ": ports below " + std::to_string(unprivileged_port_start()) +
                " need privileges a rootless user does not have",
            "publish a higher host port (-p 8080:" + std::to_string(m.container_port) +
                "), or let users bind low ports: sysctl net.ipv4.ip_unprivileged_port_start=" +
                std::to_string(m.host_port));
      if (e == EADDRNOTAVAIL)
        throw Error(Errc::invalid, what + ": " + m.host_ip + " is not an address of this host");
      throw Error(Errc::io, what + " (" + addr + "): " + std::strerror(e));
    }
    if (tcp && ::listen(l.fd.get(), 128) != 0) throw_errno(what + ": listen");
    if (m.host_port == 0) {
      struct sockaddr_storage got {};
      socklen_t gl = sizeof got;
      ::getsockname(l.fd.get(), reinterpret_cast<struct sockaddr*>(&got), &gl);
      l.mapping.host_port = ntohs(v6 ? reinterpret_cast<struct sockaddr_in6*>(&got)->sin6_port
                                     : reinterpret_cast<struct sockaddr_in*>(&got)->sin_port);
    }
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace tug::network
