#include "container/query.hpp"

#include <algorithm>
#include <ctime>
#include <functional>
#include <set>

#include "container/health.hpp"
#include "container/inspect.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::container {

namespace {

bool any_of_values(const Filters& f, const std::string& key,
                   const std::function<bool(const std::string&)>& pred) {
  auto it = f.find(key);
  if (it == f.end()) return true;
  return std::any_of(it->second.begin(), it->second.end(), pred);
}

bool matches(const Filters& f, const Summary& r, const State& st, const std::string& status,
             const std::string& health, const std::string& before, const std::string& since,
             image::Store& images) {
  return any_of_values(f, "health",
                       [&](const std::string& v) {
                         return v == (health.empty() ? std::string("none") : health);
                       }) &&
         any_of_values(f, "id", [&](const std::string& v) { return r.id.rfind(v, 0) == 0; }) &&
         any_of_values(f, "name",
                       [&](const std::string& v) { return r.name.find(v) != std::string::npos; }) &&
         any_of_values(f, "label",
                       [&](const std::string& v) {
                         bool has_eq = false;
                         auto [k, val] = split_once(v, '=', &has_eq);
                         auto it = r.labels.find(k);
                         return it != r.labels.end() && (!has_eq || it->second == val);
                       }) &&
         any_of_values(f, "status", [&](const std::string& v) { return v == status; }) &&
         any_of_values(f, "exited",
                       [&](const std::string& v) {
                         return st.status == "exited" && std::to_string(st.exit_code) == v;
                       }) &&
         any_of_values(f, "ancestor",
                       [&](const std::string& v) {
                         if (r.image_name == v || r.image_id.rfind(v, 0) == 0) return true;
                         auto img = images.find(v);
                         return img && img->id == r.image_id;
                       }) &&
         (before.empty() || r.created < before) && (since.empty() || r.created > since);
}

// The creation time of the container a before=/since= filter names.
std::string created_of(Store& store, const Filters& f, const std::string& key) {
  auto it = f.find(key);
  if (it == f.end() || it->second.empty()) return "";
  return store.get(it->second.back()).created;
}

}  // namespace

namespace {

void check_filter(const std::string& key, const std::string& value) {
  static const std::set<std::string> kKeys = {"id",       "name",   "label", "status", "exited",
                                              "ancestor", "before", "since", "health"};
  if (!kKeys.count(key))
    throw Error(Errc::usage, "invalid filter " + quote(key + "=" + value),
                "use id=, name=, label=KEY[=VALUE], status=, exited=, ancestor=, before=, "
                "since=, health=");
  if (key == "health" &&
      !std::set<std::string>{"starting", "healthy", "unhealthy", "none"}.count(value))
    throw Error(Errc::usage, "invalid filter 'health=" + value + "'",
                "health is one of starting, healthy, unhealthy, none");
  if (key == "status" && !std::set<std::string>{"created", "running", "paused", "exited",
                                                "restarting", "removing", "dead"}
                              .count(value))
    throw Error(Errc::usage, "invalid filter 'status=" + value + "'",
                "status is one of created, running, paused, exited, restarting, removing, dead");
}

}  // namespace

void check_filters(const Filters& f) {
  for (const auto& [key, values] : f) {
    if (values.empty()) check_filter(key, "");
    for (const auto& value : values) check_filter(key, value);
  }
}

Filters parse_filter_flags(const std::vector<std::string>& flags) {
  Filters f;
  for (const auto& flag : flags) {
    bool has_eq = false;
    auto [key, value] = split_once(flag, '=', &has_eq);
    if (!has_eq)
      throw Error(Errc::usage, "invalid filter " + quote(flag),
                  "use id=, name=, label=KEY[=VALUE], status=, exited=, ancestor=, before=, "
                  "since=, health=");
    check_filter(key, value);
    f[key].push_back(value);
  }
  return f;
}

std::string listed_state(const State& st) {
  return st.status == "running" && st.paused ? "paused" : st.status;
}

