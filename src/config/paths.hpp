#pragma once
// Where tug keeps things. Data (images, layers, containers, volumes) lives in
// $XDG_DATA_HOME/tug (default ~/.local/share/tug); runtime state that must
// vanish on reboot (sockets, pid files, locks) in $XDG_RUNTIME_DIR/tug, or
// /tmp/tug-<uid> (mode 0700, owned by us) when that is unset or unusable.
// --root and --runroot override both.
#include <string>
#include <vector>

namespace tug {

struct Paths {
  std::string data;              // data root
  std::string run;               // runtime root
  bool run_is_fallback = false;  // XDG_RUNTIME_DIR was unusable
  std::string data_fs;           // filesystem type of the data root (fs_type_of)
  // The default data root was on a network filesystem and this one, on
  // node-local disk, is used instead: the default that was passed over.
  std::string data_fallback_from;
  std::string data_fallback_fs;
  // storage.conf's additionalimagestores: read-only stores of other roots.
  std::vector<std::string> additional_stores;

  std::string blobs() const { return data + "/blobs/sha256"; }
  std::string layers() const { return data + "/layers"; }
  std::string links() const { return data + "/l"; }  // short names for overlay lowerdirs
  std::string images() const { return data + "/images"; }
  std::string containers() const { return data + "/containers"; }
  std::string names() const { return data + "/names"; }  // container name claims
  std::string volumes() const { return data + "/volumes"; }
  std::string pods() const { return data + "/pods"; }
  std::string networks() const { return data + "/networks"; }  // user-defined networks
  std::string tmp() const { return data + "/tmp"; }            // staging, same fs as the store
  std::string store_lock() const { return data + "/store.lock"; }
  // A preallocated block that takes a container's exit record when the
  // filesystem is full (tug-monitor derives it from containers/<id>/).
  std::string reserve() const { return data + "/reserve"; }
};

// Resolves the roots from flags (empty = default), storage.conf and the
// environment, and creates the directory layout. Throws Error with a hint
// when no home or runtime directory can be used. A data root on a network
// filesystem (NFS, Lustre, GPFS, CIFS, Ceph, BeeGFS: no overlay upper dirs,
// no reliable xattrs or locks) is refused when the user chose it (--root,
// graphroot); the default one is replaced by ${TMPDIR:-/tmp}/tug-<uid>/storage
// with a warning when that directory is first made.
Paths resolve_paths(const std::string& root_flag, const std::string& runroot_flag);

// statfs type name of the filesystem holding path (or its nearest existing
// parent): "ext4", "nfs", ... Test hook: TUG_TEST_FS_TYPE="PREFIX=TYPE[:...]"
// pretends paths under PREFIX are on TYPE (no NFS server in the test suite).
std::string fs_type_of(const std::string& path);

// Home directory of the current user ($HOME, else the passwd entry).
std::string home_dir();
std::string current_user_name();

}  // namespace tug
