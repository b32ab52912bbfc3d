#pragma once
// User-defined networks: their records (DATA/networks/NAME.json) and the
// addresses handed to containers on them. A network is a bridge in the
// user's one rootless network namespace (rootless_netns.hpp); this file only
// keeps what it is and who has which address. Every change holds
// DATA/networks.lock.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "util/json.hpp"

namespace tug::network {

struct Network {
  std::string name;
  std::string id;  // 64 hex digits
  std::string driver = "bridge";
  std::string created;  // RFC 3339
  std::string subnet;   // "10.89.1.0/24"
  std::string gateway;  // the bridge's address, the containers' DNS server
  int prefix = 24;
  std::string interface;  // the bridge device in the rootless namespace ("tug1")
  bool internal = false;  // no way out: no slirp4netns/pasta for its containers
  bool dns_enabled = true;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
  std::map<std::string, std::string> allocations;  // address -> container id
};

void to_json(json& j, const Network& n);
void from_json(const json& j, Network& n);

// What a container's record keeps of its place on a network (--network,
// --ip, --network-alias); the rest comes from the network at each start.
struct Membership {
  std::string network;
  std::string address;
  std::vector<std::string> aliases;
};
void to_json(json& j, const Membership& a);
void from_json(const json& j, Membership& a);

// One container's place on one network.
struct Endpoint {
  std::string network;
  std::string bridge;   // device in the rootless namespace
  std::string gateway;  // the bridge's address
  int prefix = 24;
  std::string address;    // the container's
  std::string interface;  // inside the container: eth0, eth1, ...
  bool internal = false;
  bool dns = true;
  std::vector<std::string> names;  // what the responder answers for: name, short id, aliases
};
void to_json(json& j, const Endpoint& e);
void from_json(const json& j, Endpoint& e);

// The endpoint of a container on network n.
Endpoint make_endpoint(const Network& n, const std::string& address, const std::string& interface,
                       std::vector<std::string> names);

// The host-side device name of a container's veth on a bridge.
std::string veth_name(const std::string& container_id, const std::string& bridge);

struct CreateRequest {
  std::string name;     // empty: a generated one
  std::string subnet;   // empty: the first free 10.89.N.0/24
  std::string gateway;  // empty: the subnet's first address
  bool internal = false;
  bool disable_dns = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
};

// [a-zA-Z0-9][a-zA-Z0-9_.-]*, as docker and podman accept.
bool valid_network_name(const std::string& name);

// "a.b.c.d/p" -> network address and prefix (8..30); throws Error(usage).
std::pair<uint32_t, int> parse_subnet(const std::string& cidr);
std::string ipv4_string(uint32_t addr);
std::optional<uint32_t> parse_ipv4(const std::string& text);

// podman's default network, "podman": listed by `network ls` and shown by
// `network inspect`, never stored nor removed. Containers given
// `--network podman` (or none at all) get tug's rootless default mode,
// slirp4netns, whose addresses (10.0.2.0/24, gateway .2) it describes.
inline constexpr const char* kDefaultNetwork = "podman";
Network default_network();

class NetworkStore {
 public:
  explicit NetworkStore(const Paths& paths);

  // Throws Error(exists) for a taken name, Error(usage) for a bad subnet,
  // gateway or name, or a subnet overlapping another network's.
  Network create(const CreateRequest& req);
  std::vector<Network> list() const;  // by name
  // By exact name, full id or a unique id prefix.
  std::optional<Network> find(const std::string& name_or_id) const;
  Network get(const std::string& name_or_id) const;  // Error(not_found)
  // Removes the record; Error(in_use) naming a container while any
  // container that still exists has an address on it.
  void remove(const std::string& name);

  // An address on `network` for container `id` (`wanted`, or the lowest
  // free one); the same container asking again gets its address back.
  // Error(in_use) for a taken address, Error(usage) for one outside the
  // subnet, Error(unsupported) when the subnet is full.
  std::string allocate(const std::string& network, const std::string& id,
                       const std::string& wanted = {});
  // Gives back container id's address on network (if any).
  void release(const std::string& network, const std::string& id);

  // Containers that exist and hold an address on n.
  std::vector<std::string> users(const Network& n) const;

 private:
  std::string file(const std::string& name) const;
  void save(const Network& n) const;
  const Paths& paths_;
};

}  // namespace tug::network
