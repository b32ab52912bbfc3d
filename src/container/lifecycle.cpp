#include "container/lifecycle.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

#include "build_info.hpp"
#include "cdi/cdi.hpp"
#include "cgroup/cgroup.hpp"
#include "container/frontend.hpp"
#include "container/health.hpp"
#include "container/pod.hpp"
#include "container/rootfs.hpp"
#include "container/update.hpp"
#include "events/events.hpp"
#include "image/layer.hpp"
#include "image/reference.hpp"
#include "image/squashfs.hpp"
#include "monitor/monitor.hpp"
#include "network/networks.hpp"
#include "network/rootless_netns.hpp"
#include "network/setup.hpp"
#include "runtime/executor.hpp"
#include "runtime/mount_tree.hpp"
#include "runtime/plan.hpp"
#include "storage/driver.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "volume/volume.hpp"

namespace tug::container {

namespace {

std::vector<std::string> json_strings(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return {};
  std::vector<std::string> out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

// Sets KEY=VALUE in env, replacing an existing KEY.
void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto key = kv.substr(0, kv.find('='));
  auto it = std::find_if(env.begin(), env.end(),
                         [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
  if (it != env.end())
    *it = kv;
  else
    env.push_back(kv);
}

// "-e KEY" takes KEY's value from tug's environment, or is dropped if unset.
void add_env_flag(std::vector<std::string>& env, const std::string& flag) {
  if (flag.empty() || flag[0] == '=')
    throw Error(Errc::usage, "invalid environment variable " + quote(flag));
  if (flag.find('=') != std::string::npos) return set_env(env, flag);
  if (const char* v = std::getenv(flag.c_str())) set_env(env, flag + "=" + v);
}

void read_env_file(std::vector<std::string>& env, const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) throw Error(Errc::not_found, "open " + path + ": no such file or directory");
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    add_env_flag(env, t);
  }
}

// docker's parseKeyValueFile (opts.ReadKVStrings) for labels.
void read_label_file(std::map<std::string, std::string>& labels, const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) throw Error(Errc::not_found, "open " + path + ": no such file or directory");
  if (starts_with(*text, "\xEF\xBB\xBF")) text->erase(0, 3);  // a UTF-8 BOM
  std::istringstream in(*text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    line.erase(0, line.find_first_not_of(" \t\n\v\f\r"));
    if (line.empty() || line[0] == '#') continue;
    bool has_value = false;
    auto [key, value] = split_once(line, '=', &has_value);
    std::string where = path + " line " + std::to_string(number);
    if (key.empty())
      throw Error(Errc::usage, "label file " + where + ": no label name in " + quote(line));
    if (key.find_first_of(" \t\n\v\f\r") != std::string::npos)
      throw Error(Errc::usage, "label file " + where + ": label name " + quote(trim(key)) +
                                   " contains whitespace");
    labels[key] = has_value ? value : "";
  }
}

runtime::MountSpec parse_tmpfs_flag(const std::string& text) {
  bool has_opts = false;
  auto [dst, opts] = split_once(text, ':', &has_opts);
  if (dst.empty() || dst[0] != '/')
    throw Error(Errc::usage,
                "invalid tmpfs destination " + quote(dst) + ": must be an absolute path");
  runtime::MountSpec m;
  m.type = runtime::MountSpec::Type::tmpfs;
  m.destination = dst;
  m.options = has_opts ? opts : "rw,nosuid,nodev,mode=1777";
  // Flags in the option string are applied as mount flags by the kernel
  // parser only for data options; keep just the data options.
  std::vector<std::string> data;
  for (const auto& o : split(m.options, ',')) {
    if (o == "ro")
      m.readonly = true;
    else if (o == "rw" || o == "nosuid" || o == "nodev" || o == "noexec" || o == "exec" ||
             o == "suid" || o == "dev" || o.empty())
      continue;
    else
      data.push_back(o);
  }
  m.options = join(data, ",");
  return m;
}

cgroup::Limits parse_limits(const CreateOptions& o) {
  cgroup::Limits l;
  if (!o.memory.empty()) l.memory = parse_size(o.memory);
  if (!o.memory_swap.empty())
    l.memory_swap = o.memory_swap == "-1" ? -1 : parse_size(o.memory_swap);
  if (!o.memory_reservation.empty()) l.memory_reservation = parse_size(o.memory_reservation);
  if (!o.cpus.empty()) {
    char* end = nullptr;
    double c = std::strtod(o.cpus.c_str(), &end);
    if (!end || *end || c <= 0) throw Error(Errc::usage, "invalid --cpus " + quote(o.cpus));
    l.cpus = c;
  }
  l.cpu_shares = o.cpu_shares;
  l.pids = o.pids_limit;
  l.cpu_period = o.cpu_period;
  l.cpu_quota = o.cpu_quota;
  if (!o.cpuset_cpus.empty()) l.cpuset_cpus = o.cpuset_cpus;
  if (!o.cpuset_mems.empty()) l.cpuset_mems = o.cpuset_mems;
  l.blkio_weight = o.blkio_weight;
  cgroup::validate(l);
  return l;
}

// Compiled seccomp filters, kept with the runtime state: gone at a reboot,
// when a new kernel or library may want them compiled again anyway.
std::string seccomp_cache(const Store& store) {
  return store.paths().run + "/seccomp";
}

void release_addresses(const Store& store, const Record& r) {
  network::NetworkStore nets(store.paths());
  for (const auto& a : r.spec.networks) nets.release(a.network, r.id);
}

// The address asked for on a container's i-th network: --ip names the
// first, compose's ipv4_address any.
std::string wanted_ip(const CreateOptions& o, const network::Membership& m, size_t i) {
  if (auto it = o.ip_on.find(m.network); it != o.ip_on.end()) return it->second;
  return i == 0 ? o.ip : "";
}

// rec, with an address on each of its networks. A record without one was
// left by a create that an older tug published before allocating (and that
// was killed in between): it gets its address now instead of failing to
// start with a malformed one.
Record with_addresses(Store& store, const Record& rec) {
  auto missing = [](const network::Membership& m) { return m.address.empty(); };
  if (std::none_of(rec.spec.networks.begin(), rec.spec.networks.end(), missing)) return rec;
  network::NetworkStore nets(store.paths());
  std::vector<std::pair<std::string, std::string>> given;  // network, address
  for (const auto& m : rec.spec.networks)
    if (m.address.empty()) given.emplace_back(m.network, nets.allocate(m.network, rec.id));
  Record out = store.modify(rec.id, [&](Record& r) {
    for (auto& m : r.spec.networks)
      for (const auto& [net, ip] : given)
        if (m.network == net && m.address.empty()) m.address = ip;
  });
  for (const auto& [net, ip] : given)
    log_warn("container " + rec.name + " had no address on network " + net +
             " (its create was interrupted): it gets " + ip);
  return out;
}

// Where a container on user-defined networks plugs in: eth0, eth1, ... in
// the order of --network, answering DNS for its name, short id and aliases.
std::vector<network::Endpoint> endpoints_of(const Store& store, const Record& rec) {
  network::NetworkStore nets(store.paths());
  std::vector<network::Endpoint> out;
  for (size_t i = 0; i < rec.spec.networks.size(); ++i) {
    const auto& a = rec.spec.networks[i];
    if (a.address.empty())
      throw Error(Errc::corrupt,
                  "container " + rec.name + " has no address on network " + a.network +
                      ": its record is incomplete",
                  "run tug system check --repair, or remove and recreate the container");
    out.push_back(network::make_endpoint(nets.get(a.network), a.address, "eth" + std::to_string(i),
                                         dns_names(store, rec, a.aliases)));
  }
  return out;
}

// Subnets of the user-defined networks rec is not on: unreachable from it,
// rather than sent out through slirp4netns to the host's routes.
std::vector<std::string> other_subnets(const Store& store, const Record& rec) {
  std::vector<std::string> out;
  for (const auto& n : network::NetworkStore(store.paths()).list())
    if (std::none_of(rec.spec.networks.begin(), rec.spec.networks.end(),
                     [&](const network::Membership& a) { return a.network == n.name; }))
      out.push_back(n.subnet);
  return out;
}

// The network part of create(): the pod (whose infra's namespaces a
// member joins), the --network mode (container:NAME stored by id) and the
// published ports (-p, -P from the image's EXPOSE), checked against the
// mode. Fills r.pod, r.infra, r.spec.network and r.spec.ports.
network::Mode resolve_network(const Store& store, const json& cfg, const CreateOptions& o,
                              Record& r) {
  runtime::Spec& s = r.spec;
  std::string network_flag = o.network;
  if (!o.infra_of_pod.empty()) {
    r.pod = o.infra_of_pod;
    r.infra = true;
  } else if (!o.pod.empty()) {
    auto pod = find_pod(store.paths(), o.pod);
    if (!pod) throw Error(Errc::not_found, "no pod with name or ID \"" + o.pod + "\" found");
    // Network, uts and ipc are the pod's, set on `tug pod create`.
    if (!o.network.empty())
      throw Error(Errc::usage, "a container in a pod uses the pod's network",
                  "set --network on tug pod create");
    if (!o.publish.empty() || o.publish_all)
      throw Error(Errc::usage, "a container in a pod cannot publish ports",
                  "publish them on the pod: tug pod create -p");
    if (!o.hostname.empty())
      throw Error(Errc::usage, "a container in a pod has the pod's hostname",
                  "set --hostname on tug pod create");
    r.pod = pod->id;
    network_flag = "container:" + pod->infra_id;
  }
  network::Mode net = network::parse_mode(network_flag);
  if (net.kind == network::Mode::Kind::container) {
    // Stored by id: a rename of the other container must not break this one.
    Record other = store.get(net.target);
    net.target = other.id;
    if (network::parse_mode(other.spec.network).kind == network::Mode::Kind::container)
      throw Error(Errc::invalid, "container " + other.name + " uses another container's network",
                  "join the container that owns it");
  }
  if (net.kind == network::Mode::Kind::bridge) {
    network::NetworkStore nets(store.paths());
    for (const auto& name : net.networks) {
      if (!nets.find(name))
        throw Error(Errc::not_found, "unable to find network with name or ID " + name,
                    "create it with tug network create " + name);
      std::vector<std::string> aliases = o.network_aliases;
      if (auto it = o.aliases_on.find(name); it != o.aliases_on.end())
        aliases.insert(aliases.end(), it->second.begin(), it->second.end());
      s.networks.push_back({name, "", aliases});
    }
  } else if (!o.network_aliases.empty() || !o.ip.empty()) {
    throw Error(
        Errc::usage,
        std::string(o.ip.empty() ? "--network-alias" : "--ip") + " needs a user-defined network",
        "create one with tug network create NAME, run with --network NAME");
  }
  s.network = network::to_string(net);
  for (const auto& p : o.publish)
    for (auto& m : network::parse_publish(p)) s.ports.push_back(m);
  if (o.publish_all) {
    std::vector<std::string> exposed;
    if (auto it = cfg.find("ExposedPorts"); it != cfg.end() && it->is_object())
      for (auto e = it->begin(); e != it->end(); ++e) exposed.push_back(e.key());
    for (auto& m : network::publish_exposed(exposed)) {
      bool covered = std::any_of(s.ports.begin(), s.ports.end(), [&](const auto& p) {
        return p.container_port == m.container_port && p.protocol == m.protocol;
      });
      if (!covered) s.ports.push_back(m);
    }
  }
  if (!s.ports.empty()) {
    if (net.kind == network::Mode::Kind::host) {
      log_warn(
          "published ports are discarded with the host's network: the container's ports are "
          "the host's already");
      s.ports.clear();
    } else if (net.kind != network::Mode::Kind::slirp4netns &&
               net.kind != network::Mode::Kind::pasta && net.kind != network::Mode::Kind::bridge) {
      throw Error(Errc::usage,
                  "cannot publish ports with --network " + network_flag +
                      ": the network namespace is not the container's own to forward into",
                  net.kind == network::Mode::Kind::container
                      ? "publish them on the container that owns the network"
                      : "use the default network (slirp4netns) or pasta");
    }
  }

  return net;
}

// A host device for --device (a node, or a directory of them as podman
// takes /dev/dri): checked now, so a typo fails create, not every start.
void check_host_device(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw Error(Errc::not_found, "error gathering device information while adding custom device " +
                                     quote(path) + ": " + std::strerror(errno));
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode))
    throw Error(Errc::usage, quote(path) + " is not a device node",
                "--device takes character or block devices; use -v for files");
}

