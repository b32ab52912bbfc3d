#pragma once
// registries.conf (containers-registries.conf(5), version 2): short-name
// resolution and per-registry settings. Files, in podman's order:
// $CONTAINERS_REGISTRIES_CONF alone when set; else the user's
// $XDG_CONFIG_HOME/containers/registries.conf when it exists, otherwise
// /etc/containers/registries.conf; then the drop-ins of
// /etc/containers/registries.conf.d and the user's registries.conf.d, in
// name order. Later files override scalar settings and replace [[registry]]
// entries with the same prefix.
#include <map>
#include <string>
#include <vector>

#include "image/reference.hpp"

namespace tug::registry {

struct Mirror {
  std::string location;  // "mirror.example:5000/library"
  bool insecure = false;
};

struct RegistryEntry {
  std::string prefix;    // what references match ("example.com/ns", "*.example.com")
  std::string location;  // where they are fetched from (prefix rewritten)
  bool insecure = false;
  bool blocked = false;
  std::vector<Mirror> mirrors;
};

// One place a reference can be fetched from: a registry host and the
// repository there, after prefix rewriting and mirrors.
struct Endpoint {
  std::string registry;    // "127.0.0.1:5000"
  std::string repository;  // "library/busybox"
  bool insecure = false;   // plain HTTP / unverified TLS allowed
  bool mirror = false;
};

struct RegistriesConf {
  std::vector<std::string> unqualified_search;
  std::map<std::string, std::string> aliases;  // "busybox" -> "docker.io/library/busybox"
  std::vector<RegistryEntry> registries;
  std::vector<std::string> sources;  // files read, for error messages

  // Parses one file's TOML; Error(invalid) names origin and the TOML error.
  void merge(const std::string& toml_text, const std::string& origin);
  // Reads the files listed above (missing files are fine).
  static RegistriesConf load();

  // The [[registry]] entry with the longest prefix matching name
  // ("registry/repository"), or nullptr.
  const RegistryEntry* find(const std::string& name) const;

  // References to try for what the user typed, in order: a fully qualified
  // name is itself; a short name is its alias, else one candidate per
  // unqualified-search registry, else docker.io (docker's default).
  std::vector<image::Reference> candidates(const std::string& text) const;

  // Where to fetch ref from: mirrors first (pulls only), then the location.
  // Throws Error(permission) when the registry is blocked.
  std::vector<Endpoint> endpoints(const image::Reference& ref, bool for_pull) const;

  // registries.conf says plain HTTP / unverified TLS is fine for host.
  bool insecure(const std::string& registry_host) const;
};

}  // namespace tug::registry
