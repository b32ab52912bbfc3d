#pragma once
// User namespace id mappings. With a subordinate range in /etc/subuid and
// /etc/subgid, container 0 maps to the user and 1..N to the range (written by
// newuidmap/newgidmap); without one (common on HPC), only the user's own id is
// mapped and the caller must tolerate chown failures. That fallback is decided
// in one place, default_mapping(), and announced once.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tug::userns {

struct IdMap {
  uint32_t container = 0;
  uint32_t host = 0;
  uint32_t size = 0;
};

struct Mapping {
  std::vector<IdMap> uids;
  std::vector<IdMap> gids;
  // Only the user's own uid/gid is mapped (no subordinate ids or no newuidmap).
  bool single = false;
  // Why single mode was chosen, for warnings and `tug info`.
  std::string single_reason;

  // Host id that a container id maps to; nullopt if unmapped.
  std::optional<uint32_t> host_uid(uint32_t container_uid) const;
  std::optional<uint32_t> host_gid(uint32_t container_gid) const;
  // "0 1000 1\n1 100000 65536\n" (the /proc/PID/uid_map format).
  std::string uid_map_text() const;
  std::string gid_map_text() const;
};

struct SubIdRange {
  uint32_t start = 0;
  uint32_t count = 0;
};

// The first range of `user` (matched by name or numeric uid) in a subid file
// such as /etc/subuid. nullopt if the file or an entry is missing.
std::optional<SubIdRange> find_subid_range(const std::string& file, const std::string& user,
                                           uid_t uid);

// Podman's default mapping for the current user: 0 -> uid, 1..N -> subordinate
// range; single-id mapping when no range or no newuidmap/newgidmap exists.
// Files are parameters so tests can use their own.
Mapping default_mapping(const std::string& subuid_file = "/etc/subuid",
                        const std::string& subgid_file = "/etc/subgid");

// --userns=keep-id: the user's uid/gid map to the same ids inside; the other
// container ids below and above come from the subordinate range.
Mapping keep_id_mapping(const Mapping& base, uid_t uid, gid_t gid);

// "keep-id" or "keep-id:uid=U,gid=G" (either key alone too): the ids the
// user becomes inside, defaulting to host_uid/host_gid. nullopt for other
// modes ("", "host"); Error(usage) for a malformed keep-id.
struct KeepId {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string canonical() const;  // "keep-id:uid=U,gid=G"
};
std::optional<KeepId> parse_keep_id(const std::string& mode, uid_t host_uid, gid_t host_gid);

// fuse-overlayfs's uidmapping=/gidmapping= value that makes files stored
// for the `storage` mapping appear, to a process in a namespace with the
// `container` mapping, owned by the same container ids they had under
// `storage`: "SEEN:SHOWN:LEN[:SEEN:SHOWN:LEN...]", where SEEN is the owner
// as the fuse daemon (in the container's namespace) reads it from disk and
// SHOWN what it presents. Host ids the container mapping lacks are left out.
std::string fuse_idmapping(const std::vector<IdMap>& storage, const std::vector<IdMap>& container);

// Writes the mapping for process pid (which must already be in a new user
// namespace): newuidmap/newgidmap for ranges, /proc files for single mode.
// Checks the helpers' exit status; throws Error naming the helper and its
// stderr on failure.
void write_id_maps(pid_t pid, const Mapping& m);

// Runs fn in a forked child that is root in a new user namespace (plus the
// extra CLONE_NEW* flags, a new mount namespace by default) with mapping m.
// An Error thrown by fn is carried back through a pipe and rethrown here with
// its code, exit code, message and hint; the child never unwinds past fn.
void run_in_userns(const Mapping& m, const std::function<void()>& fn, int extra_flags = -1);

// As run_in_userns, for an fn that execs: returns the child's exit code
// (128+N for signal N) instead of treating non-zero as failure. An Error
// thrown by fn before it execs is still rethrown here. (`tug unshare`.)
int run_in_userns_status(const Mapping& m, const std::function<void()>& fn, int extra_flags = -1);

// Runs fn in a forked child that joined the user namespace userns_fd (an
// open /proc/PID/ns/user of a running container), holding the full set of
// capabilities that grants over the ids mapped there, and nothing more on
// the host. The child stays in the caller's mount namespace and is not
// dumpable, so processes of the container cannot reach into it. Errors
// come back as with run_in_userns. A namespace the caller is in already is
// not joined again.
void run_joined(int userns_fd, const std::function<void()>& fn);

}  // namespace tug::userns
