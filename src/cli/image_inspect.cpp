// tug image inspect: podman-shaped JSON for images.
#include <set>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "util/error.hpp"

namespace tug::cli {

json image_inspect_json(const image::Store& store, const image::Image& img) {
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

void setup_image_inspect(CLI::App* c, Globals& g) {
  struct Flags {
    std::string format;
    std::vector<std::string> images;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-f,--format", f->format, "Format the output with a Go template");
  c->add_option("IMAGE", f->images, "Images to inspect")->required();
  c->callback([f, &g] {
    std::vector<json> objs;
    std::optional<Error> missing;
    for (const auto& name : f->images) {
      try {
        objs.push_back(image_inspect_json(g.images(), g.images().get(name)));
      } catch (const Error& e) {
        if (e.code() != Errc::not_found) throw;
        missing = e;
      }
    }
    print_inspect(objs, f->format, true);
    if (missing) throw *missing;
  });
}

}  // namespace tug::cli
