#pragma once
// tug's port forwarder (the "builtin" port handler, like rootlesskit's):
// one process per container with published ports, in the container's
// network namespace, holding the host-side sockets the CLI bound in the
// host's. A host connection is accepted there and relayed with splice(2) to
// a connection it makes inside the namespace, so the bytes never pass
// through slirp4netns's user-mode TCP stack. UDP datagrams are relayed per
// client address. Internal to network/; setup.hpp starts it.
#include <string>
#include <vector>

#include "network/ports.hpp"

namespace tug::network {

// Serves until `lifeline` reports EOF or an error (the monitor closed it or
// died), then exits the process. Must be called in the container's network
// namespace; `target` is the container's address to connect to.
[[noreturn]] void run_forwarder(std::vector<Listener>& listeners, const std::string& target,
                                int lifeline);

}  // namespace tug::network