// --device and --gpus: host nodes as given, CDI names through the specs.
void add_devices(runtime::Spec& s, const CreateOptions& o) {
  std::vector<std::string> cdi_names;
  for (const auto& d : o.devices) {
    if (cdi::is_qualified_name(d)) {
      cdi_names.push_back(d);
      continue;
    }
    runtime::DeviceSpec dev = runtime::parse_device_flag(d);
    check_host_device(dev.source);
    if (dev.permissions.find('w') == std::string::npos)
      log_warn("--device " + d +
               ": permissions without w are not enforced for device nodes without a device "
               "cgroup (rootless): the node is bound read-only, which does not stop writes to it");
    s.devices.push_back(dev);
  }
  if (!o.gpus.empty()) {
    if (o.gpus == "all") {
      cdi_names.push_back("nvidia.com/gpu=all");
    } else if (starts_with(o.gpus, "device=") && o.gpus.size() > 7) {
      for (const auto& id : split(o.gpus.substr(7), ','))
        if (!id.empty()) cdi_names.push_back("nvidia.com/gpu=" + id);
    } else {
      throw Error(Errc::usage, "invalid --gpus " + quote(o.gpus),
                  "use --gpus all or --gpus device=N[,M] (GPUs come from CDI specs)");
    }
  }
  if (cdi_names.empty()) return;
  cdi::ContainerEdits edits = cdi::resolve(cdi::load_specs(cdi::spec_dirs()), cdi_names);
  for (const auto& e : edits.env) set_env(s.env, e);
  for (const auto& n : edits.device_nodes) {
    check_host_device(n.host_path);
    s.devices.push_back({n.host_path, n.path, n.permissions.empty() ? "rwm" : n.permissions});
  }
  for (const auto& m : edits.mounts) {
    if (!m.type.empty() && m.type != "bind" && m.type != "rbind")
      throw Error(
          Errc::unsupported,
          "CDI mount of type " + quote(m.type) + " at " + m.container_path + " is not supported",
          "tug applies bind mounts from CDI specs");
    if (!path_exists(m.host_path))
      throw Error(Errc::not_found, "CDI mount source " + m.host_path + " does not exist");
    runtime::MountSpec ms;
    ms.source = m.host_path;
    ms.destination = m.container_path;
    ms.readonly = std::find(m.options.begin(), m.options.end(), "ro") != m.options.end();
    s.mounts.push_back(ms);
  }
  for (const auto& h : edits.hooks) {
    if (h.hook_name != "createContainer" && h.hook_name != "startContainer")
      throw Error(Errc::unsupported,
                  "CDI hook " + quote(h.hook_name) + " (" + h.path + ") is not supported",
                  "tug runs createContainer and startContainer hooks");
    s.hooks.push_back({h.hook_name, h.path, h.args, h.env, h.timeout});
  }
}

}  // namespace

namespace {

// The container whose namespace a spec joins through mode ("container:ID"),
// or "".
std::string joined_id(const std::string& mode) {
  return starts_with(mode, "container:") ? mode.substr(10) : std::string();
}

}  // namespace

FileLock image_use_lock(const Paths& paths, FileLock::Mode mode) {
  return FileLock(paths.data + "/image-use.lock", mode);
}

