#pragma once
// Lifecycle operations on container records: turning user options into a
// record (create) and running a container in the foreground of the CLI.
#include <optional>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "image/store.hpp"

namespace tug::container {

// What the user asked for on the command line, before image defaults apply.
struct CreateOptions {
  std::string image;  // reference or id as typed
  std::string name;
  std::vector<std::string> command;       // after the image
  std::optional<std::string> entrypoint;  // --entrypoint ("" clears it)
  std::vector<std::string> env;           // -e K=V / -e K
  std::vector<std::string> env_files;     // --env-file
  std::optional<std::string> workdir;     // -w
  std::optional<std::string> user;        // -u
  std::string hostname;                   // -h
  std::string network = "host";
  std::vector<std::string> volumes;    // -v SRC:DST[:ro]
  std::vector<std::string> tmpfs;      // --tmpfs DST[:opts]
  std::vector<std::string> add_hosts;  // --add-host name:ip
  std::vector<std::string> dns;
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> labels;  // K=V
  bool read_only = false, tty = false, interactive = false, init = false, auto_remove = false;
  std::string storage_driver;  // empty: the store's
};

// Resolves the image, merges its config with the options (docker's rules for
// Entrypoint/Cmd, Env, WorkingDir, User), validates bind sources, and
// creates the record. Throws Error(exit 125) for bad input.
Record create(Store& store, const image::Store& images, const CreateOptions& opts);

// Runs the container attached to the CLI's stdio and waits for it; records
// running/exited state; returns the container's exit code. Errors starting
// it are thrown with docker's exit codes (125/126/127).
int run_foreground(Store& store, const image::Store& images, const Record& r);

// Removes a container. A running one is refused with Error(in_use) unless
// force, which kills it with SIGKILL and waits until its process is gone.
void remove(Store& store, const Record& r, bool force);

// Writes the container's filesystem (image layers plus its changes) as a
// flat tar to out_fd, as `docker export` does. Mounts the rootfs privately
// in a throw-away user namespace, so it works whether or not it runs.
void export_rootfs(Store& store, const image::Store& images, const Record& r, int out_fd);

}  // namespace tug::container
