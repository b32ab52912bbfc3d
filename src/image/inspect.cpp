// The JSON of `image inspect` (docker's shape with podman's extra keys),
// shared by the CLI and the Engine API (api/).
#include "image/inspect.hpp"

#include <set>

namespace tug::image {

json inspect_json(const Store& store, const Image& img) {
  json tags = json::array(), digests = json::array();
  std::set<std::string> repos;
  for (const auto& n : img.names) {
    std::string base = n.substr(0, n.find('@'));
    size_t slash = base.rfind('/'), colon = base.rfind(':');
    bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
    if (tagged) tags.push_back(n);
    std::string repo = tagged ? base.substr(0, colon) : base;
    if (!img.digest.empty() && repos.insert(repo).second)
      digests.push_back(repo + "@" + img.digest);
  }
  json layers = json::array();
  std::string lower;
  for (const auto& l : img.layers) {
    layers.push_back(l.diff_id);
    std::string dir = store.layer_dir(l.diff_id);
    lower = lower.empty() ? dir : dir + ":" + lower;
  }
  const json& cfg = img.runtime_config();
  json manifest = json::object();
  try {
    manifest = json::parse(store.manifest(img));
  } catch (const json::exception&) {
  }
  ordered_json j;
  j["Id"] = img.id;
  j["Digest"] = img.digest;
  j["RepoTags"] = tags;
  j["RepoDigests"] = digests;
  j["Parent"] = "";
  j["Comment"] = json_str(img.config, "comment");
  j["Created"] = img.created;
  // The string fields of the OCI config are there, empty, when the image
  // sets none (podman's and docker's shapes: {{.Config.WorkingDir}} is "").
  json config = cfg;
  for (const char* k : {"User", "WorkingDir", "StopSignal"})
    if (!config.contains(k)) config[k] = "";
  j["Config"] = config;
  j["Version"] = json_str(img.config, "docker_version");
  j["Author"] = json_str(img.config, "author");
  j["Architecture"] = json_str(img.config, "architecture");
  j["Os"] = json_str(img.config, "os");
  if (img.config.contains("variant")) j["Variant"] = img.config["variant"];
  j["Size"] = img.size;
  j["VirtualSize"] = img.size;
  j["GraphDriver"] = {{"Name", "overlay"}, {"Data", {{"LowerDir", lower}}}};
  j["RootFS"] = {{"Type", "layers"}, {"Layers", layers}};
  j["Labels"] = cfg.contains("Labels") ? cfg["Labels"] : json(nullptr);
  j["Annotations"] = manifest.value("annotations", json::object());
  j["ManifestType"] = json_str(manifest, "mediaType", "application/vnd.oci.image.manifest.v1+json");
  j["User"] = json_str(cfg, "User");
  j["History"] = img.config.value("history", json::array());
  j["NamesHistory"] = img.names;
  return json(j);
}

}  // namespace tug::image
