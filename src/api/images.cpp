// GET /images/json, GET /images/{name}/json.
#include <set>

#include "api/handlers.hpp"
#include "container/container.hpp"
#include "image/inspect.hpp"
#include "util/strings.hpp"

namespace tug::api {

std::string familiar_name(const std::string& name) {
  for (const char* prefix : {"docker.io/library/", "docker.io/"})
    if (name.rfind(prefix, 0) == 0) return name.substr(std::string(prefix).size());
  return name;
}

namespace {

// "reg/repo:tag" -> "reg/repo"; a digest-only name has no tag.
bool tagged(const std::string& n, std::string* repo) {
  std::string base = n.substr(0, n.find('@'));
  size_t slash = base.rfind('/'), colon = base.rfind(':');
  bool has = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  *repo = has ? base.substr(0, colon) : base;
  return has;
}

}  // namespace

Response image_list(Context& ctx, const Target& t) {
  bool want_dangling = false, dangling_only = false;
  std::vector<std::string> labels, refs;
  auto f = t.query.find("filters");
  if (f != t.query.end())
    for (const auto& [k, values] : parse_filters(f->second)) {
      for (const auto& v : values) {
        if (k == "dangling") {
          want_dangling = true;
          dangling_only = v == "true" || v == "1";
        } else if (k == "label") {
          labels.push_back(v);
        } else if (k == "reference") {
          refs.push_back(v);
        } else {
          throw ApiError(400, "Invalid filter '" + k + "'");
        }
      }
    }
  std::map<std::string, int> containers;
  for (const auto& c : container::Store(ctx.paths, ctx.mapping).summaries())
    ++containers[c.image_id];
  json out = json::array();
  for (const auto& img : ctx.images.list()) {
    json tags = json::array(), digests = json::array();
    std::set<std::string> repos;
    for (const auto& n : img.names) {
      std::string repo;
      if (tagged(n, &repo)) tags.push_back(familiar_name(n));
      if (!img.digest.empty() && repos.insert(repo).second)
        digests.push_back(familiar_name(repo) + "@" + img.digest);
    }
    if (want_dangling && dangling_only != tags.empty()) continue;
    const json& cfg = img.runtime_config();
    json lab = cfg.contains("Labels") && cfg["Labels"].is_object() ? cfg["Labels"] : json::object();
    bool ok = true;
    for (const auto& l : labels) {
      bool has_eq = false;
      auto [k, v] = split_once(l, '=', &has_eq);
      if (!lab.contains(k) || (has_eq && lab[k] != v)) ok = false;
    }
    if (!refs.empty()) {
      bool any = false;
      for (const auto& want : refs)
        for (const auto& tag : tags) {
          std::string s = tag.get<std::string>(), repo;
          tagged(s, &repo);
          if (s == want || repo == want) any = true;
        }
      ok = ok && any;
    }
    if (!ok) continue;
    int64_t created = parse_rfc3339(img.created);
    ordered_json j;
    j["Containers"] = containers.count(img.id) ? containers[img.id] : 0;
    j["Created"] = created < 0 ? 0 : created;
    j["Id"] = "sha256:" + img.id;
    j["Labels"] = lab.empty() ? json(nullptr) : lab;
    j["ParentId"] = "";
    j["RepoDigests"] = digests.empty() ? json(nullptr) : digests;  // docker: null, not []
    j["RepoTags"] = tags;
    j["SharedSize"] = -1;
    j["Size"] = img.size;
    j["VirtualSize"] = img.size;
    out.push_back(json(j));
  }
  return json_response(200, out);
}

Response image_inspect(Context& ctx, const Target&, const std::string& name) {
  auto img = ctx.images.find(name);
  if (!img) throw ApiError(404, "no such image: " + name + ": No such image: " + name);
  json j = image::inspect_json(ctx.images, *img);
  j["Id"] = "sha256:" + img->id;
  json tags = json::array();
  for (const auto& t : j.value("RepoTags", json::array()))
    tags.push_back(familiar_name(t.get<std::string>()));
  j["RepoTags"] = tags;
  return json_response(200, j);
}

}  // namespace tug::api
