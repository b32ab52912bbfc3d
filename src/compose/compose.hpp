#pragma once
// Compose files: finding them as docker compose does, merging -f files in
// order, ${VAR} interpolation from the environment and the project's .env,
// and the resolved model of a project (services, networks, volumes). Pure:
// nothing here creates containers; the cli's compose commands do that with
// the container, network and volume modules.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tug::compose {

struct ServiceNetwork {
  std::string name;  // the key in the file ("backend")
  std::vector<std::string> aliases;
  std::string ipv4_address;
};

struct Dependency {
  std::string service;
  std::string condition = "service_started";  // service_healthy, service_completed_successfully
};

struct Healthcheck {
  bool set = false, disable = false;
  std::vector<std::string> test;  // ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"]
  std::string interval, timeout, start_period;
  int retries = 0;
};

struct Build {
  bool set = false;
  std::string context;     // absolute
  std::string dockerfile;  // as written (relative to the context)
  std::string target;
  std::map<std::string, std::string> args;
};

struct Service {
  std::string name;
  std::string image;  // empty with build: <project>-<service>
  Build build;
  std::optional<std::vector<std::string>> command, entrypoint;
  std::vector<std::string> environment;  // K=V (K alone: from the host's environment)
  std::vector<std::string> env_files;    // absolute
  std::vector<std::string> ports;        // [IP:][HOST:]CTR[/PROTO]
  std::vector<std::string> expose;
  std::vector<std::string> volumes;  // -v form: SOURCE:TARGET[:ro], named ones by their key
  std::vector<std::string> tmpfs;
  bool networks_set = false;
  std::vector<ServiceNetwork> networks;
  std::vector<Dependency> depends_on;
  Healthcheck healthcheck;
  std::string restart, working_dir, user, hostname, container_name, stop_signal;
  std::optional<int> stop_grace_period;  // seconds
  std::map<std::string, std::string> labels;
  bool init = false, read_only = false;
  std::vector<std::string> cap_add, cap_drop, profiles, extra_hosts, dns;
  std::string cpus, memory;  // deploy.resources.limits
};

struct NetworkDef {
  std::string key;
  std::string name;  // the real one: <project>_<key>, or `name:`/the key when external
  bool external = false, internal = false;
  std::string driver = "bridge";
  std::string subnet;
  std::map<std::string, std::string> labels;
};

struct VolumeDef {
  std::string key;
  std::string name;
  bool external = false;
  std::map<std::string, std::string> labels;
};

struct Project {
  std::string name;
  std::string working_dir;                // absolute
  std::vector<std::string> config_files;  // absolute, in merge order
  std::vector<Service> services;          // sorted by name
  std::map<std::string, NetworkDef> networks;
  std::map<std::string, VolumeDef> volumes;

  const Service* find(const std::string& service) const;
  const Service& get(const std::string& service) const;  // Error(not_found)
  // The real name of a network key ("default" included).
  std::string network_name(const std::string& key) const;
};

struct LoadOptions {
  std::vector<std::string> files;  // -f, in order; empty: discovery from cwd
  std::string project_name;        // -p
  std::string cwd;
  // --project-directory: .env and relative paths; default: the first file's directory.
  std::string project_directory;
  std::map<std::string, std::string> environment;  // the process's
  std::vector<std::string> profiles;               // COMPOSE_PROFILES / --profile
};

// The files docker compose would use from dir: compose.yaml, compose.yml,
// docker-compose.yaml, docker-compose.yml in dir or its nearest parent that
// has one, plus the matching override file. Error(not_found) if none.
std::vector<std::string> discover(const std::string& dir);

// Lowercase, only [a-z0-9_-], starting with a letter or digit.
std::string normalize_project_name(const std::string& name);

// ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $VAR
// and $$. lookup returns nullopt for unset variables. Throws
// Error(invalid) for a missing required variable or bad syntax, prefixed
// with where.
std::string interpolate(const std::string& text,
                        const std::function<std::optional<std::string>(const std::string&)>& lookup,
                        const std::string& where);

// KEY=VALUE lines; '#' comments, optional quotes, `export ` prefix.
std::map<std::string, std::string> parse_env_file(const std::string& text);

// Reads, merges, interpolates and validates. Unknown keys are warned
// about; invalid ones fail as "FILE:LINE: KEY: what is wrong".
Project load(const LoadOptions& opts);

// The resolved model as YAML (`tug compose config`).
std::string to_yaml(const Project& p);
// sha256 of the service's resolved configuration: what decides whether `up`
// recreates its container.
std::string config_hash(const Service& s);

// Services in start order (dependencies first), restricted to `wanted` and
// what they depend on (all services when empty). Error(invalid) on a cycle
// or a dependency on an undefined service.
std::vector<std::string> start_order(const Project& p, const std::vector<std::string>& wanted);

// Shell-like word splitting of a command string (quotes and backslashes).
std::vector<std::string> split_words(const std::string& s);

}  // namespace tug::compose
