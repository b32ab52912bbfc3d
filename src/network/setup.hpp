#pragma once
// Connecting a container's network namespace to the world. Called by the
// container's monitor-to-be once the container's first process exists (id
// maps written, still waiting to exec): starts the mode's helpers as its
// children (slirp4netns or pasta, and tug's port forwarder), which the
// monitor owns from then on. Every helper ends with the monitor: slirp4netns
// and the forwarder when the lifeline closes (the monitor's exit, even by
// SIGKILL), pasta by its parent-death signal.
#include <sys/types.h>

#include <string>
#include <vector>

#include "network/mode.hpp"
#include "network/ports.hpp"
#include "util/fd.hpp"

namespace tug::network {

struct AttachRequest {
  Mode mode;
  pid_t pid = 0;  // the container's first process
  // Host ports from bind_ports(), consumed; with their sockets closed where
  // the helper binds the ports itself.
  std::vector<Listener> listeners;
  std::string files_prefix;  // helper logs and the API socket: PREFIX.slirp4netns.log, ...
  // bridge (user-defined networks; plugged in by rootless_netns.hpp): the
  // container's address, and whether it gets a way out (slirp4netns).
  std::string address;
  bool external = true;
};

struct Attachment {
  // Children of the caller, to be killed and reaped at the container's
  // exit: `helpers` (the forwarder, which holds the host ports) before
  // the exit is recorded, `device_helpers` (slirp4netns, pasta) after it:
  // they own the tap device, and its removal costs the kernel tens of ms.
  std::vector<pid_t> helpers;
  std::vector<pid_t> device_helpers;
  UniqueFd lifeline;  // hold open while the container runs; closing it ends the helpers
  std::vector<PortMapping> ports;  // what is published, host ports resolved
};

// Whether tug's forwarder carries the mode's published ports. When it does
// not, slirp4netns or pasta bind them themselves, and the sockets
// bind_ports() made to check them must be closed before the container is
// cloned (it holds every fd of its parent until its exec).
bool forwarder_carries_ports(const Mode& m);

// Starts the helpers for modes with a namespace of the container's own
// (slirp4netns, pasta, and bridge: slirp4netns for the way out when
// external, the forwarder for published ports); nothing for the others. Returns once the network
// is configured. Throws Error naming the helper and its message.
Attachment attach(AttachRequest req);

// The container's address in its own network as /etc/hosts should name it
// ("" when the mode gives it none tug knows in advance).
std::string container_address(const Mode& m);
// The host's address as a container of mode m reaches it, for
// host.containers.internal: with slirp4netns's allow_host_loopback its
// gateway (the host's loopback); with none, "" (no way there); otherwise
// the host's first global IPv4 address (podman's rule for rootless
// containers: slirp4netns, pasta and bridges' way out all reach it), ""
// when it has none.
std::string host_address(const Mode& m);
// Nameservers for the container's /etc/resolv.conf (empty: the host's,
// minus loopback addresses).
std::vector<std::string> nameservers(const Mode& m);

// Brings the loopback interface of the caller's network namespace up.
void loopback_up();

// Whether a helper program is installed (slirp4netns, pasta).
bool helper_available(const Mode& m);

}  // namespace tug::network