Record create(Store& store, const image::Store& images, const CreateOptions& o) {
  FileLock using_image = image_use_lock(store.paths(), FileLock::Mode::shared);
  image::Image img;
  if (!o.rootfs.empty()) {
    img.config = json::object();
    img.id = std::string(64, '0');
  } else if (image::is_squashfs_ref(o.image)) {
    img = image::open_squashfs(o.image);
  } else {
    img = images.get(o.image);
    images.require_complete(img);
  }
  const json& cfg = img.runtime_config();

  Record r;
  r.name = o.name;
  r.image_id = img.id;
  r.image_name = o.image;
  // ps, inspect's ImageName and Config.Image show the name the image is
  // stored under ("app" -> localhost/app:latest), as podman does; an image
  // named by id shows its first name.
  if (!img.names.empty() && o.rootfs.empty() && !image::is_squashfs_ref(o.image))
    r.image_name = images.matching_name(img, o.image).value_or(img.names.front());
  r.layers.reserve(img.layers.size());
  for (const auto& l : img.layers) r.layers.push_back(l.diff_id);
  r.driver = storage::driver_name(
      storage::select_driver(store.paths(), store.mapping(), o.storage_driver));
  r.squashfs = img.squashfs;
  if (!r.squashfs.empty() && find_in_path("squashfuse_ll").empty() &&
      find_in_path("squashfuse").empty())
    throw Error(Errc::not_found, "squashfuse not found: it mounts squashfs images",
                "install package squashfuse");
  if (!o.rootfs.empty()) {
    if (!is_directory(o.rootfs))
      throw Error(Errc::not_found, "--rootfs " + o.rootfs + ": no such directory",
                  "a squashfs file runs as squashfs:PATH");
    char* real = ::realpath(o.rootfs.c_str(), nullptr);
    if (!real) throw_errno("realpath " + o.rootfs);
    r.rootfs_dir = real;
    ::free(real);
    r.image_name = r.rootfs_dir;
  }
  r.auto_remove = o.auto_remove;
  if (o.build_step)
    r.build = Record::BuildOwner{::getpid(), runtime::process_start_time(::getpid())};

  runtime::Spec& s = r.spec;
  std::vector<std::string> entrypoint = json_strings(cfg, "Entrypoint");
  std::vector<std::string> cmd = json_strings(cfg, "Cmd");
  if (o.entrypoint) {
    // Docker: --entrypoint replaces the image's entrypoint and drops its Cmd.
    entrypoint = o.entrypoint->empty() ? std::vector<std::string>{}
                                       : std::vector<std::string>{*o.entrypoint};
    cmd.clear();
  }
  if (!o.command.empty()) cmd = o.command;
  r.entrypoint = entrypoint;
  s.args = entrypoint;
  s.args.insert(s.args.end(), cmd.begin(), cmd.end());
  if (s.args.empty())
    throw Error(Errc::usage,
                "no command or entrypoint provided, and no CMD or ENTRYPOINT from image");

  s.env.clear();
  for (const auto& e : o.default_env) set_env(s.env, e);
  for (const auto& e : json_strings(cfg, "Env")) set_env(s.env, e);
  for (const auto& f : o.env_files) read_env_file(s.env, f);
  for (const auto& e : o.env) add_env_flag(s.env, e);
  // docker gives a terminal TERM=xterm unless the image or -e names one;
  // podman's container=podman is tug's container=tug (see docs/compat.md).
  auto has_env = [&](const char* key) {
    std::string prefix = std::string(key) + "=";
    return std::any_of(s.env.begin(), s.env.end(),
                       [&](const std::string& e) { return starts_with(e, prefix); });
  };
  if (o.tty && !has_env("TERM")) s.env.push_back("TERM=xterm");
  if (!has_env("container")) s.env.push_back("container=tug");

  s.cwd = o.workdir ? *o.workdir : json_str(cfg, "WorkingDir", "/");
  if (s.cwd.empty()) s.cwd = "/";
  if (s.cwd[0] != '/')
    throw Error(Errc::usage, "the working directory " + quote(s.cwd) + " is not an absolute path");
  s.user = o.user ? *o.user : json_str(cfg, "User");
  network::Mode net = resolve_network(store, cfg, o, r);

  s.log_driver = runtime::validate_log_driver(o.log_driver);
  for (const auto& opt : o.log_opts) runtime::add_log_opt(s.log_opts, opt);
  if (s.log_driver == "journald" && !path_exists(kJournalSocket))
    throw Error(Errc::unsupported,
                "the journald log driver needs systemd's journal, and this host has none (no " +
                    std::string(kJournalSocket) + ")",
                "use --log-driver k8s-file (the default) or json-file");
  if (s.log_driver == "passthrough" && o.tty)
    throw Error(Errc::usage, "the passthrough log driver cannot be used with a terminal (-t)",
                "the container's output goes straight to the caller's stdio without -t");
  volume::Store volumes(store.paths(), store.mapping());
  // A bind or volume mount from -v or --mount: names resolve to volumes
  // (created on first use), no name to a new anonymous volume.
  auto add_mount = [&](runtime::MountSpec m) {
    if (m.type == runtime::MountSpec::Type::tmpfs) {
      // as given
    } else if (!m.volume.empty()) {
      if (!volume::valid_name(m.volume))
        throw Error(Errc::usage,
                    quote(m.volume) + " includes invalid characters for a local volume name",
                    "use an absolute path for a bind mount");
      volume::Volume v = volumes.create(m.volume, false, {}, true).first;
      // A volume made with -o: a tmpfs mounted at each start, or a host
      // directory bound in the volume's place.
      if (v.is_tmpfs()) {
        m.type = runtime::MountSpec::Type::tmpfs;
        m.options = v.options.count("o") ? v.options.at("o") : "";
      } else if (std::string dev = v.bind_device(); !dev.empty()) {
        m.source = dev;
      } else {
        m.source = v.mountpoint;
        // Its owner was chosen: the image's directory does not replace it.
        if (v.options.count("uid") || v.options.count("gid")) m.options = "nocopy";
      }
    } else if (m.source.empty()) {
      volume::Volume anon = volumes.create("", true).first;
      m.volume = anon.name;
      m.source = anon.mountpoint;
    } else {
      struct stat st;
      if (::stat(m.source.c_str(), &st) != 0)
        throw Error(Errc::not_found, "bind source path does not exist: " + m.source);
    }
    for (const auto& other : s.mounts)
      if (other.destination == m.destination)
        throw Error(Errc::usage, "duplicate mount destination " + quote(m.destination));
    s.mounts.push_back(m);
  };
  for (const auto& v : o.volumes) add_mount(runtime::parse_volume_flag(v));
  for (const auto& v : o.mounts) add_mount(runtime::parse_mount_flag(v));
  for (const auto& t : o.tmpfs) add_mount(parse_tmpfs_flag(t));
  // --volumes-from CTR[:ro|rw]: the other container's volumes and bind
  // mounts at the same places (the same volumes, shared), unless a mount
  // of this container's own is there; ro/rw override their modes.
  for (const auto& spec : o.volumes_from) {
    bool has_mode = false;
    auto [name, mode] = split_once(spec, ':', &has_mode);
    if (has_mode && mode != "ro" && mode != "rw" && mode != "z" && mode != "Z")
      throw Error(Errc::usage, "invalid --volumes-from mode " + quote(mode) + " in " + quote(spec),
                  "use CONTAINER[:ro|rw]");
    Record from = store.get(name);
    for (runtime::MountSpec m : from.spec.mounts) {
      if (m.type != runtime::MountSpec::Type::bind && m.volume.empty()) continue;
      bool covered =
          std::any_of(s.mounts.begin(), s.mounts.end(),
                      [&](const runtime::MountSpec& x) { return x.destination == m.destination; });
      if (covered) continue;
      if (mode == "ro") m.readonly = true;
      if (mode == "rw") m.readonly = false;
      m.chown = false;  // chowned for its first owner already
      s.mounts.push_back(m);
    }
  }
  // The image's VOLUME entries that nothing else covers get anonymous volumes.
  if (auto it = cfg.find("Volumes"); o.image_volumes && it != cfg.end() && it->is_object()) {
    for (auto v = it->begin(); v != it->end(); ++v) {
      const std::string& dest = v.key();
      bool covered =
          std::any_of(s.mounts.begin(), s.mounts.end(),
                      [&](const runtime::MountSpec& m) { return m.destination == dest; });
      if (covered) continue;
      runtime::MountSpec m;
      m.destination = dest;
      volume::Volume anon = volumes.create("", true).first;
      m.volume = anon.name;
      m.source = anon.mountpoint;
      s.mounts.push_back(m);
    }
  }
  for (const auto& h : o.add_hosts) {
    bool ok = false;
    auto [name, ip] = split_once(h, ':', &ok);
    if (!ok || name.empty() || ip.empty())
      throw Error(Errc::usage, "invalid --add-host " + quote(h) + ": expected HOST:IP");
    s.extra_hosts.emplace_back(name, ip);
  }
  s.dns = o.dns;
  s.dns_search = o.dns_search;
  s.dns_options = o.dns_options;
  s.ipc = runtime::validate_ipc_mode(o.ipc);
  if (!o.shm_size.empty()) {
    s.shm_size = parse_size(o.shm_size);
    if (s.shm_size <= 0)
      throw Error(Errc::usage, "invalid --shm-size " + quote(o.shm_size),
                  "give a size greater than 0, e.g. 128m");
  }
  if (starts_with(s.ipc, "container:")) {
    std::string target = s.ipc.substr(10);
    auto other = store.find(target);
    if (!other)
      throw Error(Errc::not_found,
                  "no container with name or ID " + quote(target) + " found: no such container");
    s.ipc = "container:" + other->id;
  }
  for (const auto& g : o.group_add)
    if (g == "keep-groups" && o.group_add.size() > 1)
      throw Error(Errc::usage,
                  "the '--group-add keep-groups' option is not allowed with any other --group-add "
                  "options");
  s.group_add = o.group_add;
  if (!o.kernel_memory.empty()) {
    parse_size(o.kernel_memory);  // a malformed size fails as --memory's does
    // docker's words (its daemon ignores the limit on cgroup v2 too).
    std::fputs(
        "WARNING: Specifying a kernel memory limit is deprecated and will be removed in a future "
        "release.\n",
        stderr);
  }
  for (const auto& c : o.cap_add) runtime::capability_number(c);  // validate early
  for (const auto& c : o.cap_drop) runtime::capability_number(c);
  cgroup::Limits limits = parse_limits(o);
  s.limits = cgroup::to_json(limits);
  if (limits.any()) {
    r.limits_not_applied = cgroup::unapplied(limits, cgroup::detect_host());
    for (const auto& why : r.limits_not_applied)
      log_warn("resource limit not applied: " + why + " (see 'tug info')");
  }
  auto keep = userns::parse_keep_id(o.userns, ::getuid(), ::getgid());
  if (keep) {
    if (net.kind == network::Mode::Kind::container || net.kind == network::Mode::Kind::ns ||
        net.kind == network::Mode::Kind::bridge)
      throw Error(
          Errc::unsupported,
          (o.pod.empty() ? "--userns=keep-id cannot be combined with --network " + r.spec.network
                         : std::string("--userns=keep-id cannot be combined with --pod")),
          net.kind == network::Mode::Kind::bridge
              ? "containers on user-defined networks share the rootless network namespace's user "
                "namespace"
              : "a container joining another's network shares that one's user namespace");
    if (starts_with(s.ipc, "container:"))
      throw Error(Errc::unsupported, "--userns=keep-id cannot be combined with --ipc container:",
                  "a container joining another's IPC namespace shares that one's user namespace");
    s.userns = keep->canonical();
    // HOME comes from the passwd entry the start adds (the user's home
    // when the image has it, else the working directory).
    if (!o.user) s.user = std::to_string(keep->uid) + ":" + std::to_string(keep->gid);
    // Layers are stored for the store's mapping (container 0 = you); under
    // keep-id's mapping they would show shifted owners, which only
    // fuse-overlayfs's id translation undoes without copying them.
    if (!store.mapping().single && r.driver != "fuse-overlayfs") {
      if (!o.storage_driver.empty() && o.storage_driver != "fuse-overlayfs")
        throw Error(
            Errc::unsupported,
            "--userns=keep-id needs the fuse-overlayfs storage driver with subordinate ids, "
            "not " +
                o.storage_driver,
            "drop --storage-driver");
      if (!storage::fuse_overlayfs_usable())
        throw Error(Errc::unsupported,
                    "--userns=keep-id needs fuse-overlayfs (to show the image's files with their "
                    "owners under the shifted mapping), and it is not usable here",
                    "install package fuse-overlayfs and make /dev/fuse readable and writable "
                    "(see 'tug system check')");
      r.driver = "fuse-overlayfs";
    }
  } else if (!o.userns.empty() && o.userns != "host") {
    bool known = o.userns == "auto" || o.userns.rfind("auto:", 0) == 0 || o.userns == "nomap" ||
                 o.userns.rfind("ns:", 0) == 0 || o.userns.rfind("container:", 0) == 0;
    if (!known)
      throw Error(Errc::usage, "invalid --userns " + quote(o.userns),
                  "use host, keep-id[:uid=UID,gid=GID], auto, nomap, ns:PATH or container:NAME");
    throw Error(Errc::unsupported, "--userns=" + o.userns + " is not supported yet",
                "use the default (your uid is root inside, your subordinate ids the other "
                "users) or keep-id (your uid is your uid inside)");
  }
  add_devices(s, o);
  for (const auto& u : o.ulimits) runtime::parse_ulimit(u);  // validate early
  s.ulimits = o.ulimits;
  s.privileged = o.privileged;
  for (const auto& so : o.security_opt) {
    runtime::validate_security_opt(so);
    if (std::string path = runtime::seccomp_profile_path(so); !path.empty()) {
      // Read now, as docker does: the container keeps the profile it was
      // created with, whatever happens to the file later.
      auto text = read_file_if_exists(path);
      if (!text) throw Error(Errc::not_found, "opening seccomp profile " + path + ": no such file");
      s.seccomp_profile = parse_json(*text, "seccomp profile " + path);
      runtime::parse_seccomp_profile(s.seccomp_profile, ~0ULL);  // validate early
    }
  }
  s.security_opt = o.security_opt;
  s.cap_add = o.cap_add;
  s.cap_drop = o.cap_drop;
  s.read_only = o.read_only;
  s.tty = o.tty;
  s.stdin_open = o.interactive;
  s.init = o.init;
  r.labels = collect_labels(o.label_files, o.labels);
  if (auto it = cfg.find("Labels"); it != cfg.end() && it->is_object())
    for (auto l = it->begin(); l != it->end(); ++l)
      if (l->is_string() && !r.labels.count(l.key())) r.labels[l.key()] = l->get<std::string>();

  // Without -h the hostname is the short id, derived at start: the id is
  // only known once the record is created. The host's network keeps the
  // host's name, as docker and podman do.
  s.hostname = o.hostname;
  if (s.hostname.empty() && net.kind == network::Mode::Kind::host) {
    struct utsname u {};
    if (::uname(&u) == 0) s.hostname = u.nodename;
  }
  s.stop_signal = o.stop_signal.empty() ? json_str(cfg, "StopSignal", "SIGTERM") : o.stop_signal;
  runtime::signal_number(s.stop_signal);  // validate early
  if (o.stop_timeout) s.stop_timeout = *o.stop_timeout;
  s.restart_policy = runtime::validate_restart_policy(o.restart);
  s.sdnotify = runtime::validate_sdnotify(o.sdnotify);
  s.cgroups = runtime::validate_cgroups_mode(o.cgroups);
  if (s.cgroups == "disabled" && parse_limits(o).any())
    throw Error(Errc::usage,
                "resource limits need a cgroup: they conflict with --cgroups=disabled");
  if (s.cgroups == "split") {
    cgroup::Host host = cgroup::detect_host();
    if (!host.v2 || !host.writable)
      throw Error(Errc::unsupported,
                  "--cgroups=split needs a cgroup v2 subtree delegated to you, and " +
                      std::string(host.v2 ? "your cgroup " + host.own + " is not writable"
                                          : "this host has no cgroup v2 hierarchy"),
                  "run it in a unit with Delegate=yes (the units tug generates and the "
                  "Quadlet-style ones have it), or use --cgroups=enabled");
  }
  if (s.restart_policy != "no" && o.auto_remove)
    throw Error(Errc::usage, "conflicting options: --restart and --rm");
  r.healthcheck =
      merge_healthcheck(cfg.contains("Healthcheck") ? cfg["Healthcheck"] : json(), o.health);
  if (s.sdnotify == "healthy" && !has_healthcheck(r.healthcheck))
    throw Error(Errc::usage, "sdnotify policy \"healthy\" requires a healthcheck to be set",
                "add --health-cmd (or use an image with a HEALTHCHECK), or another --sdnotify");
  if (o.replace && !o.name.empty()) {
    // Everything is validated: only now may the old container go.
    if (auto old = store.find(o.name); old && old->name == o.name) {
      try {
        remove(store, *old, true);
      } catch (const Error& e) {
        // A detached --rm container's monitor removes it as it dies: gone is fine.
        if (e.code() != Errc::not_found) throw;
      }
    }
  }
  // podman's rule: a --cidfile that exists may belong to another container.
  if (!o.cidfile.empty() && path_exists(o.cidfile))
    throw Error(Errc::exists, "container id file " + o.cidfile + " exists",
                "ensure another container is not using it, or delete it");
  r.create_command = o.create_command;
  r.conmon_pidfile = o.conmon_pidfile;
  // Addresses are handed out once the id and its directory exist (an
  // allocation whose container directory is gone is a stale one to the
  // allocator) and before the record is written: a create killed at any
  // moment never leaves a record without its address.
  r = store.create(r, [&](Record& rec) {
    if (rec.spec.networks.empty()) return;
    network::NetworkStore nets(store.paths());
    try {
      for (size_t i = 0; i < rec.spec.networks.size(); ++i)
        rec.spec.networks[i].address = nets.allocate(rec.spec.networks[i].network, rec.id,
                                                     wanted_ip(o, rec.spec.networks[i], i));
    } catch (...) {
      release_addresses(store, rec);
      throw;
    }
  });
  // The owner of a joined namespace learns of its user (see dependents()).
  for (const std::string& owner : {joined_id(r.spec.network), joined_id(r.spec.ipc)}) {
    if (owner.empty()) continue;
    try {
      make_dirs(store.dir(owner) + "/users", 0700);
      write_file(store.dir(owner) + "/users/" + r.id, "");
    } catch (const Error& e) {
      log_warn("recording container " + r.id.substr(0, 12) + " as a user of " +
               owner.substr(0, 12) + ": " + e.what());
    }
  }
  if (!o.cidfile.empty()) {
    try {
      write_file(o.cidfile, r.id);
    } catch (...) {
      release_addresses(store, r);
      store.remove(r);
      throw;
    }
  }
  if (r.rootfs_dir.empty() && r.squashfs.empty() && !r.layers.empty()) {
    // The image's "/" mode is the container's (podman keeps it: an image
    // whose / is 0555 runs so): the upper dir's mode is what overlay
    // shows. Layers made without a "./" entry get 0755, so the top-most
    // root with another mode is the one an image set.
    mode_t root_mode = 0755;
    for (auto it = r.layers.rbegin(); it != r.layers.rend(); ++it) {
      struct stat st;
      if (::stat(images.layer_dir(*it).c_str(), &st) == 0 && (st.st_mode & 07777) != 0755) {
        root_mode = st.st_mode & 07777;
        break;
      }
    }
    if (root_mode != 0755 && r.driver != "vfs")
      ::chmod((store.dir(r.id) + "/upper").c_str(), root_mode);
  }
  if (r.driver == "vfs") {
    // vfs: the container gets its own full copy of the image.
    std::vector<std::string> dirs;
    for (const auto& l : r.layers) dirs.push_back(images.layer_dir(l));
    std::string dest = store.dir(r.id) + "/rootfs";
    try {
      make_dirs(dest, 0700);
      userns::run_in_userns(store.mapping(), [&] { image::apply_layers(dirs, dest); });
    } catch (...) {
      store.remove(r);
      throw;
    }
  }
  emit_event(store, r, "create");
  return r;
}

