#include "runtime/plan.hpp"

#include <sched.h>
#include <sys/mount.h>

#include <algorithm>
#include <sstream>

#include "network/mode.hpp"
#include "util/strings.hpp"

namespace tug::runtime {

namespace {

// Paths a container must not read or write even as its root (they expose the
// host kernel); the same lists docker and podman use.
const char* const kMaskedPaths[] = {
    "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",          "/sys/firmware",    "/sys/dev/block",    "/sys/fs/selinux",
};
const char* const kReadonlyPaths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

// Host device nodes bind-mounted into /dev: a user namespace cannot mknod
// real devices, so the host's own nodes are shared.
const char* const kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};

}  // namespace

uint64_t capability_mask(const std::vector<std::string>& add,
                         const std::vector<std::string>& drop) {
  // docker's order: ALL in --cap-add starts from every capability and only
  // the named drops come off; otherwise start from the defaults (or nothing
  // when ALL is dropped), take the drops off, then put the adds on.
  auto has_all = [](const std::vector<std::string>& v) {
    for (const auto& c : v)
      if (capability_number(c) < 0) return true;
    return false;
  };
  uint64_t mask = 0;
  if (has_all(add)) {
    mask = ~0ULL;
  } else if (!has_all(drop)) {
    for (const auto& c : default_capabilities()) mask |= 1ULL << capability_number(c);
  }
  for (const auto& c : drop)
    if (int n = capability_number(c); n >= 0) mask &= ~(1ULL << n);
  if (!has_all(add))
    for (const auto& c : add)
      if (int n = capability_number(c); n >= 0) mask |= 1ULL << n;
  return mask;
}

std::string hosts_file_content(const Spec& spec, const std::vector<std::string>& addresses,
                               const std::string& host_address, const std::string& name) {
  std::string out =
      "127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& [name, ip] : spec.extra_hosts) out += ip + "\t" + name + "\n";
  if (!host_address.empty()) {
    // podman's name for the host, and docker's (which docker itself adds
    // only for --add-host host.docker.internal:host-gateway); an --add-host
    // of either name wins.
    for (const char* name : {"host.containers.internal", "host.docker.internal"}) {
      bool given = std::any_of(spec.extra_hosts.begin(), spec.extra_hosts.end(),
                               [&](const auto& h) { return h.first == name; });
      if (!given) out += host_address + "\t" + name + "\n";
    }
  }
  if (!spec.hostname.empty()) {
    std::string names = spec.hostname;
    if (!name.empty() && name != spec.hostname) names += " " + name;
    if (addresses.empty()) out += "127.0.1.1\t" + names + "\n";
    for (const auto& a : addresses) out += a + "\t" + names + "\n";
  }
  return out;
}

std::string containerenv_content(bool privileged, const ContainerEnv& c) {
  if (!privileged) return "";
  std::string out = "engine=\"" + c.engine + "\"\n";
  out += "name=\"" + c.name + "\"\n";
  out += "id=\"" + c.id + "\"\n";
  out += "image=\"" + c.image + "\"\n";
  out += "imageid=\"" + c.image_id + "\"\n";
  if (c.rootless) out += "rootless=1\n";
  return out;
}

std::string resolv_conf_content(const Spec& spec, const std::string& host_resolv_conf) {
  std::string out;
  const bool search = !spec.dns_search.empty(), options = !spec.dns_options.empty();
  if (search && !(spec.dns_search.size() == 1 && spec.dns_search[0] == "."))
    out += "search " + join(spec.dns_search, " ") + "\n";
  // A line the flags replace (docker: --dns-search replaces search and
  // domain, --dns-option options).
  auto replaced = [&](const std::string& t) {
    return (search && (starts_with(t, "search") || starts_with(t, "domain"))) ||
           (options && starts_with(t, "options"));
  };
  if (spec.dns.empty()) {
    // The host's resolver config, minus loopback nameservers that would point
    // at the container's own lo in a private network namespace.
    std::istringstream in(host_resolv_conf);
    std::string line;
    while (std::getline(in, line)) {
      auto t = trim(line);
      if (replaced(t)) continue;
      if (spec.network.kind != network::Mode::Kind::host && starts_with(t, "nameserver") &&
          (t.find(" 127.") != std::string::npos || t.find(" ::1") != std::string::npos))
        continue;
      out += line + "\n";
    }
  } else {
    for (const auto& ns : spec.dns) out += "nameserver " + ns + "\n";
  }
  if (options) out += "options " + join(spec.dns_options, " ") + "\n";
  return out;
}

