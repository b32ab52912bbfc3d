#pragma once
// Published ports (-p, -P): parsing docker's syntax and binding the host's
// side. The listening sockets are made by the CLI before the container
// starts, so a taken or privileged port fails `run` with a clear error.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/fd.hpp"
#include "util/json.hpp"

namespace tug::network {

struct PortMapping {
  std::string host_ip;     // "" = every address
  uint16_t host_port = 0;  // 0 = a free port chosen at each start
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp | udp
  bool operator==(const PortMapping&) const = default;
};

void to_json(json& j, const PortMapping& p);
void from_json(const json& j, PortMapping& p);

// -p [[IP:][HOSTPORT]:]CTRPORT[/PROTO], with ranges on either side
// ("8000-8010:8000-8010", "127.0.0.1::80", "5353:53/udp", "[::1]:8080:80").
// A host range must be as long as the container range. Throws Error(usage).
std::vector<PortMapping> parse_publish(const std::string& text);

// -P: every port the image EXPOSEs ("80/tcp", "53/udp", "8080") to a free
// host port.
std::vector<PortMapping> publish_exposed(const std::vector<std::string>& exposed);

// "0.0.0.0:8080->80/tcp" as docker's ps shows it, and back (nullopt for
// text not of that form).
std::string describe(const PortMapping& p);
std::optional<PortMapping> parse_described(const std::string& text);

struct Listener {
  PortMapping mapping;  // host_port filled in when it was 0
  UniqueFd fd;          // bound (and listening, for tcp) in the caller's network namespace
};

// Binds every mapping in the caller's (the host's) network namespace.
// Errors name the port: in use (EADDRINUSE), below
// net.ipv4.ip_unprivileged_port_start (EACCES), an address not on this
// host.
std::vector<Listener> bind_ports(const std::vector<PortMapping>& mappings);

// The lowest port an unprivileged user may bind (the sysctl; 1024 if unreadable).
int unprivileged_port_start();

}  // namespace tug::network
