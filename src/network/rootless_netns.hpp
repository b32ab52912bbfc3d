#pragma once
// The user's rootless network namespace: where the bridges of user-defined
// networks live. One holder process (libexec/tug-netns) owns it, and a user
// namespace of the user's usual mapping around it; containers on
// user-defined networks are made in that user namespace (so the holder may
// plug veth pairs into their network namespaces) but keep namespaces of
// their own otherwise. The holder answers DNS for container names on each
// bridge and exists only while a container is attached: the first
// container starts it, it exits when the last attachment closes.
//
// Protocol: SOCK_SEQPACKET at RUN/netns/ctl.sock, one JSON object per
// message, replies {"ok":true} or {"error":"..."}:
//   {"op":"hello","container":ID,"lifeline":bool}  -> reply carries the
//       holder's user namespace fd. With lifeline, the container's
//       endpoints go when this connection (every copy of it) closes.
//   {"op":"connect","container":ID,"endpoints":[Endpoint...],
//    "unreachable":[CIDR...]} + the container's network namespace fd.
//   {"op":"disconnect","container":ID,"network":NAME}
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "network/networks.hpp"
#include "userns/userns.hpp"
#include "util/fd.hpp"
#include "util/json.hpp"

namespace tug::network {

class RootlessNetns {
 public:
  // Connects to the holder, starting it (with `mapping`) when none runs.
  // Throws Error naming the holder's failure.
  static RootlessNetns open(const Paths& paths, const userns::Mapping& mapping,
                            const std::string& container_id, bool lifeline);

  // The holder's user namespace (the container joins it).
  int userns_fd() const { return userns_.get(); }
  // Plugs the container whose network namespace is netns_fd into each
  // endpoint's bridge and configures its side; `unreachable` subnets (other
  // networks') get unreachable routes there.
  void connect(int netns_fd, const std::vector<Endpoint>& endpoints,
               const std::vector<std::string>& unreachable = {});
  void disconnect(const std::string& network);
  // The connection, to be held for as long as the container runs.
  UniqueFd take_connection() { return std::move(conn_); }

 private:
  json call(const json& request, int fd = -1);
  std::string container_;
  UniqueFd conn_, userns_;
};

}  // namespace tug::network
