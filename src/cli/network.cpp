// tug network create|ls|inspect|rm|prune|connect|disconnect|exists:
// user-defined networks (network/networks.hpp), bridges in the user's
// rootless network namespace (network/rootless_netns.hpp).
#include <fcntl.h>

#include <algorithm>
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "container/lifecycle.hpp"
#include "container/query.hpp"
#include "network/mode.hpp"
#include "network/networks.hpp"
#include "network/rootless_netns.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

bool filter_matches(const network::Network& n, const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    auto [key, value] = split_once(f, '=');
    if (key == "name") {
      if (n.name.find(value) == std::string::npos) return false;
    } else if (key == "id") {
      if (n.id.rfind(value, 0) != 0) return false;
    } else if (key == "driver") {
      if (n.driver != value) return false;
    } else if (key == "label") {
      auto [lk, lv] = split_once(value, '=');
      auto it = n.labels.find(lk);
      if (it == n.labels.end() || (value.find('=') != std::string::npos && it->second != lv))
        return false;
    } else {
      throw Error(Errc::usage, "unsupported filter " + quote(f),
                  "use name=, id=, driver= or label=");
    }
  }
  return true;
}

// The running container's network namespace, for plugging it in live.
// Only a container started on user-defined networks lives in the rootless
// network namespace's user namespace, where the holder can reach it.
// The network is changed already; a stale /etc/hosts line is worth a
// warning, not a failed command.
void refresh_hosts_or_warn(container::Store& cs, const container::Record& r) {
  try {
    container::refresh_hosts(cs, r);
  } catch (const Error& e) {
    log_warn(std::string("updating /etc/hosts of container ") + r.name + ": " + e.what());
  }
}

UniqueFd live_netns(const container::Store& cs, const container::Record& r) {
  container::State st = cs.state(r.id);
  if (st.status != "running") return {};
  return open_or_throw("/proc/" + std::to_string(st.pid) + "/ns/net", O_RDONLY | O_CLOEXEC);
}

// The Spec's network mode from its list of networks ("none" once empty:
// docker's container keeps loopback only).
void set_network_mode(container::Record& r) {
  std::vector<std::string> names;
  for (const auto& a : r.spec.networks) names.push_back(a.network);
  r.spec.network = network::parse_mode(names.empty() ? "none" : join(names, ","));
}

}  // namespace

