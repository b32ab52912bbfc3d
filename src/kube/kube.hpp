#pragma once
// Kubernetes YAML, as podman speaks it: `kube play` runs Pod, Deployment,
// PersistentVolumeClaim, ConfigMap and Secret objects of a multi-document
// file as tug pods, containers and volumes; `kube down` removes what a file
// made; `kube generate` describes containers and pods as a Pod (or a
// Deployment) and a Service. A translator only: parse() turns YAML into
// the model below, play() makes pods and containers through the same
// operations as `pod create` and `run` (container/, volume/); nothing here
// talks to a registry (the caller passes a pull function).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "image/store.hpp"

namespace tug::kube {

struct KeyRef {
  std::string name, key;  // configMapKeyRef / secretKeyRef
  bool optional = false;
};

struct EnvVar {
  std::string name, value;
  std::optional<KeyRef> config_map, secret;
};

struct EnvFrom {
  bool secret = false;  // secretRef, else configMapRef
  std::string name, prefix;
  bool optional = false;
};

struct Port {
  int container_port = 0, host_port = 0;
  std::string protocol = "TCP";
  std::string host_ip;
};

struct VolumeMount {
  std::string name, mount_path, sub_path;
  bool read_only = false;
};

struct Probe {
  std::vector<std::string> exec;  // exec.command
  std::string http_path, http_host, http_scheme;
  int http_port = 0;  // httpGet (0: none)
  std::string tcp_host;
  int tcp_port = 0;                                                       // tcpSocket (0: none)
  int initial_delay = 0, period = 0, timeout = 0, failure_threshold = 0;  // seconds, count
};

struct Container {
  std::string name, image, image_pull_policy;
  std::optional<std::vector<std::string>> command, args;
  std::string working_dir;
  std::vector<EnvVar> env;
  std::vector<EnvFrom> env_from;
  std::vector<Port> ports;
  std::vector<VolumeMount> volume_mounts;
  bool privileged = false, read_only_root = false, stdin_open = false, tty = false;
  std::optional<bool> allow_privilege_escalation;
  std::vector<std::string> cap_add, cap_drop;
  std::optional<int64_t> run_as_user, run_as_group;
  std::string memory, cpu;  // resources.limits, as written ("128Mi", "500m")
  std::optional<Probe> liveness;
};

struct Volume {
  enum class Kind { host_path, pvc, config_map, secret, empty_dir };
  std::string name;
  Kind kind = Kind::empty_dir;
  std::string path, type;  // hostPath
  std::string source;      // claimName, configMap name, secretName
  bool read_only = false, optional = false;
  std::map<std::string, std::string> items;  // key -> path (configMap/secret items)
  int default_mode = -1;
};

struct PodSpec {
  std::vector<Container> containers, init_containers;
  std::vector<Volume> volumes;
  std::string restart_policy;  // Always (default), OnFailure, Never
  std::string hostname;
  bool host_network = false;
  std::optional<int64_t> run_as_user, run_as_group;  // pod securityContext
  // terminationGracePeriodSeconds: the containers' stop timeout. Unset,
  // kube down and --replace stop at once, as podman's do.
  std::optional<int> grace_period;
};

// One document of the file.
struct Object {
  std::string kind;  // Pod, Deployment, PersistentVolumeClaim, ConfigMap, Secret, Service
  std::string name;
  int document = 0;  // 1-based, for messages
  std::map<std::string, std::string> labels, annotations;
  PodSpec pod;                                        // Pod, Deployment's template
  int replicas = 1;                                   // Deployment
  std::map<std::string, std::string> data;            // ConfigMap, Secret (decoded)
  std::map<std::string, std::string> volume_options;  // PVC annotations volume.podman.io/*
};

struct File {
  std::string source;  // the file name ("-" for stdin), for messages
  std::vector<Object> objects;
  std::vector<std::string> warnings;  // unknown or unsupported fields, by path
};

// Parses a multi-document file. Error(invalid) names the source, the
// document and the field for malformed YAML, a missing or wrong field and
// an unknown kind; unknown fields become warnings.
File parse(const std::string& text, const std::string& source);

// Kubernetes quantities: "128Mi", "1G", "500m" of memory -> bytes; of
// cpu ("500m", "2", "0.5") -> cpus. Error(invalid) when malformed.
int64_t memory_bytes(const std::string& q);
double cpu_count(const std::string& q);

// Deployments above this many replicas play with a warning.
inline constexpr int kReplicaWarn = 5;

struct PlayOptions {
  bool replace = false, start = true;
  std::string network;                  // --network for every pod
  std::vector<std::string> configmaps;  // --configmap files (ConfigMap documents)
  std::vector<std::string> publish;     // --publish: replace the hostPorts of every pod
  // --annotation KEY=VALUE: over every object's own annotations
  // (io.containers.autoupdate[/CONTAINER] labels the containers for
  // auto-update, as podman's).
  std::map<std::string, std::string> annotations;
  std::vector<std::string> labels;  // K=V on every container (a unit's PODMAN_SYSTEMD_UNIT)
  // Makes sure an image is in the store (pulls when missing, or always
  // with imagePullPolicy Always), as run would.
  std::function<void(const std::string& image, const std::string& policy)> pull;
  std::function<void(const std::string&)> warn;  // warnings as they arise
};

struct PlayedPod {
  std::string name, id;
  std::vector<std::string> containers;  // ids, in the file's order
};

struct PlayResult {
  std::vector<std::string> volumes;  // names of volumes created
  std::vector<PlayedPod> pods;
};

// Plays every object in order: volumes (claims, configMap/secret data) and
// pods with their containers. All or nothing: when an object fails, what
// this play made is removed and the error names the document.
PlayResult play(container::Store& store, image::Store& images, const File& file,
                const PlayOptions& opts);

// The pod names a Pod or Deployment object stands for.
std::vector<std::string> pod_names(const Object& o);

struct DownResult {
  std::vector<std::string> pods;     // ids of pods removed
  std::vector<std::string> volumes;  // names of volumes removed (force)
};

// Stops (SIGKILL after the pod's terminationGracePeriodSeconds, at once
// without one, as podman) and removes the pods of the file's objects (those
// that exist);
// with force, also the volumes its claims, configMaps and secrets made.
DownResult down(container::Store& store, image::Store& images, const File& file, bool force);

struct GenerateOptions {
  bool service = false;
  std::string type = "pod";  // pod | deployment
  int replicas = 1;
  std::string version;  // "tug 1.2.3", for the header comment
};

// YAML for the named containers (each in a pod of its own, NAME-pod, as
// podman does) or pods. Error(not_found) for a name that is neither, and
// Error(invalid) for an infra container or a mix of pods and containers.
std::string generate(container::Store& store, image::Store& images,
                     const std::vector<std::string>& names, const GenerateOptions& opts);

}  // namespace tug::kube