namespace {

// The size of the terminal the CLI runs in (its stdout's, else its
// stdin's), for a container's terminal to have it from the start.
void caller_terminal_size(runtime::Plan& plan) {
  struct winsize ws {};
  if (::ioctl(1, TIOCGWINSZ, &ws) != 0 && ::ioctl(0, TIOCGWINSZ, &ws) != 0) return;
  plan.tty_rows = ws.ws_row;
  plan.tty_cols = ws.ws_col;
}

// The hostname a container gets when create did not fix one: the short id.
std::string effective_hostname(const Record& r) {
  return r.spec.hostname.empty() ? r.id.substr(0, 12) : r.spec.hostname;
}

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

// What the container sees as /etc/hosts, /etc/resolv.conf and
// /etc/hostname: made in its own /dev tmpfs at start, no files on the host.
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

// The mapping rec's container runs with: the store's, or keep-id's.
userns::Mapping container_mapping(const Store& store, const Record& rec) {
  auto keep = userns::parse_keep_id(rec.spec.userns, 0, 0);
  if (!keep) return store.mapping();
  return userns::keep_id_mapping(store.mapping(), keep->uid, keep->gid);
}

}  // namespace

void set_paused(Store& store, const Record& r, bool paused) {
  FileLock lock(store.dir(r.id) + "/lock");
  State st = store.state(r.id);
  if (st.status != "running") throw Error(Errc::invalid, "container " + r.name + " is not running");
  if (st.paused == paused)
    throw Error(Errc::invalid,
                "container " + r.name + (paused ? " is already paused" : " is not paused"));
  if (st.cgroup.empty() && r.spec.cgroups == "disabled")
    throw Error(Errc::unsupported, "pausing needs the cgroup v2 freezer, and container " + r.name +
                                       " was created with --cgroups=disabled");
  if (st.cgroup.empty())
    throw Error(Errc::unsupported,
                "pausing needs the cgroup v2 freezer, and container " + r.name +
                    " has no cgroup of its own: this host delegates no cgroup v2 subtree to you",
                "see 'tug info' for the cgroup delegation this host offers");
  cgroup::freeze(st.cgroup, paused);
  st.paused = paused;
  store.save_state(r.id, st, true);
  emit_event(store, r, paused ? "pause" : "unpause");
}

runtime::Started exec_start(Store& store, const Record& r, const ExecOptions& o,
                            const runtime::Stdio& stdio) {
  State st = store.state(r.id);
  // docker's exit code 1: the daemon's refusal, not the command's.
  if (st.status != "running")
    throw Error(Errc::invalid,
                "can only exec into a running container; " + r.name + " is " + st.status, "", 1);
  if (st.paused)
    throw Error(Errc::invalid, "container " + r.name + " is paused",
                "unpause the container before exec");
  if (o.command.empty()) throw Error(Errc::usage, "requires at least 2 arg(s): CONTAINER COMMAND");
  runtime::Plan plan;
  plan.args = o.command;
  plan.env = r.spec.env;
  for (const auto& f : o.env_files) read_env_file(plan.env, f);
  for (const auto& e : o.env) add_env_flag(plan.env, e);
  if (o.tty) set_env(plan.env, "TERM=xterm");
  plan.cwd = o.workdir ? *o.workdir : r.spec.cwd;
  if (plan.cwd.empty()) plan.cwd = "/";
  plan.create_cwd = false;  // docker: exec -w of a missing directory fails (126)
  plan.user = o.user ? *o.user : r.spec.user;
  plan.group_add = r.spec.group_add;  // docker: exec keeps the container's --group-add
  plan.hostname = effective_hostname(r);
  plan.cgroup = st.cgroup;
  runtime::apply_security(r.spec, plan);
  // exec --privileged: every capability the container's user namespace
  // holds, whatever the container itself was given (docker's and podman's).
  if (o.privileged) plan.capabilities = ~0ULL;
  userns::Mapping mapping = container_mapping(store, r);
  runtime::apply_fake_chown(r.spec, mapping, plan);
  runtime::compile_filters(plan, seccomp_cache(store));
  runtime::set_setup_ids(mapping, plan);
  plan.tty = o.tty;
  plan.stdin_open = o.interactive;
  if (plan.tty && !o.detach) caller_terminal_size(plan);
  return runtime::exec_in(st.pid, plan, o.detach, stdio);
}

