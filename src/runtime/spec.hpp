#pragma once
// What a container runs, resolved from the image config and the user's
// flags: the runtime's input. It is stored as JSON in the container record
// and turned into a Plan (plan.hpp) each time the container starts.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "network/mode.hpp"
#include "network/networks.hpp"
#include "network/ports.hpp"
#include "util/json.hpp"

namespace tug::runtime {

struct MountSpec {
  enum class Type { bind, tmpfs };
  Type type = Type::bind;
  std::string source;       // host path (bind)
  std::string destination;  // absolute path inside the container
  bool readonly = false;
  std::string options;  // tmpfs: "size=64m,mode=1777"
  std::string volume;   // named volume (source is its _data directory)
  bool chown = false;   // ":U": chowned to the container's user at start
};

// --device SRC[:DST][:PERMS], or a CDI device node: a host device node (or
// directory of them) bound into the container's /dev. PERMS without "w"
// binds it read-only ("m", mknod, means nothing without a device cgroup).
struct DeviceSpec {
  std::string source;
  std::string destination;
  std::string permissions = "rwm";
};

// An OCI hook from a CDI spec: createContainer (in the container's mount
// namespace before pivot_root, path on the host) or startContainer (in the
// container, just before the command). State JSON on stdin.
struct HookSpec {
  std::string stage;
  std::string path;
  std::vector<std::string> args;  // argv, argv[0] included (empty: {path})
  std::vector<std::string> env;
  int timeout = 0;  // seconds, 0: none
};

struct Spec {
  std::vector<std::string> args;  // entrypoint + cmd, resolved
  std::vector<std::string> env;   // KEY=VALUE, image env overridden by flags
  std::string cwd = "/";
  std::string user;  // "", "uid", "uid:gid", "name", "name:group"
  std::string hostname;
  network::Mode network;                      // parsed once; stored as network::to_string()
  std::vector<network::PortMapping> ports;    // -p/-P (host_port 0: chosen at each start)
  std::vector<network::Membership> networks;  // user-defined networks, in network's order
  std::vector<MountSpec> mounts;
  std::vector<DeviceSpec> devices;
  std::vector<HookSpec> hooks;
  std::vector<std::pair<std::string, std::string>> extra_hosts;  // name, ip
  std::vector<std::string> dns;                                  // nameservers for resolv.conf
  std::vector<std::string> dns_search;   // --dns-search: resolv.conf's search line ("." none)
  std::vector<std::string> dns_options;  // --dns-option: resolv.conf's options line
  // --ipc: "" (private, the default), "private", "shareable", "host" (the
  // host's IPC namespace and /dev/shm), "none" (private, no /dev/shm), or
  // "container:ID" (that container's IPC namespace and /dev/shm).
  std::string ipc;
  int64_t shm_size = 0;  // --shm-size: bytes of the private /dev/shm tmpfs; 0: 64 MiB
  // --group-add: more supplementary groups (gids or names from the image's
  // /etc/group), or "keep-groups" (the caller's own groups, as podman).
  std::vector<std::string> group_add;
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> security_opt;  // seccomp=unconfined|FILE, no-new-privileges
  json seccomp_profile;                   // the FILE of seccomp=FILE, read at create
  // Resource limits (--memory, --memory-swap, --cpus, --cpu-shares,
  // --pids-limit), applied through cgroup/ where the host delegates them.
  json limits = json::object();
  std::vector<std::string> ulimits;  // --ulimit NAME=SOFT[:HARD]
  bool privileged = false;           // every capability, no seccomp, no masked paths
  std::string userns;                // "" (the store's mapping) or "keep-id:uid=U,gid=G"
  bool read_only = false;
  bool tty = false;
  bool stdin_open = false;
  bool init = false;  // run tug-init as PID 1
  std::string stop_signal = "SIGTERM";
  int stop_timeout = 10;              // seconds between the stop signal and SIGKILL
  std::string restart_policy = "no";  // no | on-failure[:N] | always | unless-stopped
  // --sdnotify: who tells systemd (the caller's NOTIFY_SOCKET) that the
  // container is ready: "conmon" (the monitor, once the process runs),
  // "container" (the container itself, through a socket of its own that the
  // monitor relays), "healthy" (the monitor, once the healthcheck first
  // passes) or "ignore".
  std::string sdnotify = "container";
  // --cgroups: enabled (a cgroup of its own under the caller's, where the
  // host delegates one), split (the same, required: a unit's Delegate=yes
  // subtree), no-conmon (the same: the monitor never has a cgroup of its
  // own), disabled (none, even where one could be made).
  std::string cgroups = "enabled";
  // --log-driver: k8s-file (podman's format, the default), json-file
  // (docker's), journald, none, passthrough (the starting CLI's own stdio);
  // --log-opt: max-size (bytes, rotation), max-file, tag, path.
  std::string log_driver = "k8s-file";
  std::map<std::string, std::string> log_opts;
};

void to_json(json& j, const MountSpec& m);
void from_json(const json& j, MountSpec& m);
void to_json(json& j, const DeviceSpec& d);
void from_json(const json& j, DeviceSpec& d);
void to_json(json& j, const HookSpec& h);
void from_json(const json& j, HookSpec& h);
void to_json(json& j, const Spec& s);
void from_json(const json& j, Spec& s);

// Parses "-v SRC:DST[:ro|rw|z|Z|U]" into a bind MountSpec. SRC is an absolute
// host path, or a volume name (then MountSpec::volume is set and source is
// left for the caller to fill in).
// Throws Error(usage) for malformed specs.
MountSpec parse_volume_flag(const std::string& text);
// --mount type=bind|volume|tmpfs,source=,target=[,readonly][,tmpfs-size=][,tmpfs-mode=]
// (docker's keys and aliases). A volume without source is anonymous: volume
// and source both empty, for the caller to create.
MountSpec parse_mount_flag(const std::string& text);

// --device SRC[:DST][:PERMS] (podman's forms: a second field of r, w, m
// letters is PERMS). Throws Error(usage). Does not look at the host.
DeviceSpec parse_device_flag(const std::string& text);

// --ulimit NAME=SOFT[:HARD] (docker's names: nofile, nproc, core, stack,
// memlock, ...; -1 is unlimited; HARD defaults to SOFT).
struct Ulimit {
  int resource = 0;  // RLIMIT_*
  uint64_t soft = 0, hard = 0;
};
Ulimit parse_ulimit(const std::string& text);

// Capability names accepted by --cap-add/--cap-drop ("NET_RAW" or
// "CAP_NET_RAW", any case, or "ALL"); returns the kernel number.
int capability_number(const std::string& name);
// Signal number for "SIGTERM", "TERM", "15" (any case); throws Error(usage).
int signal_number(const std::string& name);

// Checks --security-opt values tug understands; throws Error(unsupported)
// naming the others (a profile file, label=..., apparmor=...).
// The FILE of "seccomp=FILE" ("" for other options and seccomp=unconfined).
std::string seccomp_profile_path(const std::string& opt);
void validate_security_opt(const std::string& opt);
// "fake-chown[=true]" -> true, "fake-chown=false" -> false, others nullopt.
std::optional<bool> fake_chown_opt(const std::string& opt);

// Checks an --ipc value (podman's modes: host, private, shareable, none,
// container:NAME; "" is private); returns it, Error(usage) for others.
std::string validate_ipc_mode(const std::string& mode);

// Checks a --restart value; returns it normalised ("" -> "no").
std::string validate_restart_policy(const std::string& p);

// Checks a --cgroups value (enabled, disabled, split, no-conmon; "" is enabled).
std::string validate_cgroups_mode(const std::string& mode);

// Checks a --sdnotify value (conmon, container, healthy, ignore; "" is
// container).
std::string validate_sdnotify(const std::string& mode);

// Checks a --log-driver value ("" and "k8s-file" are the default; docker's
// "local" is taken as json-file's rotation-capable cousin: json-file).
// Error(usage) names the accepted ones.
std::string validate_log_driver(const std::string& driver);
// Parses --log-opt KEY=VALUE (max-size=10m, max-file=3, tag=T, path=P)
// into opts; Error(usage) for an unknown key or a malformed value.
void add_log_opt(std::map<std::string, std::string>& opts, const std::string& text);

// Docker's default capability set.
const std::vector<std::string>& default_capabilities();

}  // namespace tug::runtime