void apply_security(const Spec& spec, Plan& p) {
  p.capabilities = capability_mask(spec.cap_add, spec.cap_drop);
  if (spec.privileged) {
    // Everything the user namespace can give; still nothing the user
    // could not do on the host.
    p.capabilities = ~0ULL;
    p.seccomp = false;
  }
  p.seccomp_profile.reset();
  if (p.seccomp && !spec.seccomp_profile.is_null())
    p.seccomp_profile = parse_seccomp_profile(spec.seccomp_profile, p.capabilities);
  p.rlimits.clear();
  for (const auto& u : spec.ulimits) p.rlimits.push_back(parse_ulimit(u));
  for (const auto& opt : spec.security_opt) {
    if (opt == "seccomp=unconfined" || opt == "seccomp:unconfined") p.seccomp = false;
    if (opt == "no-new-privileges" || opt == "no-new-privileges:true" ||
        opt == "no-new-privileges=true")
      p.no_new_privileges = true;
  }
}

namespace {

// apt runs its download methods as the user _apt and checks that the switch
// happened; with one id mapped the kernel cannot switch, the filter only
// fakes it, and apt stops ("Could not switch group"). It is told to stay
// root, through a file of tug's own /dev tmpfs (nothing lands in the
// container's filesystem) named by APT_CONFIG, which apt reads before its
// own configuration: an image's or a user's setting still wins.
void apply_apt_without_sandbox(Plan& p) {
  const std::string path = "/dev/.tug-apt.conf";
  for (const auto& e : p.env)
    if (e.rfind("APT_CONFIG=", 0) == 0) return;
  p.env.push_back("APT_CONFIG=" + path);
  p.mounts.push_back({MountOp::Kind::file, "APT::Sandbox::User \"root\";\n", path});
}

}  // namespace

void apply_fake_chown(const Spec& spec, const userns::Mapping& mapping, Plan& p) {
  bool on = mapping.single;
  for (const auto& opt : spec.security_opt)
    if (auto v = fake_chown_opt(opt)) on = *v;
  p.fake_chown.reset();
  if (!on) return;
  auto range = [](const std::vector<userns::IdMap>& maps, uint32_t& lo, uint32_t& hi) {
    // The mapped ids are one contiguous run in every mapping tug makes.
    lo = UINT32_MAX;
    hi = 0;
    for (const auto& m : maps) {
      lo = std::min(lo, m.container);
      hi = std::max<uint32_t>(hi, m.container + m.size);
    }
    if (lo > hi) lo = hi = 0;
  };
  FakeIds ids;
  range(mapping.uids, ids.uid_lo, ids.uid_hi);
  range(mapping.gids, ids.gid_lo, ids.gid_hi);
  ids.setgroups = mapping.single;
  p.fake_chown = ids;
  if (mapping.single) apply_apt_without_sandbox(p);
}

void compile_filters(Plan& p, const std::string& cache_dir) {
  p.seccomp_bpf.clear();
  p.fake_chown_bpf.clear();
  if (p.seccomp && p.seccomp_profile) {
    p.seccomp_bpf = compile_seccomp_profile(*p.seccomp_profile);
  } else if (p.seccomp) {
    uint64_t caps = p.capabilities;
    p.seccomp_bpf =
        cached_filter(cache_dir, seccomp_key(caps), [caps] { return compile_seccomp(caps); });
  }
  if (p.fake_chown) {
    const FakeIds ids = *p.fake_chown;
    p.fake_chown_bpf =
        cached_filter(cache_dir, fake_chown_key(ids), [ids] { return compile_fake_chown(ids); });
  }
}

