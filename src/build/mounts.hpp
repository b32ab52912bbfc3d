#pragma once
// RUN --mount (internal to build/): the option text of one mount as
// BuildKit defines it, parsed and checked, and the store's cache mounts.
//
//   type=bind    source (default the root) of from (default the context,
//                else a stage or an image) at target; read-only unless rw,
//                and then what the command writes is discarded: the
//                builder mounts a private copy.
//   type=cache   a directory of the store (build-cache/mounts/<sha256 of
//                id>, id defaulting to target) that outlives the build and
//                is never part of a layer; sharing=shared|private|locked.
//   type=tmpfs   an empty tmpfs (size).
//   type=secret  a file holding a --secret's bytes (target default
//                /run/secrets/ID) and/or an environment variable (env).
//   type=ssh     the socket of an --ssh agent, SSH_AUTH_SOCK naming it.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "config/paths.hpp"

namespace tug::build {

struct RunMount {
  enum class Type { bind, cache, tmpfs, secret, ssh };
  Type type = Type::bind;
  std::string target, source, from, id, env, size;
  std::string sharing = "shared";  // cache: shared, private or locked
  std::optional<mode_t> mode;
  std::optional<uint32_t> uid, gid;
  bool readonly = false;  // defaults applied: a bind is read-only unless rw
  bool required = false;  // secret, ssh
};

// Parses the value of one --mount= ("type=cache,target=/root/.cache").
// Error(invalid) naming the key for an unknown type or option, a missing
// target, a bad mode/uid/gid/sharing or a cache id with a path in it.
// Relative targets are left for the caller (they are taken from WORKDIR).
RunMount parse_run_mount(const std::string& text);

// What identifies the mount in a step's cache key: every option but
// contents (a secret's bytes never take part).
std::string mount_key(const RunMount& m);

const char* mount_type_name(RunMount::Type t);

// The store's directory of cache mounts, and the one of an id.
std::string cache_mounts_dir(const Paths& paths);
std::string cache_mount_dir(const Paths& paths, const std::string& id);

}  // namespace tug::build