int exec(Store& store, const Record& r, const ExecOptions& o) {
  runtime::Started s = exec_begin(store, r, o);
  if (o.detach) return 0;
  runtime::StdioRelay relay = runtime::relay_of(s, o.interactive);
  int code = runtime::wait_forwarding_signals(s.process, &relay);
  exec_ended(store, r, code);
  return code;
}

namespace {

// A manual stop or kill: the monitor must not apply the restart policy.
// Written under the container's lock, which a restarting monitor holds
// while it records the new process: either the restart sees the marker, or
// the caller then reads the restarted pid and signals that.
void mark_stopped(Store& store, const Record& r) {
  FileLock lock(store.dir(r.id) + "/lock");
  write_file(store.dir(r.id) + "/stopped", "");
}

bool lives(pid_t pid, uint64_t start_time) {
  return pid > 0 && start_time != 0 && runtime::process_start_time(pid) == start_time;
}

// A container between two runs has no process, but its monitor may be
// waiting out the restart back-off (it records itself in the exited state
// then). Once the stop marker is written, a signal wakes it to find the
// marker and exit; waiting for that lets stop and rm return with nothing
// of the container left.
void wake_waiting_monitor(const State& st) {
  if (st.status == "running" || !lives(st.monitor_pid, st.monitor_start_time)) return;
  ::kill(st.monitor_pid, SIGTERM);
  for (int i = 0; i < 400 && lives(st.monitor_pid, st.monitor_start_time); ++i) ::usleep(5000);
}

}  // namespace

namespace {

// A frozen container handles no signal but SIGKILL: like docker, stop and
// kill of a paused container thaw it once the signal is queued.
void thaw_to_deliver(const State& st) {
  if (!st.paused || st.cgroup.empty()) return;
  try {
    cgroup::freeze(st.cgroup, false);
  } catch (const Error& e) {
    log_warn(std::string("thawing the paused container: ") + e.what());
  }
}

// SIGKILL through cgroup.kill: every process of the container at once,
// frozen or not. False when the container has no cgroup (or the kernel no
// cgroup.kill): the caller signals the first process instead.
bool kill_cgroup(const State& st) {
  if (st.cgroup.empty()) return false;
  try {
    return cgroup::kill_all(st.cgroup);
  } catch (const Error& e) {
    log_debug(std::string("cgroup.kill: ") + e.what());
    return false;
  }
}

}  // namespace

void kill(Store& store, const Record& r, int sig) {
  std::string status = store.state(r.id).status;
  if (status != "running")
    throw Error(Errc::invalid,
                "can only kill running containers. " + r.id + " is in state " + status);
  mark_stopped(store, r);
  State st = store.state(r.id);
  emit_event(store, r, "kill", {{"signal", std::to_string(sig)}});
  if (sig == SIGKILL && kill_cgroup(st)) return;
  if (::kill(st.pid, sig) != 0) throw_errno("sending signal to container " + r.name);
  thaw_to_deliver(st);
}

namespace {

// Polls until the state file no longer says running (the monitor records
// the exit) or deadline_ms passes; true if it stopped.
bool wait_not_running(Store& store, const Record& r, int64_t deadline_ms) {
  for (int64_t waited = 0;; waited += 10) {
    if (store.state(r.id).status != "running") return true;
    if (deadline_ms >= 0 && waited >= deadline_ms) return false;
    ::usleep(10000);
  }
}

}  // namespace

void stop(Store& store, const Record& r, int timeout) {
  if (timeout < 0) timeout = r.spec.stop_timeout;
  // Marked even when it is not running: it may be between two restarts.
  mark_stopped(store, r);
  State st = store.state(r.id);  // read after the marker: see mark_stopped
  if (st.status != "running") return wake_waiting_monitor(st);
  int sig = runtime::signal_number(r.spec.stop_signal);
  emit_event(store, r, "kill", {{"signal", std::to_string(sig)}});
  ::kill(st.pid, sig);
  thaw_to_deliver(st);
  if (!wait_not_running(store, r, static_cast<int64_t>(timeout) * 1000)) {
    // PID 1 of a pid namespace ignores signals it has no handler for, so a
    // shell that traps nothing needs SIGKILL, as docker does after the timeout.
    emit_event(store, r, "kill", {{"signal", std::to_string(SIGKILL)}});
    if (!kill_cgroup(st)) ::kill(st.pid, SIGKILL);
    if (!wait_not_running(store, r, 10000))
      throw Error(Errc::io, "container " + r.name + " did not stop after SIGKILL");
  }
  emit_event(store, r, "stop");
}

int wait_exit(Store& store, const Record& r) {
  wait_not_running(store, r, -1);
  return store.state(r.id).exit_code;
}

void emit_event(const Store& store, const Record& r, const std::string& action,
                const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> attrs = r.labels;
  attrs["name"] = r.name;
  attrs["image"] = r.image_name;
  for (const auto& [k, v] : extra) attrs[k] = v;
  events::emit(store.paths(), "container", action, r.id, std::move(attrs));
}

std::map<std::string, std::string> collect_labels(const std::vector<std::string>& label_files,
                                                  const std::vector<std::string>& labels) {
  std::map<std::string, std::string> out;
  for (const auto& f : label_files) read_label_file(out, f);
  for (const auto& [k, v] : key_values(labels)) out[k] = v;
  return out;
}

std::vector<std::string> volumes_of(const Record& r) {
  std::vector<std::string> out;
  for (const auto& m : r.spec.mounts)
    if (!m.volume.empty()) out.push_back(m.volume);
  return out;
}

