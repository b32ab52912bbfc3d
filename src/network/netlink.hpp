#pragma once
// The few rtnetlink requests a user-defined network needs (a bridge, veth
// pairs, addresses), spoken directly over a NETLINK_ROUTE socket. Every call
// acts on the network namespace the Socket was opened in, so a caller can
// open one in a container's namespace and another in its own. Needs
// CAP_NET_ADMIN over that namespace (root of the user namespace owning it).
#include <cstdint>
#include <string>

#include "util/fd.hpp"

namespace tug::network::netlink {

class Socket {
 public:
  // Opens a route socket in the caller's current network namespace.
  Socket();

  // A bridge device; an existing one of that name is kept.
  void create_bridge(const std::string& name, int mtu);
  // A veth pair: `name` stays here, enslaved to bridge `master`; `peer` goes
  // to the network namespace `peer_netns_fd`, named `peer_name` there.
  void create_veth(const std::string& name, const std::string& master, int peer_netns_fd,
                   const std::string& peer_name, int mtu);
  // IPv4 address/prefix on a device (an existing equal address is kept).
  void add_address(const std::string& ifname, const std::string& address, int prefix);
  void set_up(const std::string& ifname);
  // An unreachable route to subnet (CIDR): connections to it fail at once.
  void add_unreachable_route(const std::string& subnet);
  // Removes such a route (none there is not an error).
  void delete_unreachable_route(const std::string& subnet);
  // The default route, through gateway (an address on a connected
  // subnet). An existing default route is kept: false then.
  bool add_default_route(const std::string& gateway);
  // Removes a device; a missing one is not an error.
  void delete_link(const std::string& ifname);
  // ifindex of a device in this namespace; 0 if there is none.
  int index(const std::string& ifname);

 private:
  // Sends one request and waits for its acknowledgement; returns 0 or the
  // kernel's negative errno.
  int request(const std::string& msg);
  UniqueFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace tug::network::netlink
