#pragma once
// The mount plan is data. build_plan() turns a Spec plus the rootfs and the
// container's generated files into the exact list of setup operations, in
// order, with no side effects; the executor (executor.hpp) only carries it
// out inside the new namespaces. Unit tests inspect plans without privileges.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/seccomp.hpp"
#include "runtime/spec.hpp"
#include "storage/driver.hpp"
#include "userns/userns.hpp"

namespace tug::runtime {

struct MountOp {
  enum class Kind {
    proc,       // fresh procfs for the new pid namespace
    sysfs,      // fresh sysfs (needs our own network namespace)
    tmpfs,      // tmpfs with data options
    devpts,     // devpts newinstance
    mqueue,     // POSIX message queues of the new ipc namespace
    bind,       // bind mount of a host path (file or directory)
    symlink,    // a symlink created at target pointing at source
    file,       // a file created at target holding source (in a tmpfs tug mounted)
    generated,  // a file holding source bound onto target: made in tug's /dev
                // tmpfs, whose name for it goes once bound (no file on the host)
    tree,       // the detached mount fd (mount_tree.hpp) attached at target
  };
  Kind kind = Kind::bind;
  std::string source;           // bind: host path; symlink: link text; file, generated: content
  std::string target;           // absolute path inside the rootfs
  std::string data;             // mount data ("mode=755,size=65536k")
  unsigned long flags = 0;      // MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RDONLY ...
  bool target_is_file = false;  // create a file (not a dir) as mount point
  bool recursive = false;       // MS_REC for binds
  bool prefill = false;         // volume: copy the image's files at target in when empty
  int fd = -1;                  // tree: the detached mount (owned by the caller)
};

struct Plan {
  int clone_flags = 0;  // CLONE_NEW* (the user namespace is always new)
  storage::RootfsPlan rootfs;
  std::vector<MountOp> mounts;              // in execution order, before pivot_root
  std::vector<std::string> masked_paths;    // hidden (bind /dev/null or empty ro tmpfs)
  std::vector<std::string> readonly_paths;  // bind-remounted read-only
  std::string hostname;
  bool readonly_rootfs = false;

