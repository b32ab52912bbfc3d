#pragma once
// Flags shared by `create` and `run` (docker's names and short forms).
#include "cli/cli.hpp"
#include "cli/registry_flags.hpp"
#include "container/lifecycle.hpp"

namespace tug::cli {

struct RunFlags {
  container::CreateOptions create;
  std::string entrypoint;
  std::string workdir;
  std::string user;
  std::vector<std::string> networks;  // --network, repeatable for user-defined networks
  int stop_timeout = 10;
  bool detach = false;
  bool rootfs = false;              // --rootfs: the "image" is a directory or squashfs file
  std::string pull = "missing";     // --pull always|missing|never|newer
  std::string pod_id_file;          // --pod-id-file: --pod given by a file
  RegistryFlags registry;           // --tls-verify, --authfile, --platform, -q for that pull
  std::vector<std::string> attach;  // -a/--attach stdin|stdout|stderr (any case)
};

// The streams -a names (all when none is named). Throws Error(usage) for
// a name that is no stream.
container::AttachStreams attach_streams(const std::vector<std::string>& names);

void add_create_flags(CLI::App* c, RunFlags& f);

// CLI11 stops at the image (prefix_command); what follows is the command.
// Fills f.create from what was parsed, then containers.conf's defaults
// where the command line left a value out. Throws Error(usage).
void take_image_and_command(CLI::App* c, RunFlags& f);

// Pulls f.create.image as --pull asks; run and create call it before
// container::create, which never talks to a registry.
void pull_for_create(Globals& g, RunFlags& f);

// podman's --pod new:NAME: creates the pod NAME (publishing the container's
// -p ports, which a pod member cannot publish itself) and points --pod at it.
void create_new_pod(Globals& g, RunFlags& f);

// How run, start and compose run start rec, attached or not. A detached
// --rm container is removed by its monitor at exit (`tug rm -f ID` on
// this store); after an attached session the caller removes it.
container::StartOptions start_options(Globals& g, const container::Record& rec, bool attach);

}  // namespace tug::cli
