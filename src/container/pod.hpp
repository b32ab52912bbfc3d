#pragma once
// Pods: containers that share network, uts and ipc namespaces, as k8s and
// podman have them. A pod is a record (pods/<id>/pod.json) and an infra
// container (`<short id>-infra`) running tug-init --pause from a tiny local
// image (localhost/tug-pause), which owns the namespaces and the pod's
// published ports; members join them (container:INFRA plus its uts and
// ipc). Starting a member starts the infra first.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "container/lifecycle.hpp"
#include "image/store.hpp"

namespace tug::container {

struct Pod {
  std::string id;  // 64 hex digits
  std::string name;
  std::string created;  // RFC 3339
  std::string infra_id;
  std::string hostname;
  std::map<std::string, std::string> labels;
  // continue (default): the pod runs on when its containers exit; stop:
  // the infra stops once the last other member has exited (podman's
  // --exit-policy, which units made by `generate systemd --new` set).
  std::string exit_policy = "continue";
  // The command line that made the pod (podman's CreateCommand): `generate
  // systemd --new` turns it into the unit's `tug pod create`.
  std::vector<std::string> create_command;
};

void to_json(json& j, const Pod& p);
void from_json(const json& j, Pod& p);

struct PodOptions {
  std::string name;                  // empty: a random name
  std::string hostname;              // empty: the pod's name
  std::string network;               // as run's --network (not container:/pod)
  std::vector<std::string> publish;  // -p, published by the infra container
  std::vector<std::string> add_hosts, dns, labels;
  std::vector<std::string> label_files;  // --label-file: read first, --label overrides
  bool replace = false;
  std::string exit_policy;                  // continue (""), stop
  std::string pod_id_file;                  // --pod-id-file: the id is written there
  std::string infra_conmon_pidfile;         // the infra's monitor pid goes there too
  std::vector<std::string> create_command;  // the CLI's argv, kept in the record
};

class PodStore {
 public:
  PodStore(Store& containers, image::Store& images);

  // Creates the pod and its infra container (not started). Error(exists)
  // when the name is taken by a pod.
  Pod create(const PodOptions& opts);
  // By full id, unique id prefix or name.
  std::optional<Pod> find(const std::string& name_or_id) const;
  // As find(); Error(not_found) "no pod with name or ID ... found".
  Pod get(const std::string& name_or_id) const;
  std::vector<Pod> list() const;
  // The pod's containers (the infra container first).
  std::vector<Record> members(const Pod& p) const;

  // Starts the infra container, then every other member; stops and
  // removes the other way round. remove: a pod with running containers
  // needs force; every member goes with the pod.
  void start(const Pod& p);
  void stop(const Pod& p, int timeout = -1);
  void remove(const Pod& p, bool force);

  // Status as podman shows it: Created, Running, Degraded (some running),
  // Exited.
  std::string status(const Pod& p) const;

  // Called (through the member's monitor) when a member other than the
  // infra has exited for good: with exit policy stop and no other member
  // running, the infra is stopped, so the pod (and a unit following the
  // infra's monitor) ends with its last container.
  void member_exited(const Pod& p);

 private:
  std::string dir(const std::string& id) const;
  Store& containers_;
  image::Store& images_;
};

// The image every infra container runs: built from libexec's tug-init the
// first time a pod is created ("localhost/tug-pause:<tug version>").
std::string ensure_pause_image(image::Store& images);

// A pod by full id, unique id prefix or name (what create's --pod resolves).
std::optional<Pod> find_pod(const Paths& paths, const std::string& name_or_id);

// The pod id written in a --pod-id-file. Error(not_found) when the file
// does not exist, Error(invalid) when it is empty.
std::string read_pod_id_file(const std::string& path);

}  // namespace tug::container
