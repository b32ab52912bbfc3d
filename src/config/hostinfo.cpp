#include "config/hostinfo.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "build_info.hpp"
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

}  // namespace

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
  struct statfs sf;
  std::string fs = ::statfs(paths.data.c_str(), &sf) == 0 ? fs_type_name(sf.f_type) : "unknown";
  store["graphRootFilesystem"] = fs;
  if (is_network_fs(fs))
    store["graphRootNote"] = "the data root is on " + fs +
                             ", which cannot hold overlay upper directories; use --root on a "
                             "local disk (e.g. /tmp or a node-local scratch directory).";
  auto driver = read_json_if_exists(paths.data + "/storage.json");
  store["driver"] = driver ? json_str(*driver, "driver", "not probed yet") : "not probed yet";
  store["fuseOverlayfs"] = find_in_path("fuse-overlayfs");
  store["devFuse"] = can_open_rw("/dev/fuse");
  if (!store["devFuse"].get<bool>())
    store["fuseNote"] = "/dev/fuse cannot be opened: the fuse-overlayfs fallback is unavailable.";
  store["imageCount"] = list_dir(paths.images()).size();
  store["containerCount"] = list_dir(paths.containers()).size();
  info["store"] = store;

  info["version"] = json{{"version", TUG_VERSION}, {"osArch", std::string("linux/") + u.machine}};
  return info;
}

}  // namespace tug::hostinfo
