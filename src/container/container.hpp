#pragma once
// Container records, on the layout of config/paths.hpp:
//   containers/<id>/config.json   what to run (Record), written once at create
//   containers/<id>/state.json    what happened (State), replaced atomically;
//                                 absent until the first start ("created")
//   containers/<id>/{upper,work,merged}  overlay dirs (none for --rootfs)
//   names/<name> -> <id>          name claims: symlink(2) is atomic, so two
//                                 concurrent `run --name x` cannot both win
// Mutations of one container take containers/<id>/lock; a create holds it
// from before its name claim until config.json is written, so a claim or a
// directory without config.json whose lock is free was left by a killed CLI.
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/paths.hpp"
#include "runtime/spec.hpp"
#include "userns/userns.hpp"
#include "util/fd.hpp"

namespace tug::container {

struct Record {
  std::string id;  // 64 hex digits
  std::string name;
  std::string image_id;             // 64 hex digits
  std::string image_name;           // as the user typed it, for ps
  std::string created;              // RFC 3339
  std::string driver;               // storage driver the rootfs was made for
  std::vector<std::string> layers;  // image layer diff ids, bottom first
  // Rootfs not made of store layers: a squashfs image file mounted under a
  // tmpfs overlay (run squashfs:PATH, or a squashfs-backed image), or a
  // directory used in place (run --rootfs DIR, as podman). Absolute paths.
  std::string squashfs;
  std::string rootfs_dir;
  runtime::Spec spec;
  std::map<std::string, std::string> labels;
  bool auto_remove = false;  // --rm
  // Pods (container/pod.hpp): the pod a container belongs to (its id), and
  // whether it is that pod's infra container, which holds the namespaces.
  std::string pod;
  bool infra = false;
  // Limits this host could not apply when the container was created, with
  // the reason (inspect shows them; run warned about them).
  std::vector<std::string> limits_not_applied;
  // The command line that created it (podman's CreateCommand): `generate
  // systemd --new` turns it into a unit's `tug run`.
  std::vector<std::string> create_command;
  // Another file the monitor's pid is written to at each start, besides
  // containers/<id>/monitor.pid (podman's ConmonPidFile; a pod unit made
  // by `generate systemd --new` names one in %t as its PIDFile=).
  std::string conmon_pidfile;
  // docker's Config.Healthcheck (container/health.hpp); null: none.
  json healthcheck;
  // The leading part of spec.args that is the entrypoint (docker's
  // Config.Entrypoint, the rest being Cmd). Unset in records older than it.
  std::optional<std::vector<std::string>> entrypoint;
  // A RUN step's container of `tug build`: the building process, by pid and
  // start time. Listings show such containers only with `ps --external`
  // (podman's flag for the builder's containers); once that process is gone
  // the container is stale (stale_build_containers() in prune.hpp).
  struct BuildOwner {
    pid_t pid = 0;
    uint64_t start_time = 0;
  };
  std::optional<BuildOwner> build;
};

// r's argv as docker shows it apart: {Entrypoint, Cmd}. A record that does
// not know its entrypoint takes image_entrypoint when the argv starts with
// it (what create() did), else shows the whole argv as Cmd.
std::pair<std::vector<std::string>, std::vector<std::string>> entrypoint_and_cmd(
    const Record& r, const std::vector<std::string>& image_entrypoint);

struct State {
  std::string status = "created";  // created | running | exited
  pid_t pid = 0;
  uint64_t pid_start_time = 0;  // to tell our process from a reused pid
  pid_t monitor_pid = 0;        // tug-monitor owning the running container
  uint64_t monitor_start_time = 0;
  std::string cgroup;   // the container's own cgroup (absolute), if it has one
  bool paused = false;  // frozen by `tug pause`
  int exit_code = 0;
  int restart_count = 0;
  std::string started_at;
  std::string finished_at;
  // Published ports of the running container as network::describe() puts
  // them ("0.0.0.0:8080->80/tcp"): free host ports are chosen at each start.
  std::vector<std::string> ports;
};

// What a listing shows of a record (ps): read without the rest of it.
struct Summary {
  std::string id, name, image_name, image_id, created;
  std::string pod;                // the pod's id, if any
  bool build = false;             // a build's RUN container (Record::build)
  std::vector<std::string> args;  // the command
  std::map<std::string, std::string> labels;
};

void to_json(json& j, const Record& r);
void from_json(const json& j, Record& r);
void to_json(json& j, const State& s);
void from_json(const json& j, State& s);

// systemd's journal: the journald log driver writes there (native protocol).
inline constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

// Where a container's log file is: its --log-opt path, else
// containers/<id>/ctr.log. Rotated files (max-size with max-file > 1) sit
// beside it as PATH.1 (the newest) .. PATH.N-1.
std::string log_path(const std::string& container_dir, const Record& r);

// Ids of images that some container (in any state) was created from.
std::set<std::string> image_ids_in_use(const Paths& paths);

// A docker-style random name ("quirky_hopper").
std::string random_name();
// Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*
bool valid_name(const std::string& name);

class Store {
 public:
  Store(const Paths& paths, const userns::Mapping& mapping);

