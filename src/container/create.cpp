// create: a container record from an image and the options of create/run.
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "cdi/cdi.hpp"
#include "cgroup/cgroup.hpp"
#include "container/health.hpp"
#include "container/lifecycle.hpp"
#include "container/lifecycle_internal.hpp"
#include "container/pod.hpp"
#include "container/rootfs.hpp"
#include "image/layer.hpp"
#include "image/squashfs.hpp"
#include "network/networks.hpp"
#include "network/setup.hpp"
#include "runtime/executor.hpp"
#include "runtime/plan.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
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

}  // namespace

void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto key = kv.substr(0, kv.find('='));
  auto it = std::find_if(env.begin(), env.end(),
                         [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
  if (it != env.end())
    *it = kv;
  else
    env.push_back(kv);
}

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

namespace {

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

}  // namespace

void release_addresses(const Store& store, const Record& r) {
  network::NetworkStore nets(store.paths());
  for (const auto& a : r.spec.networks) nets.release(a.network, r.id);
}

namespace {

// The address asked for on a container's i-th network: --ip names the
// first, compose's ipv4_address any.
std::string wanted_ip(const CreateOptions& o, const network::Membership& m, size_t i) {
  if (auto it = o.ip_on.find(m.network); it != o.ip_on.end()) return it->second;
  return i == 0 ? o.ip : "";
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
    if (other.spec.network.kind == network::Mode::Kind::container)
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
  s.network = net;
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
          (o.pod.empty() ? "--userns=keep-id cannot be combined with --network " +
                               network::to_string(r.spec.network)
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

std::map<std::string, std::string> collect_labels(const std::vector<std::string>& label_files,
                                                  const std::vector<std::string>& labels) {
  std::map<std::string, std::string> out;
  for (const auto& f : label_files) read_label_file(out, f);
  for (const auto& [k, v] : key_values(labels)) out[k] = v;
  return out;
}

}  // namespace tug::container
