// GET /containers/json, GET /containers/{id}/json.
#include <algorithm>
#include <cstdlib>

#include "api/handlers.hpp"
#include "container/query.hpp"
#include "network/ports.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::api {

namespace {

int query_int(const Target& t, const std::string& key, int def) {
  auto it = t.query.find(key);
  if (it == t.query.end() || it->second.empty()) return def;
  const std::string& v = it->second;
  if (v.find_first_not_of("-0123456789") != std::string::npos || v.size() > 9)
    throw ApiError(400, "invalid value for " + key + ": " + quote(v));
  return std::atoi(v.c_str());
}

// docker's ContainerSummary (API v1.41) for one listed container.
json summary_json(const container::Listed& l) {
  const auto& r = l.r;
  json ports = json::array();
  if (l.st.status == "running")
    for (const auto& d : l.st.ports)
      if (auto p = network::parse_described(d))
        ports.push_back({{"IP", p->host_ip.empty() ? "0.0.0.0" : p->host_ip},
                         {"PrivatePort", p->container_port},
                         {"PublicPort", p->host_port},
                         {"Type", p->protocol}});
  ordered_json j;
  j["Id"] = r.id;
  j["Names"] = json::array({"/" + r.name});
  // docker shows the name as given; tug records it qualified.
  std::string image = familiar_name(r.image_name);
  if (image.size() > 7 && image.compare(image.size() - 7, 7, ":latest") == 0)
    image.resize(image.size() - 7);
  j["Image"] = image;
  j["ImageID"] = "sha256:" + r.image_id;
  j["Command"] = join(r.args, " ");
  int64_t created = parse_rfc3339(r.created);
  j["Created"] = created < 0 ? 0 : created;
  j["Ports"] = ports;
  j["Labels"] = r.labels;
  j["State"] = container::listed_state(l.st);
  j["Status"] = container::status_text(l.st, l.health);
  j["HostConfig"] = {{"NetworkMode", "default"}};
  j["NetworkSettings"] = {{"Networks", json::object()}};
  j["Mounts"] = json::array();
  return json(j);
}

}  // namespace

Response container_list(Context& ctx, const Target& t) {
  container::ListOptions o;
  o.all = query_bool(t, "all");
  int limit = query_int(t, "limit", -1);
  o.last = limit > 0 ? limit : -1;
  auto f = t.query.find("filters");
  if (f != t.query.end()) o.filters = parse_filters(f->second);
  try {
    container::check_filters(o.filters);
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
  container::Store store(ctx.paths, ctx.mapping);
  json out = json::array();
  for (const auto& l : container::list(store, ctx.images, o)) out.push_back(summary_json(l));
  return json_response(200, out);
}

Response container_inspect(Context& ctx, const Target&, const std::string& id) {
  container::Store store(ctx.paths, ctx.mapping);
  auto r = store.find(id);
  if (!r) throw ApiError(404, "No such container: " + id);
  json j = container::inspect_object(store, ctx.images, *r);
  // docker names the image by its digest here.
  if (j.contains("Image") && j["Image"].is_string()) {
    std::string img = j["Image"].get<std::string>();
    if (!img.empty() && img.rfind("sha256:", 0) != 0) j["Image"] = "sha256:" + img;
  }
  return json_response(200, j);
}

}  // namespace tug::api
