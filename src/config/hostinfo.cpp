#include "config/hostinfo.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <sstream>

#include "build_info.hpp"
#include "config/containers_conf.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::hostinfo {

std::string cgroup2_path(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (starts_with(line, "0::")) return line.substr(3);
  return "";
}

std::vector<std::string> parse_controllers(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string c;
  while (in >> c) out.push_back(c);
  return out;
}

std::string fs_type_name(long magic) {
  switch (static_cast<unsigned long>(magic)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794C7630:
      return "overlayfs";
    case 0x6969:
      return "nfs";
    case 0x0BD00BD0:
      return "lustre";
    case 0x47504653:
      return "gpfs";
    case 0xFF534D42:
      return "cifs";
    case 0x65735546:
      return "fuse";
    case 0x2FC12FC1:
      return "zfs";
    case 0x00C36400:
      return "ceph";
    case 0x19830326:
      return "beegfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(magic));
      return buf;
    }
  }
}

bool is_network_fs(const std::string& n) {
  return n == "nfs" || n == "lustre" || n == "gpfs" || n == "cifs" || n == "ceph" || n == "beegfs";
}

namespace {

bool userns_works() {
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) ::_exit(::unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

bool can_open_rw(const char* dev) {
  int fd = ::open(dev, O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::string os_name() {
  auto text = read_file_if_exists("/etc/os-release").value_or("");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (starts_with(line, "PRETTY_NAME=")) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  return "linux";
}

json cgroup_info() {
  json j;
  struct statfs sf;
  bool v2 = ::statfs("/sys/fs/cgroup", &sf) == 0 &&
            static_cast<unsigned long>(sf.f_type) == 0x63677270UL;  // CGROUP2_SUPER_MAGIC
  j["version"] = v2 ? "v2" : "v1";
  std::string mount = v2 ? "/sys/fs/cgroup" : "";
  if (!v2 && path_exists("/sys/fs/cgroup/unified/cgroup.controllers"))
    mount = "/sys/fs/cgroup/unified";
  std::string rel = cgroup2_path(read_file_if_exists("/proc/self/cgroup").value_or(""));
  std::vector<std::string> ctrls;
  if (!mount.empty() && !rel.empty())
    ctrls =
        parse_controllers(read_file_if_exists(mount + rel + "/cgroup.controllers").value_or(""));
  j["path"] = rel;
  j["delegatedControllers"] = ctrls;
  if (!v2)
    j["note"] =
        "cgroup v1 host: tug cannot set per-container limits (--memory, --cpus, "
        "--pids-limit) without root; containers run without them. A host with the "
        "unified hierarchy (systemd.unified_cgroup_hierarchy=1) and delegation enables them.";
  else if (ctrls.empty())
    j["note"] =
        "no cgroup controllers are delegated to you: limits are not enforced. On systemd "
        "hosts add Delegate=cpu cpuset io memory pids to user@.service (a drop-in in "
        "/etc/systemd/system/user@.service.d/).";
  return j;
}

bool setuid_or_caps(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  if (st.st_mode & S_ISUID) return true;
  return ::getxattr(path.c_str(), "security.capability", nullptr, 0) > 0;
}

}  // namespace

std::string status_name(Check::Status s) {
  switch (s) {
    case Check::Status::ok:
      return "ok";
    case Check::Status::warn:
      return "warn";
    case Check::Status::fail:
      return "fail";
  }
  return "?";
}

std::vector<Check> checks(const Paths& paths, const userns::Mapping& mapping) {
  using S = Check::Status;
  std::vector<Check> out;
  if (userns_works())
    out.push_back({"user namespaces", S::ok, "unprivileged user namespaces can be created", ""});
  else
    out.push_back({"user namespaces", S::fail, "cannot create a user namespace",
                   "ask the administrator to set user.max_user_namespaces > 0 (and "
                   "kernel.unprivileged_userns_clone=1 where it exists)"});

  if (mapping.single)
    out.push_back({"id mapping", S::warn, "single-uid mode: " + mapping.single_reason,
                   "containers still run: only your uid and gid exist inside, files of other "
                   "owners in images become yours, and chown-family calls to other ids are faked "
                   "(--security-opt fake-chown=false turns that off). For a full range ask the "
                   "administrator for an entry in /etc/subuid and /etc/subgid (usermod "
                   "--add-subuids/--add-subgids) and the uidmap package"});
  else
    out.push_back({"id mapping", S::ok,
                   "subordinate ranges: " + trim(mapping.uid_map_text()) + " (uids)", ""});

  std::string nu = find_in_path("newuidmap"), ng = find_in_path("newgidmap");
  if (nu.empty() || ng.empty())
    out.push_back({"newuidmap/newgidmap", S::warn, "not installed",
                   "install package uidmap to use subordinate id ranges"});
  else if (!setuid_or_caps(nu) || !setuid_or_caps(ng))
    out.push_back({"newuidmap/newgidmap", S::warn,
                   nu + " or " + ng + " is neither setuid nor has file capabilities",
                   "reinstall package uidmap (they need setuid root or cap_setuid/cap_setgid)"});
  else
    out.push_back({"newuidmap/newgidmap", S::ok, nu + ", " + ng, ""});

  if (paths.run_is_fallback)
    out.push_back({"runtime directory", S::warn,
                   "XDG_RUNTIME_DIR is unset or unusable: using " + paths.run,
                   "nothing to do: it works, and is cleared on reboot; a systemd user session "
                   "(loginctl enable-linger) provides /run/user/<uid>"});
  else
    out.push_back({"runtime directory", S::ok, paths.run, ""});

  if (::access(paths.data.c_str(), W_OK | X_OK) != 0)
    out.push_back({"storage", S::fail, paths.data + " is not writable",
                   "use --root on a writable local disk"});
  else if (!paths.data_fallback_from.empty())
    out.push_back({"storage", S::warn,
                   paths.data_fallback_from + " is on " + paths.data_fallback_fs +
                       " (a network filesystem); using " + paths.data + " (" + paths.data_fs + ")",
                   "node-local storage is lost when the node is cleaned: set --root (or graphroot "
                   "in storage.conf) to a persistent local disk if there is one"});
  else
    out.push_back({"storage", S::ok, paths.data + " (" + paths.data_fs + ")", ""});
  for (const auto& s : paths.additional_stores) {
    bool ok = path_exists(s + "/images");
    out.push_back(
        {"additional image store", ok ? S::ok : S::warn, s,
         ok ? "" : "no images/ directory there: is it a tug store (--root of another user)?"});
  }

  bool fuse_dev = can_open_rw("/dev/fuse");
  std::string fuse_bin = find_in_path("fuse-overlayfs");
  if (fuse_dev && !fuse_bin.empty())
    out.push_back({"fuse-overlayfs", S::ok, fuse_bin + ", /dev/fuse usable", ""});
  else
    out.push_back({"fuse-overlayfs", S::warn,
                   fuse_bin.empty() ? "fuse-overlayfs is not installed"
                                    : "/dev/fuse cannot be opened read-write",
                   "needed where the kernel refuses overlay in a user namespace and for "
                   "--userns=keep-id with subordinate ids: install package fuse-overlayfs, and ask "
                   "for /dev/fuse mode 0666"});

  bool tun = can_open_rw("/dev/net/tun");
  std::string slirp = find_in_path("slirp4netns"), pasta = find_in_path("pasta");
  if (!tun)
    out.push_back({"network", S::warn, "/dev/net/tun cannot be opened",
                   "the default network (slirp4netns) and pasta need it: ask for /dev/net/tun "
                   "mode 0666, or run with --network none or --network host"});
  else if (slirp.empty() && pasta.empty())
    out.push_back({"network", S::warn, "neither slirp4netns nor pasta is installed",
                   "install package slirp4netns (or passt), or run with --network none or host"});
  else
    out.push_back(
        {"network", S::ok, "/dev/net/tun usable; " + (slirp.empty() ? pasta : slirp), ""});

  json cg = cgroup_info();
  std::vector<std::string> ctrls = cg.value("delegatedControllers", std::vector<std::string>{});
  std::string joined;
  for (const auto& c : ctrls) joined += (joined.empty() ? "" : " ") + c;
  if (cg.value("version", "") != "v2" || ctrls.empty())
    out.push_back({"cgroups", S::warn,
                   "cgroup " + cg.value("version", std::string("?")) +
                       (ctrls.empty() ? ", no controllers delegated" : ", controllers: " + joined),
                   "containers run, but --memory, --cpus, --pids-limit are not enforced and pause "
                   "is unavailable; on systemd hosts delegate controllers to user@.service "
                   "(Delegate=cpu cpuset io memory pids)"});
  else
    out.push_back({"cgroups", S::ok, "cgroup v2, delegated: " + joined, ""});

  std::string port =
      trim(read_file_if_exists("/proc/sys/net/ipv4/ip_unprivileged_port_start").value_or(""));
  if (port.empty() || port == "0")
    out.push_back({"unprivileged ports", S::ok, "every host port can be published", ""});
  else
    out.push_back({"unprivileged ports", S::ok, "host ports from " + port + " up can be published",
                   "-p with a lower host port fails: use a higher one (-p 8080:80), or ask for "
                   "sysctl net.ipv4.ip_unprivileged_port_start=0"});
  return out;
}

std::string api_socket(const Paths& paths) {
  return paths.run + "/tug.sock";
}

json collect(const Paths& paths, const userns::Mapping& mapping) {
  json info;
  struct utsname u;
  ::uname(&u);
  struct sysinfo si;
  ::sysinfo(&si);
  json host;
  host["os"] = os_name();
  host["kernel"] = u.release;
  host["arch"] = u.machine;
  host["cpus"] = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  host["memTotal"] = static_cast<int64_t>(si.totalram) * si.mem_unit;
  host["hostname"] = u.nodename;
  host["rootless"] = ::geteuid() != 0;
  host["userNamespaces"] = userns_works();
  if (!host["userNamespaces"].get<bool>())
    host["userNamespacesNote"] =
        "cannot create a user namespace: tug cannot run containers here. "
        "Ask the administrator to set user.max_user_namespaces > 0.";
  json idmap;
  idmap["uidmap"] = mapping.uid_map_text();
  idmap["gidmap"] = mapping.gid_map_text();
  idmap["newuidmap"] = find_in_path("newuidmap");
  idmap["newgidmap"] = find_in_path("newgidmap");
  if (mapping.single) {
    idmap["mode"] = "single-uid";
    idmap["note"] = "single-uid mode (" + mapping.single_reason +
                    "): image files owned by other users belong to you inside the container, "
                    "and changing owners inside fails.";
  } else {
    idmap["mode"] = "subordinate ranges";
  }
  host["idMappings"] = idmap;
  host["cgroups"] = cgroup_info();
  json net;
  net["slirp4netns"] = find_in_path("slirp4netns");
  net["pasta"] = find_in_path("pasta");
  net["tunDevice"] = can_open_rw("/dev/net/tun");
  if (!net["tunDevice"].get<bool>())
    net["note"] = "/dev/net/tun cannot be opened: slirp4netns/pasta networking is unavailable.";
  host["network"] = net;
  info["host"] = host;

  json store;
  store["graphRoot"] = paths.data;
  store["runRoot"] = paths.run;
  if (paths.run_is_fallback)
    store["runRootNote"] = "XDG_RUNTIME_DIR is unset or unusable: runtime state is kept in " +
                           paths.run + " (cleared on reboot).";
  store["graphRootFilesystem"] = paths.data_fs;
  if (!paths.data_fallback_from.empty())
    store["graphRootNote"] = paths.data_fallback_from + " is on " + paths.data_fallback_fs +
                             ", which cannot hold overlay upper directories: tug keeps images and "
                             "containers on this node in " +
                             paths.data + " instead; choose another with --root.";
  if (!paths.additional_stores.empty()) store["additionalImageStores"] = paths.additional_stores;
  auto driver = read_json_if_exists(paths.data + "/storage.json");
  store["driver"] = driver ? json_str(*driver, "driver", "not probed yet") : "not probed yet";
  store["fuseOverlayfs"] = find_in_path("fuse-overlayfs");
  store["devFuse"] = can_open_rw("/dev/fuse");
  if (!store["devFuse"].get<bool>())
    store["fuseNote"] = "/dev/fuse cannot be opened: the fuse-overlayfs fallback is unavailable.";
  store["imageCount"] = list_dir(paths.images()).size();
  store["containerCount"] = list_dir(paths.containers()).size();
  info["store"] = store;

  // Every key tug does not use is named here once, never silently dropped.
  const ContainersConf& conf = containers_conf();
  json cc = json::object();
  cc["files"] = conf.files;
  cc["ignoredKeys"] = conf.ignored;
  if (!conf.ignored.empty())
    cc["note"] =
        "tug does not use the ignoredKeys; the other keys are defaults that the "
        "command line overrides.";
  info["containersConf"] = cc;

  json checks_j = json::object();
  for (const auto& c : checks(paths, mapping))
    checks_j[c.name] =
        status_name(c.status) + ": " + c.detail + (c.advice.empty() ? "" : " -- " + c.advice);
  info["checks"] = checks_j;

  // docker's clients reach tug through `tug system service`.
  info["api"] = json{{"socket", api_socket(paths)},
                     {"dockerHost", "unix://" + api_socket(paths)},
                     {"note",
                      "run `tug system service` (or enable the tug.socket user unit), then "
                      "export DOCKER_HOST=unix://" +
                          api_socket(paths) + " for docker's clients"}};
  info["version"] = json{{"version", TUG_VERSION}, {"osArch", std::string("linux/") + u.machine}};
  return info;
}

}  // namespace tug::hostinfo