void register_network(CLI::App& app, Globals& g) {
  CLI::App* net = add_command(app, "network", "Manage networks");
  net->require_subcommand(1);
  {
    struct Flags {
      std::string name, driver = "bridge", subnet, gateway, ip_range;
      std::vector<std::string> labels, options, dns;
      bool internal = false, ignore = false, disable_dns = false, ipv6 = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*net, "create", "Create a network");
    c->add_option("NAME", f->name, "Network name (tugN when omitted)");
    c->add_option("-d,--driver", f->driver, "Driver (bridge)");
    c->add_option("--subnet", f->subnet, "IPv4 subnet in CIDR form (default: a free 10.89.N.0/24)");
    c->add_option("--gateway", f->gateway, "IPv4 gateway (default: the subnet's first address)");
    c->add_option("--ip-range", f->ip_range, "Allocate container addresses from a sub-range");
    c->add_flag("--internal", f->internal,
                "No access to the outside: containers reach each other only");
    c->add_flag("--disable-dns", f->disable_dns, "No DNS for container names on this network");
    c->add_flag("--ipv6", f->ipv6, "Enable IPv6");
    c->add_flag("--ignore", f->ignore, "Do not fail if the network exists already");
    c->add_option("--dns", f->dns, "DNS servers for the network's responder to forward to")
        ->allow_extra_args(false);
    c->add_option("-l,--label", f->labels, "Set metadata on a network")->allow_extra_args(false);
    c->add_option("-o,--opt", f->options, "Driver options (kept, shown by inspect)")
        ->allow_extra_args(false);
    c->callback([f, &g] {
      if (f->driver != "bridge")
        throw Error(Errc::unsupported, "network driver " + quote(f->driver) + " is not supported",
                    "tug makes bridge networks");
      if (f->ipv6) throw Error(Errc::unsupported, "IPv6 networks are not supported by tug yet");
      if (!f->ip_range.empty())
        throw Error(Errc::unsupported, "--ip-range is not supported by tug yet");
      network::NetworkStore nets(g.paths());
      if (f->ignore && !f->name.empty() &&
          (f->name == network::kDefaultNetwork || nets.find(f->name))) {
        out(f->name);
        return;
      }
      network::CreateRequest req;
      req.name = f->name;
      req.subnet = f->subnet;
      req.gateway = f->gateway;
      req.internal = f->internal;
      req.disable_dns = f->disable_dns;
      req.labels = key_values(f->labels);
      req.options = key_values(f->options);
      out(nets.create(req).name);
    });
  }
  {
    struct Flags {
      bool quiet = false, no_trunc = false;
      std::string format;
      std::vector<std::string> filters;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*net, "ls", "List networks");
    c->alias("list");
    c->add_flag("-q,--quiet", f->quiet, "Print network names only");
    add_noheading_flag(c);
    c->add_flag("--no-trunc", f->no_trunc, "Do not truncate the network ID");
    c->add_option("--format", f->format, "Format output using a template or json");
    c->add_option("-f,--filter", f->filters, "Filter output (name=, id=, driver=, label=)")
        ->allow_extra_args(false);
    c->callback([f, &g] {
      network::NetworkStore nets(g.paths());
      std::vector<json> rows;
      std::vector<network::Network> all = nets.list();
      all.insert(std::upper_bound(all.begin(), all.end(), network::default_network(),
                                  [](const auto& a, const auto& b) { return a.name < b.name; }),
                 network::default_network());
      for (const auto& n : all) {
        if (!filter_matches(n, f->filters)) continue;
        if (f->quiet) {
          out(n.name);
          continue;
        }
        rows.push_back({{"ID", f->no_trunc ? n.id : n.id.substr(0, 12)},
                        {"Name", n.name},
                        {"Driver", n.driver},
                        {"Scope", "local"},
                        {"Internal", n.internal},
                        {"Subnet", n.subnet},
                        {"Labels", n.labels},
                        {"CreatedAt", n.created}});
      }
      if (!f->quiet)
        print_rows(
            rows, f->format,
            {{"NETWORK ID", "ID"}, {"NAME", "Name"}, {"DRIVER", "Driver"}, {"SCOPE", "Scope"}});
    });
  }
  {
    struct Flags {
      std::string format;
      std::vector<std::string> names;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*net, "inspect", "Display detailed information on networks");
    c->add_option("-f,--format", f->format, "Format output using a Go template");
    c->add_option("NETWORK", f->names, "Networks")->required();
    c->callback([f, &g] {
      network::NetworkStore nets(g.paths());
      container::Store cs(g.paths(), g.mapping());
      print_inspect_each(
          f->names,
          [&](const std::string& n) {
            return container::network_inspect_json(
                n == network::kDefaultNetwork ? network::default_network() : nets.get(n), cs);
          },
          f->format);
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* c = add_command(*net, "exists", "Check if a network exists (exit 0) or not (exit 1)");
    c->add_option("NETWORK", *name, "Network")->required();
    c->callback([name, &g] {
      if (*name != network::kDefaultNetwork && !network::NetworkStore(g.paths()).find(*name))
        g.exit_code = 1;
    });
  }
  {
    struct Flags {
      bool force = false;
      std::vector<std::string> names;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*net, "rm", "Remove networks");
    c->alias("remove");
    c->add_flag("-f,--force", f->force, "Remove the containers using them first");
    c->add_option("NETWORK", f->names, "Networks")->required();
    c->callback([f, &g] {
      network::NetworkStore nets(g.paths());
      container::Store cs(g.paths(), g.mapping());
      for (const auto& key : f->names) {
        if (key == network::kDefaultNetwork)
          throw Error(Errc::in_use, "default network podman cannot be removed",
                      "containers use it whenever no other network is given");
        network::Network n = nets.get(key);
        if (f->force)
          for (const auto& id : nets.users(n))
            if (auto r = cs.find(id)) container::remove(cs, *r, true);
        nets.remove(n.name);
        out(n.name);
      }
    });
  }
  {
    struct Flags {
      bool force = false;
      std::vector<std::string> filters;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*net, "prune", "Remove all networks no container uses");
    c->add_flag("-f,--force", f->force, "Do not prompt for confirmation");
    c->add_option("--filter", f->filters, "Only networks matching (label=...)")
        ->allow_extra_args(false);
    c->callback([f, &g] {
      if (!f->force &&
          !confirm("WARNING! This will remove all networks not used by at least one container."))
        return;
      network::NetworkStore nets(g.paths());
      std::vector<std::string> removed;
      for (const auto& n : nets.list()) {
        if (!filter_matches(n, f->filters) || !nets.users(n).empty()) continue;
        try {
          nets.remove(n.name);
          removed.push_back(n.name);
        } catch (const Error& e) {
          if (e.code() != Errc::in_use) throw;  // taken meanwhile
        }
      }
      if (!removed.empty()) out("Deleted Networks:");
      for (const auto& n : removed) out(n);
    });
  }
  {
    struct Flags {
      std::string network, container, ip;
      std::vector<std::string> aliases;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*net, "connect", "Connect a container to a network");
    c->add_option("--alias", f->aliases, "Another name for the container on this network")
        ->allow_extra_args(false);
    c->add_option("--ip", f->ip, "The container's IPv4 address on this network");
    c->add_option("NETWORK", f->network, "Network")->required();
    c->add_option("CONTAINER", f->container, "Container")->required();
    c->callback([f, &g] {
      network::NetworkStore nets(g.paths());
      container::Store cs(g.paths(), g.mapping());
      network::Network n = nets.get(f->network);
      container::Record r = cs.get(f->container);
      const network::Mode& mode = r.spec.network;
      UniqueFd netns = live_netns(cs, r);
      if (mode.kind != network::Mode::Kind::bridge) {
        if (mode.kind != network::Mode::Kind::slirp4netns && mode.kind != network::Mode::Kind::none)
          throw Error(Errc::invalid, "container " + r.name + " uses --network " +
                                         network::to_string(r.spec.network) +
                                         ": it cannot join a network");
        if (netns)
          throw Error(Errc::invalid,
                      "container " + r.name + " runs on its own network and can join " + n.name +
                          " only when stopped",
                      "stop it, connect it, start it again");
        r.spec.networks.clear();
      }
      for (const auto& a : r.spec.networks)
        if (a.network == n.name)
          throw Error(Errc::exists, "container " + r.name + " is already connected to " + n.name);
      network::Membership att{n.name, nets.allocate(n.name, r.id, f->ip), f->aliases};
      try {
        if (netns) {
          auto holder = network::RootlessNetns::open(g.paths(), g.mapping(), r.id, false);
          holder.connect(netns.get(),
                         {network::make_endpoint(n, att.address,
                                                 "eth" + std::to_string(r.spec.networks.size()),
                                                 container::dns_names(cs, r, f->aliases))});
        }
        r.spec.networks.push_back(att);
        set_network_mode(r);
        cs.save_record(r);
        if (netns) refresh_hosts_or_warn(cs, r);
      } catch (...) {
        nets.release(n.name, r.id);
        throw;
      }
    });
  }
  {
    struct Flags {
      std::string network, container;
      bool force = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*net, "disconnect", "Disconnect a container from a network");
    c->add_flag("-f,--force", f->force, "Accepted for compatibility");
    c->add_option("NETWORK", f->network, "Network")->required();
    c->add_option("CONTAINER", f->container, "Container")->required();
    c->callback([f, &g] {
      network::NetworkStore nets(g.paths());
      container::Store cs(g.paths(), g.mapping());
      network::Network n = nets.get(f->network);
      container::Record r = cs.get(f->container);
      auto it = std::find_if(r.spec.networks.begin(), r.spec.networks.end(),
                             [&](const network::Membership& a) { return a.network == n.name; });
      if (it == r.spec.networks.end())
        throw Error(Errc::not_found, "container " + r.name + " is not connected to " + n.name);
      if (UniqueFd netns = live_netns(cs, r))
        network::RootlessNetns::open(g.paths(), g.mapping(), r.id, false).disconnect(n.name);
      r.spec.networks.erase(it);
      set_network_mode(r);
      cs.save_record(r);
      nets.release(n.name, r.id);
      refresh_hosts_or_warn(cs, r);
    });
  }
}

}  // namespace tug::cli
