#include "network/networks.hpp"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/strings.hpp"

namespace tug::network {

void to_json(json& j, const Network& n) {
  j = json{{"name", n.name},
           {"id", n.id},
           {"driver", n.driver},
           {"created", n.created},
           {"subnet", n.subnet},
           {"gateway", n.gateway},
           {"interface", n.interface},
           {"internal", n.internal},
           {"dns_enabled", n.dns_enabled},
           {"labels", n.labels},
           {"options", n.options},
           {"allocations", n.allocations}};
}

void from_json(const json& j, Network& n) {
  n.name = j.value("name", "");
  n.id = j.value("id", "");
  n.driver = j.value("driver", "bridge");
  n.created = j.value("created", "");
  n.subnet = j.value("subnet", "");
  n.gateway = j.value("gateway", "");
  n.prefix = parse_subnet(n.subnet).second;
  n.interface = j.value("interface", "");
  n.internal = j.value("internal", false);
  n.dns_enabled = j.value("dns_enabled", true);
  n.labels = j.value("labels", std::map<std::string, std::string>{});
  n.options = j.value("options", std::map<std::string, std::string>{});
  n.allocations = j.value("allocations", std::map<std::string, std::string>{});
}

void to_json(json& j, const Membership& a) {
  j = json{{"network", a.network}, {"address", a.address}, {"aliases", a.aliases}};
}

void from_json(const json& j, Membership& a) {
  a.network = j.value("network", "");
  a.address = j.value("address", "");
  a.aliases = j.value("aliases", std::vector<std::string>{});
}

void to_json(json& j, const Endpoint& e) {
  j = json{{"network", e.network},   {"bridge", e.bridge},   {"gateway", e.gateway},
           {"prefix", e.prefix},     {"address", e.address}, {"interface", e.interface},
           {"internal", e.internal}, {"dns", e.dns},         {"names", e.names}};
}

void from_json(const json& j, Endpoint& e) {
  e.network = j.value("network", "");
  e.bridge = j.value("bridge", "");
  e.gateway = j.value("gateway", "");
  e.prefix = j.value("prefix", 24);
  e.address = j.value("address", "");
  e.interface = j.value("interface", "");
  e.internal = j.value("internal", false);
  e.dns = j.value("dns", true);
  e.names = j.value("names", std::vector<std::string>{});
}

Endpoint make_endpoint(const Network& n, const std::string& address, const std::string& interface,
                       std::vector<std::string> names) {
  Endpoint e;
  e.network = n.name;
  e.bridge = n.interface;
  e.gateway = n.gateway;
  e.prefix = n.prefix;
  e.address = address;
  e.interface = interface;
  e.internal = n.internal;
  e.dns = n.dns_enabled;
  e.names = std::move(names);
  return e;
}

std::string veth_name(const std::string& container_id, const std::string& bridge) {
  // IFNAMSIZ allows 15: "t" + 10 of the id + "-" + the bridge's number.
  std::string number = bridge.size() > 3 ? bridge.substr(3) : bridge;
  return "t" + container_id.substr(0, 10) + "-" + number.substr(0, 3);
}

bool valid_network_name(const std::string& name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || name.size() > 128 || !alnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

std::optional<uint32_t> parse_ipv4(const std::string& text) {
  struct in_addr a;
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string ipv4_string(uint32_t addr) {
  struct in_addr a;
  a.s_addr = htonl(addr);
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::pair<uint32_t, int> parse_subnet(const std::string& cidr) {
  bool slash = false;
  auto [addr, bits] = split_once(cidr, '/', &slash);
  auto a = parse_ipv4(addr);
  int prefix = -1;
  if (slash && !bits.empty() && bits.size() <= 2 &&
      std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    prefix = std::stoi(bits);
  if (!a || prefix < 0)
    throw Error(Errc::usage, "invalid subnet " + quote(cidr), "use an IPv4 CIDR: 10.89.5.0/24");
  if (prefix < 8 || prefix > 30)
    throw Error(Errc::usage, "subnet " + cidr + ": the prefix must be between /8 and /30");
  uint32_t mask = ~0U << (32 - prefix);
  return {*a & mask, prefix};
}

namespace {

uint32_t mask_of(int prefix) {
  return ~0U << (32 - prefix);
}

bool overlaps(const std::string& a, const std::string& b) {
  auto [na, pa] = parse_subnet(a);
  auto [nb, pb] = parse_subnet(b);
  uint32_t m = mask_of(std::min(pa, pb));
  return (na & m) == (nb & m);
}

FileLock networks_lock(const Paths& p) {
  return FileLock(p.data + "/networks.lock");
}

// Removes dir's "NAME.tmp-PID" files (atomic_write's) whose process is
// gone: what a writer killed between its write and its rename left.
void remove_stale_temp_files(const std::string& dir) {
  for (const auto& name : list_dir(dir)) {
    size_t t = name.rfind(".tmp-");
    if (t == std::string::npos) continue;
    std::string digits = name.substr(t + 5);
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) ::unlink((dir + "/" + name).c_str());
  }
}

}  // namespace

NetworkStore::NetworkStore(const Paths& paths) : paths_(paths) {}

std::string NetworkStore::file(const std::string& name) const {
  return paths_.networks() + "/" + name + ".json";
}

void NetworkStore::save(const Network& n) const {
  // Every writer holds the networks lock: a temp file here now is one a
  // killed writer left.
  remove_stale_temp_files(paths_.networks());
  write_json_atomic(file(n.name), n);
}

std::vector<Network> NetworkStore::list() const {
  std::vector<Network> out;
  for (const auto& f : list_dir(paths_.networks())) {
    if (!ends_with(f, ".json")) continue;
    if (auto j = read_store_record(paths_.networks() + "/" + f)) out.push_back(j->get<Network>());
  }
  std::sort(out.begin(), out.end(),
            [](const Network& a, const Network& b) { return a.name < b.name; });
  return out;
}

Network default_network() {
  Network n;
  n.name = kDefaultNetwork;
  // podman's id for it: the sha256 of its name.
  n.id = sha256_hex(kDefaultNetwork);
  n.driver = "bridge";
  n.created = "0001-01-01T00:00:00Z";
  n.subnet = "10.0.2.0/24";
  n.gateway = "10.0.2.2";
  n.prefix = 24;
  n.dns_enabled = false;
  n.options["mode"] = "slirp4netns";
  return n;
}

std::optional<Network> NetworkStore::find(const std::string& key) const {
  if (key.empty()) return std::nullopt;
  if (valid_network_name(key))
    if (auto j = read_store_record(file(key))) return j->get<Network>();
  std::optional<Network> match;
  for (auto& n : list()) {
    if (n.id.rfind(key, 0) != 0) continue;
    if (match)
      throw Error(Errc::invalid, "more than one network has an id starting with " + quote(key));
    match = std::move(n);
  }
  return match;
}

Network NetworkStore::get(const std::string& key) const {
  auto n = find(key);
  if (!n)
    throw Error(Errc::not_found,
                "unable to find network with name or ID " + key + ": network not found", {},
                1);  // docker exits 1 for an object that does not exist
  return *n;
}

Network NetworkStore::create(const CreateRequest& req) {
  make_dirs(paths_.networks(), 0700);
  FileLock lock = networks_lock(paths_);
  std::vector<Network> all = list();
  Network n;
  n.name = req.name;
  if (n.name.empty()) {
    for (int i = 1;; ++i) {
      n.name = "tug" + std::to_string(i);
      if (!path_exists(file(n.name))) break;
    }
  }
  if (!valid_network_name(n.name))
    throw Error(Errc::usage, "invalid network name " + quote(n.name) +
                                 ": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  if (n.name == kDefaultNetwork)
    throw Error(Errc::exists, "network name podman already used: network already exists",
                "podman is the default network, always there");
  for (const char* reserved :
       {"none", "host", "bridge", "default", "private", "slirp4netns", "pasta"})
    if (n.name == reserved)
      throw Error(Errc::usage, "network name " + n.name + " is reserved for a network mode");
  if (path_exists(file(n.name)))
    throw Error(Errc::exists, "network name " + n.name + " already used");
  // The bridge: the lowest unused tugN.
  for (int i = 1;; ++i) {
    std::string dev = "tug" + std::to_string(i);
    if (std::none_of(all.begin(), all.end(),
                     [&](const Network& o) { return o.interface == dev; })) {
      n.interface = dev;
      break;
    }
  }
  if (req.subnet.empty()) {
    for (int i = 1; i < 256 && n.subnet.empty(); ++i) {
      std::string candidate = "10.89." + std::to_string(i) + ".0/24";
      if (std::none_of(all.begin(), all.end(),
                       [&](const Network& o) { return overlaps(o.subnet, candidate); }))
        n.subnet = candidate;
    }
    if (n.subnet.empty())
      throw Error(Errc::unsupported, "no free subnet left in 10.89.0.0/16", "pass --subnet");
  } else {
    auto [net, prefix] = parse_subnet(req.subnet);
    n.subnet = ipv4_string(net) + "/" + std::to_string(prefix);
    for (const auto& o : all)
      if (overlaps(o.subnet, n.subnet))
        throw Error(Errc::usage,
                    "subnet " + n.subnet + " overlaps network " + o.name + " (" + o.subnet + ")");
  }
  auto [net, prefix] = parse_subnet(n.subnet);
  n.prefix = prefix;
  uint32_t broadcast = net | ~mask_of(prefix);
  if (req.gateway.empty()) {
    n.gateway = ipv4_string(net + 1);
  } else {
    auto g = parse_ipv4(req.gateway);
    if (!g || (*g & mask_of(prefix)) != net || *g == net || *g == broadcast)
      throw Error(Errc::usage,
                  "gateway " + quote(req.gateway) + " is not a host address in " + n.subnet);
    n.gateway = req.gateway;
  }
  n.id = random_hex64();
  n.created = now_rfc3339();
  n.internal = req.internal;
  n.dns_enabled = !req.disable_dns;
  n.labels = req.labels;
  n.options = req.options;
  save(n);
  return n;
}

namespace {

// Whether the container in directory D still uses its addresses: its record
// is there, or a create or rm at work holds its lock. A directory without
// its record whose lock is free is what a killed create or rm left: no
// command shows it, so it must not keep its network from going (the next
// listing removes it).
bool container_present(const std::string& d) {
  if (!path_exists(d)) return false;
  if (path_exists(d + "/config.json")) return true;
  try {
    FileLock lock = FileLock::try_lock(d + "/lock");
    return !lock.held() || path_exists(d + "/config.json");
  } catch (const Error&) {
    return path_exists(d + "/config.json");  // removed meanwhile, or unreadable
  }
}

}  // namespace

std::vector<std::string> NetworkStore::users(const Network& n) const {
  std::vector<std::string> out;
  for (const auto& [ip, id] : n.allocations)
    if (container_present(paths_.containers() + "/" + id)) out.push_back(id);
  return out;
}

void NetworkStore::remove(const std::string& name) {
  FileLock lock = networks_lock(paths_);
  Network n = get(name);
  auto in_use = users(n);
  if (!in_use.empty())
    throw Error(Errc::in_use,
                "network " + n.name + " is used by container " + in_use.front().substr(0, 12),
                "remove the container first, or use tug network rm -f", 1);  // docker's 1
  remove_stale_temp_files(paths_.networks());
  if (::unlink(file(n.name).c_str()) != 0 && errno != ENOENT) throw_errno("removing " + n.name);
}

std::string NetworkStore::allocate(const std::string& network, const std::string& id,
                                   const std::string& wanted) {
  FileLock lock = networks_lock(paths_);
  Network n = get(network);
  for (const auto& [ip, owner] : n.allocations)
    if (owner == id && (wanted.empty() || wanted == ip)) return ip;
  // Addresses of containers that no longer exist are free again.
  std::erase_if(n.allocations, [&](const auto& kv) {
    return !path_exists(paths_.containers() + "/" + kv.second);
  });
  auto [net, prefix] = parse_subnet(n.subnet);
  uint32_t broadcast = net | ~mask_of(prefix);
  uint32_t gateway = parse_ipv4(n.gateway).value_or(0);
  std::string ip;
  if (!wanted.empty()) {
    auto w = parse_ipv4(wanted);
    if (!w || (*w & mask_of(prefix)) != net || *w == net || *w == broadcast || *w == gateway)
      throw Error(Errc::usage, "address " + quote(wanted) + " is not a free host address in " +
                                   n.name + " (" + n.subnet + ")");
    if (n.allocations.count(wanted))
      throw Error(Errc::in_use, "address " + wanted + " is already in use on network " + n.name);
    ip = wanted;
  } else {
    for (uint32_t a = net + 1; a < broadcast && ip.empty(); ++a)
      if (a != gateway && !n.allocations.count(ipv4_string(a))) ip = ipv4_string(a);
    if (ip.empty())
      throw Error(Errc::unsupported, "network " + n.name + " has no free address left");
  }
  n.allocations[ip] = id;
  save(n);
  return ip;
}

void NetworkStore::release(const std::string& network, const std::string& id) {
  FileLock lock = networks_lock(paths_);
  auto n = find(network);
  if (!n) return;
  if (std::erase_if(n->allocations, [&](const auto& kv) { return kv.second == id; })) save(*n);
}

}  // namespace tug::network