  // Claims the name (or a random one), creates the directory and the record.
  // Throws Error(exists) when the name is taken. complete(r), when given,
  // runs once the id and the directory exist and before the record is
  // written, so what it adds (the network addresses) is part of the record
  // from its first visible moment; if it throws, nothing is left.
  Record create(Record r, const std::function<void(Record&)>& complete = {});
  // Rewrites the record of an existing container (its spec changed: an
  // address handed out, a network connected), under its lock.
  void save_record(const Record& r);
  // Re-reads the record under its lock, lets fn change it and writes it
  // back, so a concurrent rename or update is not lost. Error(not_found)
  // if it is gone. Returns the record written.
  Record modify(const std::string& id, const std::function<void(Record&)>& fn);

  // By full id, unique id prefix, or name. nullopt if none.
  std::optional<Record> find(const std::string& name_or_id) const;
  // As find(); throws Error(not_found) "no container with name or ID "x" found".
  Record get(const std::string& name_or_id) const;
  std::vector<Record> list() const;
  // As list(), reading only what ps shows: a thousand records in milliseconds.
  std::vector<Summary> summaries() const;

  // The recorded state, reconciled with reality: a "running" container whose
  // process is gone (or whose pid now names another process) is reported as
  // exited with code -1 (unknown), and that is written back.
  State state(const std::string& id) const;
  // As state(), for a caller that holds the container's lock already.
  State state_locked(const std::string& id);
  // durable=false for --rm containers (see atomic_write).
  void save_state(const std::string& id, const State& s, bool durable = true);

  // Removes the record, its files (inside the user namespace: the upper dir
  // holds files of subordinate uids) and its name claim, under the
  // container's lock. Error(not_found) if it is gone already.
  void remove(const Record& r);
  // As remove(), for a caller that holds the container's lock.
  void remove_locked(const Record& r);

  // Gives a container a new name: claims new_name first (so a concurrent
  // create or rename cannot take it), then rewrites config.json, then drops
  // the old claim. Error(exists) when the name is in use, Error(usage) when
  // it is malformed or unchanged. Returns the updated record.
  Record rename(const Record& r, const std::string& new_name);

  // For `tug system check --repair`: removes the directory of a container
  // whose record is missing or does not parse, unless a live process holds
  // its lock (a create or rm at work). True when it is gone.
  bool remove_damaged(const std::string& id) const;

  std::string dir(const std::string& id) const;
  const Paths& paths() const { return paths_; }
  const userns::Mapping& mapping() const { return mapping_; }

 private:
  // Makes Paths::reserve() when it is missing (best effort).
  void ensure_reserve() const;
  void remove_container_dir(const std::string& dir) const;
  void remove_if_abandoned(const std::string& id) const;
  State read_state(const std::string& id) const;
  // The id names/<name> points at, if any.
  std::optional<std::string> read_claim(const std::string& name) const;
  // True for a directory left by a killed create or remove (no config.json
  // and its lock free), or one that is gone.
  bool abandoned(const std::string& id) const;
  // Removes names/<name> if it belongs to an abandoned container; true if
  // the name may be claimed again.
  bool release_stale_claim(const std::string& name) const;

  // The containers directory, opened once for listings (-1 if absent).
  int containers_fd() const;

  Paths paths_;
  userns::Mapping mapping_;
  mutable std::shared_ptr<UniqueFd> containers_fd_;
};

}  // namespace tug::container