std::string status_text(const State& st, const std::string& health) {
  if (st.status == "running") {
    int64_t started = parse_rfc3339(st.started_at);
    return "Up " + human_duration(std::time(nullptr) - started) + (st.paused ? " (Paused)" : "") +
           (health.empty() ? "" : " (" + health + ")");
  }
  if (st.status == "exited")
    return "Exited (" + std::to_string(st.exit_code) + ") " +
           human_ago(parse_rfc3339(st.finished_at));
  return "Created";
}

std::vector<Listed> list(Store& store, image::Store& images, const ListOptions& o) {
  std::string before = created_of(store, o.filters, "before");
  std::string since = created_of(store, o.filters, "since");
  // A status filter and a limit look beyond the running ones.
  bool all = o.all || o.filters.count("status") || o.filters.count("exited") || o.last >= 0;
  std::vector<Summary> ctrs = store.summaries();
  std::sort(ctrs.begin(), ctrs.end(),
            [](const Summary& a, const Summary& b) { return a.created > b.created; });
  std::vector<Listed> shown;
  for (auto& r : ctrs) {
    if (o.last >= 0 && shown.size() >= static_cast<size_t>(o.last)) break;
    if (r.build && !o.external) continue;
    State st = store.state(r.id);
    if (!all && !r.build && st.status != "running") continue;
    // Only a running container with a healthcheck has this file.
    std::string health;
    if (st.status == "running")
      if (auto h = read_health(store, r.id)) health = h->status;
    if (!matches(o.filters, r, st, listed_state(st), health, before, since, images)) continue;
    shown.push_back({std::move(r), std::move(st), std::move(health)});
  }
  return shown;
}

json inspect_object(const Store& store, image::Store& images, const Record& r) {
  InspectContext ctx;
  ctx.container_dir = store.dir(r.id);
  std::vector<std::string> lowers;
  for (auto it = r.layers.rbegin(); it != r.layers.rend(); ++it)
    lowers.push_back(images.layer_dir(*it));
  ctx.lower_dirs = join(lowers, ":");
  if (auto img = images.find(r.image_id)) {
    ctx.image_config = img->runtime_config();
    ctx.image_digest = img->digest;
  }
  network::NetworkStore nets(store.paths());
  for (const auto& a : r.spec.networks)
    if (auto n = nets.find(a.network)) ctx.networks.push_back(*n);
  if (has_healthcheck(r.healthcheck)) {
    // docker shows a check that has not run yet as starting.
    auto h = read_health(store, r.id);
    ctx.health = h ? json(*h) : json(Health{});
  }
  return inspect_json(r, store.state(r.id), ctx);
}

json network_inspect_json(const network::Network& n, const Store& containers) {
  json members = json::object();
  for (const auto& [ip, id] : n.allocations) {
    auto r = containers.find(id);
    if (!r || r->id != id) continue;
    members[id] = {{"Name", r->name},
                   {"EndpointID", ""},
                   {"MacAddress", ""},
                   {"IPv4Address", ip + "/" + std::to_string(n.prefix)},
                   {"IPv6Address", ""}};
  }
  return {{"Name", n.name},
          {"Id", n.id},
          {"Created", n.created},
          {"Scope", "local"},
          {"Driver", n.driver},
          {"EnableIPv6", false},
          {"IPAM",
           {{"Driver", "default"},
            {"Options", json::object()},
            {"Config", json::array({{{"Subnet", n.subnet}, {"Gateway", n.gateway}}})}}},
          {"Internal", n.internal},
          {"Attachable", false},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", members},
          {"Options", n.options},
          {"Labels", n.labels},
          // podman's own keys, so its templates ({{range .Subnets}}) work too.
          {"Subnets", json::array({{{"Subnet", n.subnet}, {"Gateway", n.gateway}}})},
          {"IPv6Enabled", false},
          {"DNSEnabled", n.dns_enabled},
          {"NetworkInterface", n.interface}};
}

}  // namespace tug::container
