// The container's /etc/hosts, /etc/resolv.conf and /etc/hostname, and the
// names it answers to on its networks.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "build_info.hpp"
#include "container/lifecycle.hpp"
#include "container/lifecycle_internal.hpp"
#include "container/pod.hpp"
#include "image/reference.hpp"
#include "network/networks.hpp"
#include "network/setup.hpp"
#include "runtime/executor.hpp"
#include "runtime/plan.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace tug::container {

namespace {

// The nameservers (into spec.dns, unless --dns gave them) and the address
// of the container's own name that its network mode gives: slirp4netns's
// forwarder, the responders on the gateways of user-defined networks.
std::vector<std::string> apply_network_dns(const Store& store, runtime::Spec& spec) {
  network::Mode net = network::parse_mode(spec.network);
  std::vector<std::string> addresses;
  if (std::string a = network::container_address(net); !a.empty()) addresses.push_back(a);
  if (spec.dns.empty()) spec.dns = network::nameservers(net);
  if (net.kind == network::Mode::Kind::bridge) {
    network::NetworkStore nets(store.paths());
    for (const auto& a : spec.networks) {
      auto n = nets.get(a.network);
      if (!a.address.empty()) addresses.push_back(a.address);
      if (n.dns_enabled && std::find(spec.dns.begin(), spec.dns.end(), n.gateway) == spec.dns.end())
        spec.dns.push_back(n.gateway);
    }
  }
  return addresses;
}

// The container's /etc/hosts: its addresses on its networks (one line
// each, as podman writes them) and the host's name where it is reachable.
std::string hosts_of(const Store& store, const Record& rec, runtime::Spec spec) {
  std::vector<std::string> addresses = apply_network_dns(store, spec);
  network::Mode net = network::parse_mode(spec.network);
  std::string host = network::host_address(net);
  if (net.kind == network::Mode::Kind::bridge) {
    // Internal networks have no way out: the host is out of reach.
    network::NetworkStore nets(store.paths());
    bool out = std::any_of(spec.networks.begin(), spec.networks.end(),
                           [&](const auto& m) { return !nets.get(m.network).internal; });
    if (!out) host.clear();
  }
  return runtime::hosts_file_content(spec, addresses, host, rec.name);
}

// The resolv.conf of a container of spec, whose network's nameservers are
// applied (apply_network_dns); one on another container's network without
// --dns of its own shares that container's.
std::string resolv_conf_of(const Store& store, const runtime::Spec& spec, const std::string& host,
                           int depth = 0) {
  network::Mode net = network::parse_mode(spec.network);
  if (net.kind == network::Mode::Kind::container && spec.dns.empty() && depth < 8) {
    if (auto other = store.find(net.target)) {
      runtime::Spec o = other->spec;
      apply_network_dns(store, o);
      return resolv_conf_of(store, o, host, depth + 1);
    }
  }
  return runtime::resolv_conf_content(spec, host);
}

}  // namespace

runtime::PlanInputs etc_files(const Store& store, const image::Store& images, const Record& rec,
                              runtime::Spec spec) {
  runtime::PlanInputs in;
  in.hosts = hosts_of(store, rec, spec);
  apply_network_dns(store, spec);
  in.resolv_conf =
      resolv_conf_of(store, spec, read_file_if_exists("/etc/resolv.conf").value_or(""));
  in.hostname = spec.hostname + "\n";
  if (spec.init) in.init_binary = libexec_path("tug-init");
  if (spec.privileged) {
    runtime::ContainerEnv c;
    c.engine = "tug-" TUG_VERSION;
    c.name = rec.name;
    c.id = rec.id;
    c.image = rec.image_name;
    c.image_id = rec.image_id;
    c.rootless = ::geteuid() != 0;
    try {
      // The name as stored (podman writes the qualified name).
      if (rec.rootfs_dir.empty() && rec.squashfs.empty()) {
        image::Image img = images.get(rec.image_id);
        std::string typed;
        try {
          typed = image::parse_reference(rec.image_name).str();
        } catch (const Error&) {
        }
        auto it = std::find(img.names.begin(), img.names.end(), typed);
        if (it != img.names.end())
          c.image = *it;
        else if (!img.names.empty())
          c.image = img.names.front();
      }
    } catch (const Error&) {
      // an image removed since: the name as typed
    }
    in.containerenv = runtime::containerenv_content(true, c);
  }
  return in;
}

std::vector<std::string> dns_names(const Store& store, const Record& rec,
                                   const std::vector<std::string>& aliases) {
  std::vector<std::string> names = {rec.name, rec.id.substr(0, 12)};
  names.insert(names.end(), aliases.begin(), aliases.end());
  // A pod's infra holds the pod's network: the pod answers by its name.
  if (rec.infra)
    if (auto pod = find_pod(store.paths(), rec.pod)) names.push_back(pod->name);
  for (auto& n : names) std::transform(n.begin(), n.end(), n.begin(), ::tolower);
  return names;
}

void refresh_hosts(Store& store, const Record& r) {
  State st = store.state(r.id);
  if (st.status != "running" || runtime::process_start_time(st.pid) != st.pid_start_time) return;
  runtime::Spec spec = r.spec;
  spec.hostname = effective_hostname(r);
  std::string text = hosts_of(store, r, spec);
  // Through the container's root, every component resolved inside it: a
  // link the container made cannot send the write to the host's files.
  UniqueFd root(::open(("/proc/" + std::to_string(st.pid) + "/root").c_str(),
                       O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("opening the root of container " + r.name);
  struct open_how how {};
  how.flags = O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root.get(), "etc/hosts", &how, sizeof how);
  if (fd < 0) throw_errno("opening /etc/hosts of container " + r.name);
  UniqueFd f(static_cast<int>(fd));
  write_all(f.get(), text.data(), text.size());
}

}  // namespace tug::container
