#pragma once
// systemd units for containers, as podman writes them: `tug generate
// systemd` (this file's generate.cpp) and the Quadlet-style generator in
// libexec/ (quadlet.cpp). Pure text in, text out: the callers gather what
// a unit needs from the stores and write the files, so every rule here is
// unit-tested without a store or a systemd.
#include <optional>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "image/store.hpp"
#include "registry/registry.hpp"

namespace tug::systemd {

// `tug generate systemd` flags, podman's names and defaults.
struct GenerateOptions {
  bool new_container = false;  // --new: the unit creates the container (tug run) and removes it
  bool use_name = false;       // --name: names instead of ids in unit names and commands
  bool no_header = false;      // --no-header
  // --template (implies --new): CONTAINER@.service, an instance per %i,
  // each its own container (NAME-%i).
  bool template_unit = false;
  std::string container_prefix = "container", pod_prefix = "pod", separator = "-";
  std::string restart_policy = "on-failure";
  std::optional<unsigned> restart_sec, start_timeout, stop_timeout;
  std::vector<std::string> wants, after, requires_, env;
};

// What the caller tells about its environment.
struct Context {
  std::string tug;            // absolute path of the tug binary the unit runs
  std::string runroot;        // tug's runtime root (RequiresMountsFor)
  std::string version;        // "tug VERSION" in the header
  std::string timestamp;      // the header's date line (tests strip it)
  std::string documentation;  // URI for Documentation=
};

// A container as a unit needs it.
struct ContainerInfo {
  std::string id, name;
  int stop_timeout = 10;                    // the container's --stop-timeout
  std::vector<std::string> create_command;  // the argv that created it (--new)
  std::string pid_file;                     // where its monitor's pid is written
};

struct PodInfo {
  std::string id, name;
  ContainerInfo infra;                      // the unit of the pod runs its infra container
  std::vector<ContainerInfo> members;       // without the infra
  std::vector<std::string> create_command;  // the argv that created the pod (--new)
};

struct Unit {
  std::string name;  // "container-web.service"
  std::string text;
};

// Throws Error(usage) for a restart policy systemd does not know.
void validate(const GenerateOptions& opts);

Unit container_unit(const ContainerInfo& c, const GenerateOptions& opts, const Context& ctx);
// The pod's unit first, then one per member (each BindsTo the pod's).
// With --new the pod's unit creates the pod (`tug pod create
// --infra-conmon-pidfile %t/UNIT.pid --pod-id-file %t/UNIT.pod-id
// --exit-policy=stop ...`) and the members join it by that file.
// Error(usage) for --template; Error(invalid) with --new when the pod was
// not made by `tug pod create`.
std::vector<Unit> pod_units(const PodInfo& p, const GenerateOptions& opts, const Context& ctx);

struct RunCommandOptions {
  // A member of a pod made by its unit: --pod/--pod-id-file of the
  // original give way to --pod-id-file POD_ID_FILE.
  std::string pod_id_file;
  // --template: --name NAME becomes NAME-%i; without a name,
  // --name=TEMPLATE_NAME-%i is added.
  std::string template_name;
};

// --new: the command line that created a container turned into the unit's
// `tug run --cidfile=%t/%n.ctr-id --cgroups=no-conmon --rm [--pod-id-file
// F] --sdnotify=conmon -d [--replace] ...` (create becomes run; -d, --rm,
// --replace, --sdnotify, --cidfile, --cgroups and --restart of the original
// are dropped: systemd restarts the unit). The words come escaped for an
// Exec line (exec_word), the unit's own specifiers left as they are.
// Throws Error(invalid) when the command is not a tug run/create.
std::vector<std::string> unit_run_command(const std::vector<std::string>& create_command,
                                          const std::string& tug,
                                          const RunCommandOptions& ropts = {});

struct PodCreateCommand {
  std::vector<std::string> global;  // tug's global flags of the original (--root ...)
  std::vector<std::string> words;   // tug [global] pod create ...
};
// --new for a pod: its create command turned into the unit's `tug pod
// create --infra-conmon-pidfile PID_FILE --pod-id-file POD_ID_FILE
// [--exit-policy=stop] ... [--replace]` (the original's --pod-id-file and
// --infra-conmon-pidfile dropped; --replace added to a named pod). Words
// escaped as unit_run_command's. Error(invalid) when it is not `pod create`.
PodCreateCommand unit_pod_create_command(const std::vector<std::string>& create_command,
                                         const std::string& tug, const std::string& pid_file,
                                         const std::string& pod_id_file);

// One word of an Exec line: specifiers (%) and variables ($) escaped
// (unless keep_specifiers: Quadlet values are systemd syntax already),
// quoted when it holds blanks or quotes.
std::string exec_word(const std::string& arg, bool keep_specifiers = false);
// Words joined as podman writes them: a line break (" \\\n\t") before each
// word that starts with '-'. Words are taken as they are (escape first).
std::string exec_line(const std::vector<std::string>& words);

// ---- autoupdate.cpp: `tug auto-update` ----

struct AutoUpdateOptions {
  bool dry_run = false;
  registry::Options registry;
  // The program that restarts units (`PROG --user restart UNIT`):
  // $TUG_SYSTEMCTL, else systemctl. Tests point it at a fake, there being
  // no systemd to ask.
  std::string systemctl = "systemctl";
};

struct AutoUpdateResult {
  std::string unit, container_id, container_name, image, policy;
  // podman's words: "false" (up to date), "pending" (--dry-run: newer
  // found), "true" (updated, unit restarted), "rolled back" (the new image
  // did not start; the old one runs again), "failed" (with error).
  std::string updated;
  std::string error;
};

// For each container labelled io.containers.autoupdate=registry whose unit
// is known (the PODMAN_SYSTEMD_UNIT label that units set): compares the
// registry's manifest digest for its image name with the local image's; if
// it differs, pulls it and restarts the unit. With =local, no registry:
// the unit is restarted when its image name names another image in the
// local store than the one the container runs. When the restart fails, the
// name is put back on the previous image and the unit restarted again.
// Units are handled one at a time, in the order of their names.
std::vector<AutoUpdateResult> auto_update(container::Store& containers, image::Store& images,
                                          const AutoUpdateOptions& opts);

// ---- quadlet.cpp: Quadlet-style units (podman-systemd.unit(5)) ----

// A unit file as systemd reads it: sections of Key=Value entries, with
// comments, continuation lines and repeated keys.
struct Entry {
  std::string key, value;
  int line = 0;
};
struct Section {
  std::string name;
  std::vector<Entry> entries;
};
// Throws Error(invalid) "FILE:LINE: ..." for lines that are not entries.
std::vector<Section> parse_unit_file(const std::string& path, const std::string& text);
// systemd's word splitting (quotes, backslash escapes) of Exec-like values.
std::vector<std::string> split_words(const std::string& value);

struct QuadletUnit {
  std::string name;                    // "web.service", "data-volume.service"
  std::string text;                    // the service unit
  std::vector<std::string> wanted_by;  // [Install] WantedBy= and RequiredBy= targets
};

// Turns NAME.container, NAME.volume, NAME.network or NAME.pod (the kind is
// the extension) into its service unit running tug (the absolute path
// given). Unknown keys, keys tug does not implement, a missing Image= and
// malformed values are Error(usage) naming the file and the line.
QuadletUnit quadlet_unit(const std::string& path, const std::string& text, const std::string& tug);

// Where the generator looks, first wins for a name: for a user,
// $XDG_CONFIG_HOME/containers/systemd (default ~/.config/...),
// /etc/containers/systemd/users/UID, /etc/containers/systemd/users; for the
// system, /etc/containers/systemd and /usr/share/containers/systemd.
// $QUADLET_UNIT_DIRS (colon-separated) replaces them all, as podman's does.
std::vector<std::string> quadlet_dirs(bool user);

}  // namespace tug::systemd
