#pragma once
// --network: which network a container gets, parsed from docker's and
// podman's spellings. Pure; what starts the helpers is in setup.hpp.
#include <string>
#include <vector>

namespace tug::network {

struct Mode {
  enum class Kind {
    none,         // a network namespace with only loopback
    host,         // the host's network namespace
    slirp4netns,  // own namespace, a tap device served by slirp4netns (rootless default)
    pasta,        // own namespace, served by passt's pasta
    container,    // another container's network namespace (target: its id or name)
    ns,           // a network namespace at a path (target: the path)
    bridge,       // user-defined networks (networks: their names; see networks.hpp)
  };
  Kind kind = Kind::slirp4netns;
  std::string target;
  // slirp4netns options (podman's names).
  bool allow_host_loopback = false;
  std::string port_handler = "builtin";  // builtin (tug's forwarder) | slirp4netns
  int mtu = 65520;
  std::string cidr = "10.0.2.0/24";
  bool enable_ipv6 = false;
  // pasta: extra command-line options, as podman's `pasta:OPT,OPT`.
  std::vector<std::string> pasta_options;
  // bridge: the user-defined networks, in the order given (eth0, eth1, ...).
  std::vector<std::string> networks;

  // Whether the container gets a network namespace of its own (and so its
  // own loopback, ports and sysfs).
  bool own_namespace() const {
    return kind == Kind::none || kind == Kind::slirp4netns || kind == Kind::pasta ||
           kind == Kind::bridge;
  }
};

// "none", "host", "slirp4netns[:opt=v,...]", "pasta[:opt,...]",
// "container:NAME", "ns:PATH", or names of user-defined networks
// ("NAME[,NAME...]"; whether they exist is not checked here); "" and
// "default" and "private" mean the rootless default (slirp4netns), "bridge"
// too (docker's default name), and "podman" (podman's default network,
// which `network ls` lists: see default_network() in networks.hpp).
// Throws Error(usage) naming the bad mode or option.
Mode parse_mode(const std::string& text);

// The canonical spelling of a mode, as stored and shown by inspect
// (HostConfig.NetworkMode): options that differ from the defaults only.
std::string to_string(const Mode& m);

// slirp4netns's addresses for a --cidr network: the container (.100), the
// gateway/host (.2) and the DNS forwarder (.3). Throws Error(usage) for a
// CIDR that is not an IPv4 /8../24 prefix.
struct SlirpAddresses {
  std::string network, container, gateway, dns;
  int prefix = 24;
};
SlirpAddresses slirp_addresses(const std::string& cidr);

}  // namespace tug::network