void remove_anonymous_volumes(const Store& store, const Record& r) {
  volume::Store volumes(store.paths(), store.mapping());
  std::set<std::string> shared;
  for (const auto& other : store.list())
    if (other.id != r.id)
      for (const auto& v : volumes_of(other)) shared.insert(v);
  for (const auto& v : volumes_of(r)) {
    if (shared.count(v)) continue;  // --volumes-from: another container's too
    if (auto vol = volumes.find(v); vol && vol->anonymous) volumes.remove(v);
  }
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

std::vector<Record> dependents(const Store& store, const Record& r) {
  // Each user left its id in the owner's users/ at create: no scan of every
  // record at each rm. Entries of containers gone since are stale.
  std::vector<Record> out;
  std::string dir = store.dir(r.id) + "/users";
  if (!is_directory(dir)) return out;
  for (const auto& id : list_dir(dir)) {
    auto other = store.find(id);
    if (!other || other->id != id || (!r.pod.empty() && other->pod == r.pod)) continue;
    if (joined_id(other->spec.network) == r.id || joined_id(other->spec.ipc) == r.id)
      out.push_back(std::move(*other));
  }
  return out;
}

void order_for_removal(const Store& store, std::vector<std::string>& targets) {
  // Users of another's namespace first: a joined container cannot itself
  // be joined (create refuses it), so one pass is enough.
  std::stable_partition(targets.begin(), targets.end(), [&](const std::string& t) {
    auto r = store.find(t);
    return r && (!joined_id(r->spec.network).empty() || !joined_id(r->spec.ipc).empty());
  });
}

void remove(Store& store, const Record& r, bool force) {
  auto gone = [&] {
    return Error(Errc::not_found, "no container with name or ID \"" + r.id + "\" found");
  };
  if (auto users = dependents(store, r); !users.empty()) {
    std::vector<std::string> ids;
    for (const auto& u : users) ids.push_back(u.id);
    throw Error(Errc::in_use,
                "container " + r.id +
                    " has dependent containers which must be removed before it: " +
                    join(ids, ", ") + ": container already exists",
                "remove them first (they use its network or IPC namespace)");
  }
  // The state is checked, the stop marker written and the record removed in
  // one hold of the lock, as stop writes its marker: a monitor about to
  // restart the container, or a start, either comes after (and finds the
  // marker, or no record) or has recorded the new pid that is read here.
  for (int round = 0;; ++round) {
    State st;
    {
      std::optional<FileLock> lock;
      try {
        lock.emplace(store.dir(r.id) + "/lock");
      } catch (const Error& e) {
        if (e.code() == Errc::not_found) throw gone();  // another rm was quicker
        throw;
      }
      if (!path_exists(store.dir(r.id) + "/config.json")) throw gone();
      st = store.state_locked(r.id);
      if (r.infra && path_exists(store.paths().pods() + "/" + r.pod + "/pod.json"))
        throw Error(Errc::in_use,
                    "container " + r.name + " is the infra container of a pod and goes with it",
                    "remove the pod: tug pod rm");
      if (st.status == "running" && !force)
        throw Error(Errc::in_use,
                    "cannot remove container " + r.id +
                        " as it is running - running or paused containers cannot be removed "
                        "without force",
                    "stop it first, or use rm -f");
      if (st.status != "running") {
        // No marker: a monitor waiting to restart finds the record gone,
        // which stops it as well (and the marker would go with the record).
        store.remove_locked(r);
        emit_event(store, r, "destroy");
      } else {
        write_file(store.dir(r.id) + "/stopped", "");
      }
    }
    if (st.status != "running") {
      release_addresses(store, r);
      return wake_waiting_monitor(st);
    }
    if (round == 5)
      throw Error(Errc::io, "container " + r.name + " keeps being started while it is removed");
    // Killed without the lock: its monitor takes it to record the exit.
    // Neither is our child (another CLI started them): poll until the
    // container's process, then its monitor, are gone, and look again.
    ::kill(st.pid, SIGKILL);
    for (int i = 0; i < 400 && lives(st.pid, st.pid_start_time); ++i) ::usleep(5000);
    for (int i = 0; i < 400 && lives(st.monitor_pid, st.monitor_start_time); ++i) ::usleep(5000);
  }
}

void export_rootfs(Store& store, const image::Store& images, const Record& rec, int out_fd) {
  storage::RootfsPlan rootfs = rootfs_plan_of(store, images, rec);
  userns::run_in_userns(store.mapping(), [&] {
    storage::mount_rootfs(rootfs);
    image::write_tar(rootfs.target, out_fd);
  });
}

std::string attach_socket_path(const Paths& paths, const std::string& id) {
  // Short: sun_path holds 108 bytes and runtime dirs can be deep.
  return paths.run + "/" + id.substr(0, 12) + ".sock";
}

namespace {

// What the detached monitor tells the CLI once the container runs (or not).
struct StartReport {
  int32_t ok = 0;
  int32_t pid = 0;
  int32_t code = 0;       // Errc
  int32_t exit_code = 0;  // for errors
  char text[2048] = {};
};

UniqueFd listen_socket(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw Error(Errc::invalid, "attach socket path too long: " + path, "use a shorter --runroot");
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("bind " + path);
  if (::listen(fd.get(), 16) != 0) throw_errno("listen " + path);
  return fd;
}

void keep_across_exec(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFD, 0);
}

// The monitor's log arguments for rec's --log-driver and --log-opt: none
// for none and passthrough (nothing to keep), a file for k8s-file and
// json-file, the journal for journald.
void add_log_args(std::vector<std::string>& argv, const Store& store, const Record& rec) {
  const auto& driver = rec.spec.log_driver;
  if (driver == "none" || driver == "passthrough") return;
  auto opt = [&](const char* key) {
    auto it = rec.spec.log_opts.find(key);
    return it == rec.spec.log_opts.end() ? std::string() : it->second;
  };
  argv.insert(argv.end(), {"--log-format", driver});
  if (driver == "journald") {
    argv.insert(argv.end(), {"--log-id", rec.id, "--log-name", rec.name});
    if (std::string tag = opt("tag"); !tag.empty()) argv.insert(argv.end(), {"--log-tag", tag});
    return;
  }
  argv.insert(argv.end(), {"--log", log_path(store.dir(rec.id), rec)});
  if (std::string size = opt("max-size"); !size.empty() && size != "-1")
    argv.insert(argv.end(), {"--log-max-size", std::to_string(parse_size(size))});
  if (std::string files = opt("max-file"); !files.empty())
    argv.insert(argv.end(), {"--log-max-file", files});
}

// Everything a monitor inherits: the container's output and input pipes (no
// terminal: that comes from the container itself), the listening attach
// socket, and the monitor's end of a pre-connected client.
struct Channels {
  Pipe out, err, in;
  UniqueFd passthrough[3];  // --log-driver passthrough: the caller's stdin, stdout, stderr
  UniqueFd listen;
  // The attach socket is bound here and renamed to its place only once
  // this start has won: a start that loses a race must not replace the
  // socket of the monitor that runs the container.
  std::string listen_tmp;
  UniqueFd attach_cli, attach_monitor;
  std::vector<network::Listener> listeners;  // published host ports
  // User-defined networks: the connection to the rootless network
  // namespace's holder (held by the monitor while the container runs) and
  // where the container plugs in.
  std::optional<network::RootlessNetns> rootless_netns;
  std::vector<network::Endpoint> endpoints;
  // --sdnotify=container: the datagram socket bound into the container as
  // its NOTIFY_SOCKET; the monitor relays what arrives there.
  UniqueFd notify;
  std::string notify_path;
  // --ipc container: and a pod's members: a detached copy of the owner's
  // /dev/shm, attached as the container's own (runtime::share_shm).
  UniqueFd shm;
};

// The caller's systemd notify socket ($NOTIFY_SOCKET, as systemd sets it
// for a Type=notify unit), when the container's --sdnotify mode uses it.
std::string notify_target(const Record& rec) {
  // A pod's infra, started on the way to a member, must not become the
  // unit's main process: the member's monitor is.
  if (rec.spec.sdnotify == "ignore" || rec.infra) return "";
  const char* s = std::getenv("NOTIFY_SOCKET");
  return s ? s : "";
}

// Where a container of --sdnotify=container finds its notify socket.
constexpr const char* kContainerNotifyDir = "/run/notify";

// The container's own notify socket, in a directory of the runtime root
// that is bound at /run/notify: sun_path is short, so not in the
// container's directory. Mode 0777: any user of the container may notify.
void make_container_notify_socket(Store& store, const Record& rec, Channels& ch,
                                  runtime::Spec& spec) {
  std::string dir = store.paths().run + "/" + rec.id.substr(0, 12) + ".notify";
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir " + dir);
  ch.notify_path = dir + "/notify.sock";
  ch.notify.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!ch.notify) throw_errno("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (ch.notify_path.size() >= sizeof addr.sun_path)
    throw Error(Errc::invalid, "notify socket path too long: " + ch.notify_path,
                "use a shorter --runroot");
  std::strncpy(addr.sun_path, ch.notify_path.c_str(), sizeof addr.sun_path - 1);
  ::unlink(ch.notify_path.c_str());
  if (::bind(ch.notify.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("bind " + ch.notify_path);
  ::chmod(ch.notify_path.c_str(), 0777);
  runtime::MountSpec m;
  m.source = dir;
  m.destination = kContainerNotifyDir;
  spec.mounts.push_back(m);
  std::erase_if(spec.env, [](const std::string& e) { return starts_with(e, "NOTIFY_SOCKET="); });
  spec.env.push_back(std::string("NOTIFY_SOCKET=") + kContainerNotifyDir + "/notify.sock");
}

// The plan and channels for starting rec; no process is created yet.
// The owner's /dev/shm becomes the container's (docker and podman share it
// with the IPC namespace). An owner without one (--ipc none, host) leaves
// the container its own tmpfs, as podman does.
void share_shm_of(const Record& owner, const State& ost, Channels& ch, runtime::Plan& plan) {
  if (owner.spec.ipc == "none" || owner.spec.ipc == "host") return;
  ch.shm = runtime::clone_mount_of(ost.pid, "/dev/shm");
  runtime::share_shm(plan, ch.shm.get());
}

runtime::Plan prepare(Store& store, const image::Store& images, const Record& rec, Channels& ch,
                      bool attach, bool user_start) {
  std::string dir = store.dir(rec.id);
  runtime::Spec spec = rec.spec;
  spec.hostname = effective_hostname(rec);
  if (!rec.pod.empty() && !rec.infra)
    if (auto infra = store.find(network::parse_mode(spec.network).target))
      spec.hostname = effective_hostname(*infra);
  if (rec.spec.sdnotify == "container" && !notify_target(rec).empty())
    make_container_notify_socket(store, rec, ch, spec);
  storage::RootfsPlan rootfs = rootfs_plan_of(store, images, rec);
  runtime::PlanInputs inputs = etc_files(store, images, rec, spec);
  userns::Mapping mapping = container_mapping(store, rec);
  if (!spec.userns.empty()) {
    inputs.user_name = current_user_name();
    inputs.user_home = home_dir();
    if (rootfs.driver == storage::Driver::fuse_overlayfs && !mapping.single) {
      rootfs.uidmapping = userns::fuse_idmapping(store.mapping().uids, mapping.uids);
      rootfs.gidmapping = userns::fuse_idmapping(store.mapping().gids, mapping.gids);
    }
  }
  runtime::Plan plan = runtime::build_plan(spec, rootfs, inputs, mapping);
  // ":U" chowns a mount's tree at the first start only: the ids do not
  // change between starts, and a large volume is walked once.
  if (!plan.chown_paths.empty()) {
    std::string done = read_file_if_exists(dir + "/chowned").value_or("");
    std::set<std::string> chowned;
    for (const auto& line : split(done, '\n')) chowned.insert(line);
    plan.chown_paths.erase(std::remove_if(plan.chown_paths.begin(), plan.chown_paths.end(),
                                          [&](const std::string& p) { return chowned.count(p); }),
                           plan.chown_paths.end());
  }
  if (attach && plan.tty) caller_terminal_size(plan);
  runtime::compile_filters(plan, seccomp_cache(store));
  if (!plan.hooks.empty())
    plan.hook_state = json{
        {"ociVersion", "1.0.2"},
        {"id", rec.id},
        {"status", "creating"},
        {"bundle", dir},
        {"annotations",
         json::object()}}.dump();
  network::Mode net = network::parse_mode(spec.network);
  if (net.kind == network::Mode::Kind::container) {
    auto other = store.find(net.target);
    State ost = other ? store.state(other->id) : State{};
    if (ost.status != "running")
      throw Error(Errc::invalid,
                  "cannot join the network of container " + (other ? other->name : net.target) +
                      ": it is not running",
                  "start it first");
    plan.join_netns = "/proc/" + std::to_string(ost.pid) + "/ns/net";
    if (rec.pod.size() && !rec.infra) {
      // A pod's member: the infra's uts and ipc too (so its hostname), and
      // its /dev/shm.
      plan.join_utsns = "/proc/" + std::to_string(ost.pid) + "/ns/uts";
      plan.join_ipcns = "/proc/" + std::to_string(ost.pid) + "/ns/ipc";
      plan.hostname.clear();
      share_shm_of(*other, ost, ch, plan);
    }
  } else if (net.kind == network::Mode::Kind::ns) {
    plan.join_netns = net.target;
  } else if (net.kind == network::Mode::Kind::slirp4netns ||
             net.kind == network::Mode::Kind::pasta || net.kind == network::Mode::Kind::bridge) {
    if (net.kind == network::Mode::Kind::bridge) {
      // Made in the rootless network namespace's user namespace, so its
      // holder may plug the container's own network namespace into bridges.
      ch.endpoints = endpoints_of(store, rec);
      ch.rootless_netns =
          network::RootlessNetns::open(store.paths(), store.mapping(), rec.id, true);
      plan.join_userns = "/proc/self/fd/" + std::to_string(ch.rootless_netns->userns_fd());
    }
    // Bound here, by the CLI: a port in use fails the start with its error.
    ch.listeners = network::bind_ports(spec.ports);
    if (!network::forwarder_carries_ports(net))
      for (auto& l : ch.listeners) l.fd.reset();
    plan.await_network = true;
  }
  if (starts_with(spec.ipc, "container:") && plan.join_ipcns.empty()) {
    auto other = store.find(spec.ipc.substr(10));
    State ost = other ? store.state(other->id) : State{};
    if (ost.status != "running")
      throw Error(Errc::invalid,
                  "cannot join the IPC namespace of container " +
                      (other ? other->name : spec.ipc.substr(10)) + ": it is not running",
                  "start it first");
    // docker's and podman's rule: only a shareable owner (the default) may be joined.
    if (other->spec.ipc == "private")
      throw Error(Errc::invalid,
                  "joining IPC of container " + other->id +
                      " is not allowed: non-shareable IPC (hint: use IpcMode:shareable for the "
                      "donor container)");
    plan.join_ipcns = "/proc/" + std::to_string(ost.pid) + "/ns/ipc";
    share_shm_of(*other, ost, ch, plan);
  } else if (spec.ipc == "host") {
    std::erase_if(plan.mounts, [](const runtime::MountOp& op) {
      return op.kind == runtime::MountOp::Kind::bind &&
             (op.source == "/dev/shm" || op.source == "/dev/mqueue") && !is_directory(op.source);
    });
  }
  // Where the host lets us make cgroups (cgroup v2, delegated subtree),
  // every container gets its own: pause needs its freezer and the limits go
  // in when their controllers are delegated (create() warned otherwise).
  cgroup::Host host;
  if (rec.spec.cgroups != "disabled") host = cgroup::detect_host();
  if (rec.spec.cgroups == "split" && !(host.v2 && host.writable))
    throw Error(Errc::unsupported,
                "container " + rec.name +
                    " was created with --cgroups=split, and this start "
                    "has no writable cgroup v2 subtree (" +
                    (host.own.empty() ? "none" : host.own) + ")",
                "start it from a unit with Delegate=yes");
  if (host.v2 && host.writable) {
    cgroup::Limits limits = cgroup::limits_from_json(rec.spec.limits);
    if (!cgroup::unapplied(limits, host).empty()) limits = {};
    try {
      plan.cgroup = cgroup::create(host, rec.id, limits);
    } catch (const Error& e) {
      if (limits.any() || rec.spec.cgroups == "split") throw;
      log_debug(std::string("no cgroup of its own for the container: ") + e.what());
    }
  }
  std::string tug_monitor = libexec_path("tug-monitor");
  if (::access(tug_monitor.c_str(), X_OK) != 0)
    throw Error(Errc::not_found, "container monitor not found at " + tug_monitor,
                "reinstall tug: helpers live in <prefix>/libexec/tug next to <prefix>/bin/tug");
  if (rec.spec.log_driver == "passthrough") {
    // The caller's own stdio, as the container's: copies that survive the
    // monitor-to-be replacing 0-2 with /dev/null.
    for (int fd = 0; fd < 3; ++fd) ch.passthrough[fd].reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
  } else if (!plan.tty) {
    ch.out = Pipe::make();
    ch.err = Pipe::make();
    if (plan.stdin_open) ch.in = Pipe::make();
  }
  std::string socket = attach_socket_path(store.paths(), rec.id);
  ch.listen_tmp = socket.substr(0, socket.size() - 5) + "." + std::to_string(::getpid());
  ch.listen = listen_socket(ch.listen_tmp);
  if (attach) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
    ch.attach_cli.reset(sv[0]);
    ch.attach_monitor.reset(sv[1]);
  }
  // A manual stop or kill leaves this marker so the monitor does not apply
  // the restart policy; only a user's start clears it.
  if (user_start) ::unlink((dir + "/stopped").c_str());
  return plan;
}

// Runs in the detached monitor-to-be (a forked copy of the CLI): starts the
// container as its child, records it, reports to the CLI and execs
// tug-monitor, or for a foreground run becomes the monitor in place. Never
// returns and never lets an exception leave this frame.
[[noreturn]] void become_monitor(Store& store, const Record& rec, const runtime::Plan& plan,
                                 Channels& ch, int report_fd, const StartOptions& opts,
                                 int restart_count) {
  Pipe& out = ch.out;
  Pipe& err = ch.err;
  Pipe& in = ch.in;
  UniqueFd& listen = ch.listen;
  UniqueFd& attach_end = ch.attach_monitor;
  StartReport rep;
  try {
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3 && devnull >= 0; ++fd) ::dup2(devnull, fd);
    runtime::Stdio stdio;
    if (ch.passthrough[1]) {
      stdio.in = plan.stdin_open ? ch.passthrough[0].get() : -1;
      stdio.out = ch.passthrough[1].get();
      stdio.err = ch.passthrough[2].get();
    } else if (!plan.tty) {
      stdio.out = out.write.get();
      stdio.err = err.write.get();
      if (plan.stdin_open) stdio.in = in.read.get();
    }
    network::Attachment net;
    auto connect_network = [&](pid_t pid) {
      network::AttachRequest req{network::parse_mode(rec.spec.network), pid,
                                 std::move(ch.listeners),
                                 store.paths().run + "/" + rec.id.substr(0, 12) + "."};
      if (ch.rootless_netns) {
        UniqueFd netns =
            open_or_throw("/proc/" + std::to_string(pid) + "/ns/net", O_RDONLY | O_CLOEXEC);
        ch.rootless_netns->connect(netns.get(), ch.endpoints, other_subnets(store, rec));
        req.address = ch.endpoints.front().address;
        // Out through slirp4netns unless every network is internal.
        req.external = std::any_of(ch.endpoints.begin(), ch.endpoints.end(),
                                   [](const network::Endpoint& e) { return !e.internal; });
      }
      net = network::attach(std::move(req));
    };
    runtime::Started started =
        runtime::start(plan, container_mapping(store, rec), stdio, connect_network);
    ch.shm.reset();  // attached: the monitor needs no hold on the owner's /dev/shm
    // A CLI killed while it waits for the report must not take the
    // container down with the write's SIGPIPE (set only now: the container
    // would inherit the disposition).
    ::signal(SIGPIPE, SIG_IGN);
    out.write.reset();
    err.write.reset();
    in.read.reset();
    State st = store.state(rec.id);
    st.status = "running";
    st.pid = started.process.pid();
    st.pid_start_time = started.start_time;
    st.monitor_pid = ::getpid();  // it execs tug-monitor: same pid, same start time
    st.monitor_start_time = runtime::process_start_time(st.monitor_pid);
    st.cgroup = plan.cgroup;
    st.paused = false;
    st.restart_count = restart_count;
    st.started_at = now_rfc3339();
    st.finished_at.clear();
    st.ports.clear();
    for (const auto& p : net.ports) st.ports.push_back(network::describe(p));
    {
      FileLock lock(store.dir(rec.id) + "/lock");
      bool removed = !path_exists(store.dir(rec.id) + "/config.json");
      if (removed && restart_count == 0)
        throw Error(Errc::not_found, "container " + rec.name + " was removed while it started");
      if (restart_count > 0 && (removed || path_exists(store.dir(rec.id) + "/stopped"))) {
        // Stopped or removed by the user while this restart was on its way.
        started.process.kill(SIGKILL);
        ::unlink(ch.listen_tmp.c_str());
        ::_exit(0);
      }
      // Two starts of one container (a start racing the one of a killed
      // `run -d`, or a restart racing a user's start) both get here: the
      // first one recorded runs it, the other takes its own down.
      State cur = store.state_locked(rec.id);
      if (cur.status == "running" && cur.monitor_pid != ::getpid())
        throw Error(Errc::in_use, "container " + rec.name + " is already running");
      store.save_state(rec.id, st, !rec.auto_remove);
      // A unit without --new (Type=forking) follows the monitor by its pid file.
      write_file(store.dir(rec.id) + "/monitor.pid", std::to_string(st.monitor_pid) + "\n");
      if (!rec.conmon_pidfile.empty())
        write_file(rec.conmon_pidfile, std::to_string(st.monitor_pid) + "\n");
      if (::rename(ch.listen_tmp.c_str(), attach_socket_path(store.paths(), rec.id).c_str()) != 0)
        throw_errno("placing the attach socket of " + rec.name);
      if (has_healthcheck(rec.healthcheck)) reset_health(store, rec.id);
    }
    if (!plan.chown_paths.empty()) {
      // The container runs: its setup chowned these (recorded for the next starts).
      std::string done = read_file_if_exists(store.dir(rec.id) + "/chowned").value_or("");
      for (const auto& p : plan.chown_paths) done += p + "\n";
      atomic_write(store.dir(rec.id) + "/chowned", done);
    }
    emit_event(store, rec, "start");
    // Only the channels named below may reach the monitor: nothing the CLI
    // inherited (a caller's pipes, a terminal) stays open for the
    // container's lifetime.
#ifdef SYS_close_range
    ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
#endif
    std::vector<std::string> argv = {libexec_path("tug-monitor"),
                                     "--pid",
                                     std::to_string(st.pid),
                                     "--state",
                                     store.dir(rec.id) + "/state.json",
                                     "--lock",
                                     store.dir(rec.id) + "/lock",
                                     "--socket",
                                     attach_socket_path(store.paths(), rec.id),
                                     "--listen",
                                     std::to_string(listen.get()),
                                     "--started-at",
                                     st.started_at};
    auto pass = [&](const char* flag, int fd) {
      if (fd < 0) return;
      keep_across_exec(fd);
      argv.push_back(flag);
      argv.push_back(std::to_string(fd));
    };
    add_log_args(argv, store, rec);
    keep_across_exec(listen.get());
    pass("--attach", attach_end.get());
    if (opts.kill_on_detach && attach_end) argv.push_back("--kill-on-detach");
    if (!plan.cgroup.empty()) {
      argv.push_back("--cgroup");
      argv.push_back(plan.cgroup);
    }
    // The network's helpers are our children and become the monitor's.
    pass("--lifeline", net.lifeline.get());
    UniqueFd holder_conn;
    if (ch.rootless_netns) {
      holder_conn = ch.rootless_netns->take_connection();
      pass("--hold", holder_conn.get());
    }
    for (pid_t h : net.helpers) {
      argv.push_back("--helper");
      argv.push_back(std::to_string(h));
    }
    for (pid_t h : net.device_helpers) {
      argv.push_back("--device-helper");
      argv.push_back(std::to_string(h));
    }
    // squashfuse is killed after the exit is recorded, with the network's
    // devices: the container's mount namespace is gone by then.
    if (started.squashfuse) {
      argv.push_back("--device-helper");
      argv.push_back(std::to_string(started.squashfuse.pid()));
    }
    if (plan.tty) {
      pass("--terminal", started.terminal.get());
    } else {
      pass("--stdout", out.read.get());
      pass("--stderr", err.read.get());
      if (plan.stdin_open) pass("--stdin", in.write.get());
    }
    if (rec.auto_remove) argv.push_back("--no-fsync");
    std::string notify = notify_target(rec);
    if (!notify.empty()) {
      // The monitor tells systemd (MAINPID: itself, READY=1 for conmon)
      // and then writes one byte to the start's report pipe: the CLI, the
      // unit's first main process, must not exit before systemd heard it.
      argv.insert(argv.end(), {"--sdnotify", rec.spec.sdnotify, "--notify-socket", notify});
      if (report_fd >= 0) pass("--ready-fd", report_fd);
      if (ch.notify) {
        pass("--notify-fd", ch.notify.get());
        argv.insert(argv.end(), {"--notify-path", ch.notify_path});
      }
    }
    bool restarts = rec.spec.restart_policy != "no" && !rec.spec.restart_policy.empty();
    bool health = has_healthcheck(rec.healthcheck);
    // A member of a pod whose exit policy is stop: its monitor has tug
    // stop the pod's infra once the last member is gone.
    std::string pod_exit;
    if (!rec.pod.empty() && !rec.infra)
      if (auto pod = find_pod(store.paths(), rec.pod); pod && pod->exit_policy == "stop")
        pod_exit = pod->id;
    // The monitor re-execs tug to start the container again in place, so
    // its pid (a systemd unit's MainPID) survives restarts; it runs tug's
    // `healthcheck run` at each interval. It gets the means to restart
    // whatever the policy: `tug update --restart` may set one while the
    // container runs (the restart file).
    for (const std::string& a :
         {std::string("--restart"), restarts ? rec.spec.restart_policy : std::string("no"),
          std::string("--restart-file"), restart_policy_file(store, rec.id),
          std::string("--restart-count"), std::to_string(restart_count),
          std::string("--stop-marker"), store.dir(rec.id) + "/stopped",
          std::string("--restart-exec"), self_exe(), std::string("--root"), store.paths().data,
          std::string("--runroot"), store.paths().run, std::string("--id"), rec.id})
      argv.push_back(a);
    if (!pod_exit.empty()) {
      argv.push_back("--pod-exited");
      argv.push_back(pod_exit);
    }
    if (health) {
      argv.push_back("--health-interval");
      argv.push_back(
          std::to_string(std::max<int64_t>(healthcheck_interval(rec.healthcheck) / 1000000, 1)));
    }
    // The monitor logs the container's die event itself, unless events
    // go nowhere (--events-backend none, containers.conf's events_logger).
    const char* backend = std::getenv("TUG_EVENTS_BACKEND");
    std::string events_log =
        backend && std::string(backend) == "none" ? "" : events::log_path(store.paths());
    for (const std::string& a : {std::string("--events"), events_log, std::string("--name"),
                                 rec.name, std::string("--image"), rec.image_name})
      argv.push_back(a);
    if (!opts.exit_command.empty()) {
      argv.push_back("--");
      argv.insert(argv.end(), opts.exit_command.begin(), opts.exit_command.end());
    }
    rep.ok = 1;
    rep.pid = st.pid;
    // A CLI killed meanwhile reads no report (EPIPE): the container is
    // recorded as running and goes on under its monitor all the same.
    if (report_fd >= 0) (void)!::write(report_fd, &rep, sizeof rep);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    started.process.detach();  // it stays our child across exec
    started.squashfuse.detach();
    if (attach_end && notify.empty() && !restarts && !health && pod_exit.empty()) {
      // A foreground run: this process monitors while its CLI is attached
      // and execs tug-monitor only if the CLI leaves first. A short
      // container's exit then waits for no exec (monitor.hpp, run()).
      reset_as_exec();
      ::_exit(monitor::run(static_cast<int>(argv.size()), cargv.data(), true));
    }
    ::execv(cargv[0], cargv.data());
    // The container runs but nothing owns it: take it down with us.
    ::kill(st.pid, SIGKILL);
    ::_exit(125);
  } catch (const Error& e) {
    ::unlink(ch.listen_tmp.c_str());
    rep.code = static_cast<int32_t>(e.code());
    rep.exit_code = e.exit_code();
    std::strncpy(rep.text, e.what(), sizeof rep.text - 1);
  } catch (const std::exception& e) {
    ::unlink(ch.listen_tmp.c_str());
    rep.exit_code = kExitToolError;
    std::strncpy(rep.text, e.what(), sizeof rep.text - 1);
  }
  try {
    if (report_fd >= 0)
      write_all(report_fd, &rep, sizeof rep);
    else
      log_warn(std::string("restarting container ") + rec.name + ": " + rep.text);
  } catch (...) {
  }
  ::_exit(125);
}

}  // namespace