  std::vector<std::string> args;  // argv; with init, argv[0] is the init path in the container
  std::vector<std::string> env;
  std::string cwd;
  bool create_cwd = true;  // run creates a missing working directory (runc's); exec does not
  std::string user;
  // Spec::group_add: gids or group names of the image, added to the user's
  // supplementary groups; "keep-groups": setgroups is left alone, so the
  // process keeps the caller's groups.
  std::vector<std::string> group_add;
  bool stdin_open = false;
  bool tty = false;  // stdio is a pseudo-terminal the caller provides
  // The terminal's size, set before the command runs (a shell's first
  // `stty size` must not see 0 0); 0: left to a later resize.
  uint16_t tty_rows = 0, tty_cols = 0;
  uint64_t capabilities = 0;                      // bit n = capability n kept in the bounding set
  bool seccomp = true;                            // the default filter (runtime/seccomp.hpp)
  std::optional<SeccompProfile> seccomp_profile;  // instead of the default filter
  std::optional<FakeIds> fake_chown;              // the fake-chown filter (seccomp.hpp)
  // The filters above, compiled by compile_filters() before the process is
  // cloned: the process only loads them (empty: it compiles them itself).
  Bpf seccomp_bpf, fake_chown_bpf;
  bool no_new_privileges = false;
  std::string cgroup;           // join this cgroup (absolute path) before anything else
  std::vector<Ulimit> rlimits;  // set before the command runs
  // Paths inside the container chowned (recursively, not following
  // symlinks) to the process's user before it starts: `-v SRC:DST:U`.
  std::vector<std::string> chown_paths;
  // Network: with a namespace of its own (CLONE_NEWNET) the container
  // brings its loopback up; with join_netns it enters that network
  // namespace (another container's, or ns:PATH) and the user namespace
  // owning it instead of making both. await_network holds the exec until
  // the starter says the network is configured (start()'s callback).
  std::string join_netns;
  // Also joined, with join_netns (a pod's members): the infra's uts and ipc.
  std::string join_utsns, join_ipcns;
  // Without join_netns: a user namespace to make the container's other
  // namespaces in (the rootless network namespace's, for containers on
  // user-defined networks) instead of a new one (mapping is not used).
  std::string join_userns;
  bool await_network = false;
  // The ids the setup runs as: 0, the namespace's root, unless the mapping
  // lacks it (keep-id without subordinate ids maps only the user's own id;
  // a process keeps every capability of a namespace it made, whatever its uid).
  uint32_t setup_uid = 0, setup_gid = 0;
  // --userns=keep-id: appended to the image's /etc/passwd (/etc/group) when
  // no entry has the user's uid (gid) or name. passwd_entry holds the first
  // four fields ("name:*:uid:gid"); the home field is keep_id_home when the
  // image has that directory, else the working directory (podman's rule:
  // nothing is created), and the shell /bin/sh. Before a --read-only remount.
  std::string passwd_entry, group_entry;
  std::string keep_id_home;
  // CDI hooks (Spec::hooks) with the state JSON they read on stdin.
  std::vector<HookSpec> hooks;
  std::string hook_state;
};

// What the plan refers to besides the spec and the rootfs.
struct PlanInputs {
  // The container's /etc/hosts, /etc/resolv.conf and /etc/hostname, made
  // in its /dev tmpfs at start (MountOp::Kind::generated). Empty: none.
  std::string hosts, resolv_conf, hostname;
  std::string init_binary;  // tug-init on the host (used with Spec::init)
  std::string user_name;    // the host user's name and home (--userns=keep-id)
  std::string user_home;
  // /run/.containerenv, podman's marker that a process runs in a container:
  // always there, empty unless --privileged (containerenv_content()).
  std::string containerenv;
};

// Pure: no syscalls, no file access.
Plan build_plan(const Spec& spec, const storage::RootfsPlan& rootfs, const PlanInputs& in,
                const userns::Mapping& mapping);

// --ipc container:NAME and a pod's members: the container's /dev/shm is
// the owner's (tree_fd: a detached copy of it, mount_tree.hpp) instead of a
// tmpfs of its own, so both see the same files, as with docker and podman.
// Without a /dev/shm tmpfs in the plan (--ipc none, host) nothing changes.
void share_shm(Plan& p, int tree_fd);

// Capabilities, seccomp and no_new_privs of spec into p (also for exec).
void apply_security(const Spec& spec, Plan& p);

// The fake-chown filter for a container with mapping: --security-opt
// fake-chown=true|false, else on exactly when the mapping is single-id.
void apply_fake_chown(const Spec& spec, const userns::Mapping& mapping, Plan& p);
// Compiles the plan's seccomp filters, through the cache in cache_dir (see
// runtime::cached_filter; a profile from a file is compiled each time).
void compile_filters(Plan& p, const std::string& cache_dir);

// setup_uid/setup_gid for a container with mapping.
void set_setup_ids(const userns::Mapping& mapping, Plan& p);

// Capability mask from docker's default set adjusted by cap_add/cap_drop.
uint64_t capability_mask(const std::vector<std::string>& add, const std::vector<std::string>& drop);

// Contents of the generated /etc files. host_address, when not empty, is
// what host.containers.internal and host.docker.internal name (unless
// --add-host names them).
// addresses are the container's own (one line each naming its hostname,
// and name when it differs, as podman writes them; none: 127.0.1.1).
std::string hosts_file_content(const Spec& spec, const std::vector<std::string>& addresses = {},
                               const std::string& host_address = "", const std::string& name = "");

// What podman writes to /run/.containerenv: nothing for a container
// without --privileged (only the file's presence tells), else engine, name,
// id, image, imageid and rootless keys, one `key="value"` a line.
struct ContainerEnv {
  std::string engine;  // "tug-VERSION"
  std::string name, id, image, image_id;
  bool rootless = true;
};
std::string containerenv_content(bool privileged, const ContainerEnv& c);
std::string resolv_conf_content(const Spec& spec, const std::string& host_resolv_conf);

}  // namespace tug::runtime