void set_setup_ids(const userns::Mapping& mapping, Plan& p) {
  p.setup_uid = mapping.host_uid(0) || mapping.uids.empty() ? 0 : mapping.uids[0].container;
  p.setup_gid = mapping.host_gid(0) || mapping.gids.empty() ? 0 : mapping.gids[0].container;
}

void share_shm(Plan& p, int tree_fd) {
  for (auto& op : p.mounts)
    if (op.kind == MountOp::Kind::tmpfs && op.target == "/dev/shm") {
      op = MountOp{MountOp::Kind::tree, "", "/dev/shm"};
      op.fd = tree_fd;
    }
}

Plan build_plan(const Spec& spec, const storage::RootfsPlan& rootfs, const PlanInputs& in,
                const userns::Mapping& mapping) {
  using K = MountOp::Kind;
  Plan p;
  p.clone_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS;
  // --ipc=host keeps the host's IPC namespace; container:ID joins that
  // container's (Plan::join_ipcns, set by the starter, which knows its pid).
  const bool host_ipc = spec.ipc == "host";
  if (!host_ipc) p.clone_flags |= CLONE_NEWIPC;
  const network::Mode& net = spec.network;
  if (net.own_namespace()) p.clone_flags |= CLONE_NEWNET;
  p.rootfs = rootfs;
  p.readonly_rootfs = spec.read_only;
  p.hostname = spec.hostname;

  const unsigned long nosuid_nodev_noexec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  p.mounts.push_back({K::proc, "proc", "/proc", "", nosuid_nodev_noexec});
  p.mounts.push_back(
      {K::tmpfs, "tmpfs", "/dev", "mode=755,size=65536k", MS_NOSUID | MS_STRICTATIME});
  for (const char* d : kDevices) {
    MountOp op{K::bind, std::string("/dev/") + d, std::string("/dev/") + d};
    op.target_is_file = true;
    p.mounts.push_back(op);
  }
  // --device and CDI device nodes: the host's nodes (a user namespace
  // cannot mknod), read-only without "w".
  for (const auto& d : spec.devices) {
    bool rw = d.permissions.find('w') != std::string::npos;
    MountOp op{K::bind, d.source, d.destination, "",
               rw ? 0UL : static_cast<unsigned long>(MS_RDONLY)};
    op.recursive = true;
    p.mounts.push_back(op);
  }
  // devpts may only name a gid that is mapped; with a single-id mapping the
  // tty group (5) does not exist inside.
  std::string pts_opts = "newinstance,ptmxmode=0666,mode=0620";
  if (mapping.host_gid(5)) pts_opts += ",gid=5";
  p.mounts.push_back({K::devpts, "devpts", "/dev/pts", pts_opts, MS_NOSUID | MS_NOEXEC});
  if (host_ipc) {
    // The host's /dev/shm and message queues (mqueue of the host's IPC
    // namespace cannot be mounted from a user namespace: it is bound).
    // The starter drops these binds where the host lacks the directory.
    for (const char* d : {"/dev/shm", "/dev/mqueue"}) {
      MountOp op{K::bind, d, d, "", nosuid_nodev_noexec};
      op.recursive = true;
      p.mounts.push_back(op);
    }
  } else {
    // --ipc=none: an IPC namespace of its own and no /dev/shm (podman).
    if (spec.ipc != "none") {
      // docker's 64 MiB unless --shm-size (tmpfs takes a size in bytes).
      std::string size = spec.shm_size > 0 ? std::to_string(spec.shm_size) : "65536k";
      p.mounts.push_back(
          {K::tmpfs, "shm", "/dev/shm", "mode=1777,size=" + size, nosuid_nodev_noexec});
    }
    p.mounts.push_back({K::mqueue, "mqueue", "/dev/mqueue", "", nosuid_nodev_noexec});
  }
  p.mounts.push_back({K::symlink, "pts/ptmx", "/dev/ptmx"});
  p.mounts.push_back({K::symlink, "/proc/self/fd", "/dev/fd"});
  p.mounts.push_back({K::symlink, "/proc/self/fd/0", "/dev/stdin"});
  p.mounts.push_back({K::symlink, "/proc/self/fd/1", "/dev/stdout"});
  p.mounts.push_back({K::symlink, "/proc/self/fd/2", "/dev/stderr"});
  p.mounts.push_back({K::symlink, "/proc/kcore", "/dev/core"});
  // A fresh sysfs shows the container's network namespace: its own, or the
  // one it joins (whose user namespace it then shares).
  if (net.kind != network::Mode::Kind::host) {
    p.mounts.push_back({K::sysfs, "sysfs", "/sys", "", nosuid_nodev_noexec | MS_RDONLY});
  } else {
    // sysfs can only be mounted by the owner of the network namespace; with
    // the host's network, the host's /sys is shared read-only instead.
    MountOp sys{K::bind, "/sys", "/sys", "", nosuid_nodev_noexec | MS_RDONLY};
    sys.recursive = true;
    p.mounts.push_back(sys);
  }
  for (const auto& [content, dst] :
       {std::pair{in.hosts, "/etc/hosts"}, std::pair{in.resolv_conf, "/etc/resolv.conf"},
        std::pair{in.hostname, "/etc/hostname"}}) {
    if (content.empty()) continue;
    MountOp op{K::generated, content, dst};
    op.target_is_file = true;
    p.mounts.push_back(op);
  }
  // podman's marker file; the image's own /run stays as it is.
  {
    MountOp op{K::generated, in.containerenv, "/run/.containerenv"};
    op.target_is_file = true;
    p.mounts.push_back(op);
  }
  // Tools that read /etc/mtab (df, mount) find the kernel's list there, as
  // docker and podman give it, when the image has no /etc/mtab of its own.
  p.mounts.push_back({K::symlink, "/proc/mounts", "/etc/mtab"});
  for (const auto& m : spec.mounts) {
    if (m.type == MountSpec::Type::tmpfs) {
      std::string data = m.options.empty() ? "mode=1777" : m.options;
      p.mounts.push_back(
          {K::tmpfs, "tmpfs", m.destination, data,
           MS_NOSUID | MS_NODEV | (m.readonly ? static_cast<unsigned long>(MS_RDONLY) : 0UL)});
    } else {
      MountOp op{K::bind, m.source, m.destination, "",
                 m.readonly ? static_cast<unsigned long>(MS_RDONLY) : 0UL};
      op.recursive = true;
      // A bind's options are "nocopy" (":nocopy", or a volume whose owner
      // was chosen at `volume create -o uid=`) or nothing.
      op.prefill = !m.volume.empty() && m.options != "nocopy";
      p.mounts.push_back(op);
      if (m.chown) p.chown_paths.push_back(m.destination);
    }
  }
  p.args = spec.args;
  if (spec.init && !in.init_binary.empty()) {
    MountOp op{K::bind, in.init_binary, "/run/tug-init", "", MS_RDONLY};
    op.target_is_file = true;
    p.mounts.push_back(op);
    p.args.insert(p.args.begin(), "/run/tug-init");
  }
  if (!spec.privileged) {
    for (const char* m : kMaskedPaths) p.masked_paths.emplace_back(m);
    for (const char* r : kReadonlyPaths) p.readonly_paths.emplace_back(r);
  }
  p.env = spec.env;
  p.hooks = spec.hooks;
  if (auto keep = userns::parse_keep_id(spec.userns, 0, 0); keep && !in.user_name.empty()) {
    p.passwd_entry =
        in.user_name + ":*:" + std::to_string(keep->uid) + ":" + std::to_string(keep->gid);
    p.group_entry = in.user_name + ":x:" + std::to_string(keep->gid) + ":";
    p.keep_id_home = in.user_home;
  }
  p.cwd = spec.cwd.empty() ? "/" : spec.cwd;
  p.user = spec.user;
  p.group_add = spec.group_add;
  p.stdin_open = spec.stdin_open;
  p.tty = spec.tty;
  apply_security(spec, p);
  apply_fake_chown(spec, mapping, p);
  set_setup_ids(mapping, p);
  return p;
}

}  // namespace tug::runtime