Running start(Store& store, const image::Store& images, const Record& given,
              const StartOptions& opts) {
  if (!given.pod.empty() && !given.infra) {
    // A pod's member needs its infra container's namespaces.
    auto infra = store.find(network::parse_mode(given.spec.network).target);
    if (infra && store.state(infra->id).status != "running") {
      try {
        start(store, images, *infra, {});
      } catch (const Error& e) {
        if (e.code() != Errc::in_use) throw;  // started meanwhile
      }
    }
  }
  // One start of a container at a time: two would mount one overlay upper
  // and work dir at once, and the kernel's workdir setup of the one breaks
  // the other's mount. The monitor-to-be inherits the lock and lets it go
  // at its exec, once the container is recorded as running. It is a lock
  // on the record's directory (the record's own lock is the file "lock").
  FileLock starting = FileLock::directory(store.dir(given.id));
  if (store.state(given.id).status == "running")
    throw Error(Errc::in_use, "container " + given.name + " is already running");
  const Record rec = with_addresses(store, given);
  Channels ch;
  runtime::Plan plan = prepare(store, images, rec, ch, opts.attach, true);
  Pipe report = Pipe::make();
  pid_t first = ::fork();
  if (first < 0) throw_errno("fork");
  if (first == 0) {
    // Detach from the CLI's session and process tree, like conmon: the
    // monitor must outlive the CLI and not get its terminal's signals.
    ::setsid();
    pid_t second = ::fork();
    if (second != 0) ::_exit(second < 0 ? 125 : 0);
    report.read.reset();
    ch.attach_cli.reset();
    become_monitor(store, rec, plan, ch, report.write.get(), opts, 0);
  }
  Child intermediate(first, Child::OnDestroy::wait);
  report.write.reset();
  UniqueFd attach_cli = std::move(ch.attach_cli);
  ch = Channels{};  // the monitor holds these now
  StartReport rep;
  bool got = read_exact(report.read.get(), &rep, sizeof rep);
  intermediate.wait();
  if (!got) throw Error(Errc::generic, "the container monitor died before the container started");
  if (!rep.ok)
    throw Error(static_cast<Errc>(rep.code),
                std::string(rep.text, strnlen(rep.text, sizeof rep.text)), "", rep.exit_code);
  if (!notify_target(rec).empty()) {
    // The monitor's byte: systemd has its MAINPID (and READY=1) before we
    // exit. Bounded: a network helper may hold the pipe should the monitor
    // die first. In healthy mode READY=1 waits for the healthcheck, and so
    // does a detached start (as podman's does), while the container runs;
    // a foreground run relays the container's output meanwhile instead.
    bool healthy = rec.spec.sdnotify == "healthy";
    bool until_healthy = healthy && !opts.attach;
    for (int waited = 0; until_healthy || (!healthy && waited < 10); ++waited) {
      struct pollfd p = {report.read.get(), POLLIN, 0};
      if (::poll(&p, 1, 1000) > 0) {
        char b;
        (void)!::read(report.read.get(), &b, 1);
        break;
      }
      if (until_healthy && store.state(rec.id).status != "running") break;
    }
  }
  Running r;
  r.pid = rep.pid;
  r.attach = std::move(attach_cli);
  return r;
}

void restart_in_place(Store& store, const image::Store& images, const Record& given,
                      int restart_count) {
  FileLock starting = FileLock::directory(store.dir(given.id));  // as in start()
  const Record rec = with_addresses(store, given);
  Channels ch;
  runtime::Plan plan = prepare(store, images, rec, ch, false, false);
  become_monitor(store, rec, plan, ch, -1, {}, restart_count);
}

}  // namespace tug::container
