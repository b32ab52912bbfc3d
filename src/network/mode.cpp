#include "network/mode.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "network/networks.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::network {

namespace {

bool parse_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v.empty()) return true;
  if (v == "false" || v == "0") return false;
  throw Error(Errc::usage, "slirp4netns option " + key + ": " + quote(v) + " is not true or false");
}

void parse_slirp_options(Mode& m, const std::string& opts) {
  for (const std::string& o : split(opts, ',')) {
    if (o.empty()) continue;
    auto [k, v] = split_once(o, '=');
    if (k == "allow_host_loopback") {
      m.allow_host_loopback = parse_bool(k, v);
    } else if (k == "enable_ipv6") {
      m.enable_ipv6 = parse_bool(k, v);
    } else if (k == "port_handler") {
      if (v != "builtin" && v != "slirp4netns" && v != "rootlesskit")
        throw Error(Errc::usage, "slirp4netns option port_handler: " + quote(v) +
                                     " is not builtin or slirp4netns");
      m.port_handler = v == "slirp4netns" ? v : "builtin";
    } else if (k == "mtu") {
      int mtu = 0;
      try {
        mtu = std::stoi(v);
      } catch (...) {
      }
      if (mtu < 68 || mtu > 65521)
        throw Error(Errc::usage, "slirp4netns option mtu: " + quote(v) + " is not in 68..65521");
      m.mtu = mtu;
    } else if (k == "cidr") {
      slirp_addresses(v);  // validates
      m.cidr = v;
    } else if (k == "outbound_addr" || k == "outbound_addr6") {
      throw Error(Errc::unsupported, "slirp4netns option " + k + " is not supported by tug");
    } else {
      throw Error(Errc::usage, "unknown slirp4netns option " + quote(k),
                  "known options: allow_host_loopback, cidr, enable_ipv6, mtu, port_handler");
    }
  }
}

}  // namespace

Mode parse_mode(const std::string& text) {
  Mode m;
  auto [kind, opts] = split_once(text, ':');
  if (text.empty() || text == "default" || text == "private" || text == "bridge" ||
      text == "podman")
    return m;
  if (kind == "slirp4netns") {
    parse_slirp_options(m, opts);
    return m;
  }
  if (kind == "pasta") {
    m.kind = Mode::Kind::pasta;
    for (const std::string& o : split(opts, ','))
      if (!o.empty()) m.pasta_options.push_back(o);
    return m;
  }
  if (kind == "container" || kind == "ns") {
    if (opts.empty())
      throw Error(Errc::usage,
                  "--network " + kind + ": needs a " + (kind == "ns" ? "path" : "container name"));
    m.kind = kind == "ns" ? Mode::Kind::ns : Mode::Kind::container;
    m.target = opts;
    if (m.kind == Mode::Kind::ns && opts[0] != '/')
      throw Error(Errc::usage, "--network ns:" + opts + ": the path must be absolute");
    return m;
  }
  if (text == "none") {
    m.kind = Mode::Kind::none;
    return m;
  }
  if (text == "host") {
    m.kind = Mode::Kind::host;
    return m;
  }
  for (const std::string& name : split(text, ',')) {
    if (!valid_network_name(name))
      throw Error(Errc::not_found, "network " + quote(text) + " not found",
                  "tug knows none, host, slirp4netns[:OPTIONS], pasta[:OPTIONS], container:NAME, "
                  "ns:PATH and networks made with tug network create");
    if (std::find(m.networks.begin(), m.networks.end(), name) == m.networks.end())
      m.networks.push_back(name);
  }
  m.kind = Mode::Kind::bridge;
  return m;
}

std::string to_string(const Mode& m) {
  switch (m.kind) {
    case Mode::Kind::none:
      return "none";
    case Mode::Kind::host:
      return "host";
    case Mode::Kind::container:
      return "container:" + m.target;
    case Mode::Kind::ns:
      return "ns:" + m.target;
    case Mode::Kind::pasta:
      return m.pasta_options.empty() ? "pasta" : "pasta:" + join(m.pasta_options, ",");
    case Mode::Kind::bridge:
      return join(m.networks, ",");
    case Mode::Kind::slirp4netns:
      break;
  }
  Mode d;
  std::vector<std::string> o;
  if (m.allow_host_loopback) o.push_back("allow_host_loopback=true");
  if (m.enable_ipv6) o.push_back("enable_ipv6=true");
  if (m.port_handler != d.port_handler) o.push_back("port_handler=" + m.port_handler);
  if (m.mtu != d.mtu) o.push_back("mtu=" + std::to_string(m.mtu));
  if (m.cidr != d.cidr) o.push_back("cidr=" + m.cidr);
  return o.empty() ? "slirp4netns" : "slirp4netns:" + join(o, ",");
}

SlirpAddresses slirp_addresses(const std::string& cidr) {
  auto [addr, len] = split_once(cidr, '/');
  struct in_addr a {};
  int prefix = -1;
  try {
    prefix = len.empty() ? -1 : std::stoi(len);
  } catch (...) {
  }
  if (::inet_pton(AF_INET, addr.c_str(), &a) != 1 || prefix < 8 || prefix > 24)
    throw Error(Errc::usage, "cidr " + quote(cidr) + " is not an IPv4 network from /8 to /24");
  uint32_t net = ntohl(a.s_addr) & (prefix == 0 ? 0 : ~0U << (32 - prefix));
  auto host = [&](uint32_t n) {
    struct in_addr h {
      htonl(net | n)
    };
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &h, buf, sizeof buf);
    return std::string(buf);
  };
  SlirpAddresses s;
  s.network = host(0) + "/" + std::to_string(prefix);
  s.container = host(100);
  s.gateway = host(2);
  s.dns = host(3);
  s.prefix = prefix;
  return s;
}

}  // namespace tug::network
