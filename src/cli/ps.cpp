// tug ps: list containers with docker's columns.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <set>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "container/container.hpp"
#include "container/health.hpp"
#include "container/prune.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

std::string status_text(const container::State& st, const std::string& health) {
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

// docker's ps filters: values of one key are alternatives, keys must all
// match. Unknown keys are errors, as in docker.
using Filters = std::map<std::string, std::vector<std::string>>;

Filters parse_filters(const std::vector<std::string>& flags) {
  static const std::set<std::string> kKeys = {"id",       "name",   "label", "status", "exited",
                                              "ancestor", "before", "since", "health"};
  Filters f;
  for (const auto& flag : flags) {
    bool has_eq = false;
    auto [key, value] = split_once(flag, '=', &has_eq);
    if (!has_eq || !kKeys.count(key))
      throw Error(Errc::usage, "invalid filter " + quote(flag),
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
    f[key].push_back(value);
  }
  return f;
}

bool any_of_values(const Filters& f, const std::string& key,
                   const std::function<bool(const std::string&)>& pred) {
  auto it = f.find(key);
  if (it == f.end()) return true;
  return std::any_of(it->second.begin(), it->second.end(), pred);
}

bool matches(const Filters& f, const container::Summary& r, const container::State& st,
             const std::string& status, const std::string& health, const std::string& before,
             const std::string& since, image::Store& images) {
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
std::string created_of(container::Store& store, const Filters& f, const std::string& key) {
  auto it = f.find(key);
  if (it == f.end() || it->second.empty()) return "";
  return store.get(it->second.back()).created;
}

}  // namespace

void setup_ps(CLI::App* c, Globals& g) {
  struct Flags {
    bool all = false, quiet = false, no_trunc = false, size = false, latest = false;
    bool external = false;
    int last = -1;
    std::string format;
    std::vector<std::string> filters;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("-a,--all", f->all, "Show all containers (default shows just running)");
  c->add_flag("-q,--quiet", f->quiet, "Only display container IDs");
  c->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
  add_noheading_flag(c);
  c->add_option("--format", f->format, "Format output using a template or json");
  c->add_option("-f,--filter", f->filters, "Filter output based on conditions given")
      ->allow_extra_args(false);
  c->add_flag("-s,--size", f->size, "Display the total file sizes");
  c->add_option("-n,--last", f->last, "Show n last created containers (includes all states)");
  c->add_flag("-l,--latest", f->latest, "Show the latest created container (includes all states)");
  // podman's flag for the containers its builder (buildah) makes; tug's
  // are the RUN steps of `tug build`, listed in whatever state they are.
  c->add_flag("--external", f->external,
              "Also show the containers of builds (RUN steps), in any state");
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    Filters filters = parse_filters(f->filters);
    std::string before = created_of(store, filters, "before");
    std::string since = created_of(store, filters, "since");
    if (f->latest) f->last = 1;
    // A status filter, --last and --latest look beyond the running ones.
    bool all = f->all || filters.count("status") || filters.count("exited") || f->last >= 0;
    // Records are read with only the fields a listing shows (a thousand of
    // them must list in milliseconds); newest first, as docker lists them.
    std::vector<container::Summary> ctrs = store.summaries();
    std::sort(ctrs.begin(), ctrs.end(),
              [](const container::Summary& a, const container::Summary& b) {
                return a.created > b.created;
              });
    struct Shown {
      container::Summary r;
      container::State st;
      std::string health;  // of a running container with a check; else empty
    };
    std::vector<Shown> shown;
    for (auto& r : ctrs) {
      if (f->last >= 0 && shown.size() >= static_cast<size_t>(f->last)) break;
      if (r.build && !f->external) continue;
      container::State st = store.state(r.id);
      std::string status = st.status == "running" && st.paused ? "paused" : st.status;
      if (!all && !r.build && st.status != "running") continue;
      // Only a running container with a healthcheck has this file.
      std::string health;
      if (st.status == "running")
        if (auto h = container::read_health(store, r.id)) health = h->status;
      if (!matches(filters, r, st, status, health, before, since, g.images())) continue;
      shown.push_back({std::move(r), std::move(st), std::move(health)});
    }
    if (f->quiet) {
      for (const auto& [r, st, health] : shown) out(f->no_trunc ? r.id : r.id.substr(0, 12));
      return;
    }
    std::map<std::string, int64_t> sizes;
    if (f->size) {
      std::vector<container::Record> recs;
      for (const auto& [r, st, health] : shown) recs.push_back(store.get(r.id));
      sizes = container::writable_sizes(store, recs);
    }
    auto size_text = [&](const container::Summary& r) {
      int64_t virt = 0;
      if (auto img = g.images().find(r.image_id)) virt = img->size;
      return human_size(sizes[r.id]) + " (virtual " + human_size(virt + sizes[r.id]) + ")";
    };
    // The default table is built from strings: with a thousand containers,
    // a JSON row per container cost more than reading the records.
    const bool plain = f->format.find_first_not_of(" \t") == std::string::npos;
    std::vector<std::vector<std::string>> cells;
    if (plain && table_headings()) {
      cells.push_back({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"});
      if (f->size) cells.back().push_back("SIZE");
    }
    std::vector<json> rows;
    for (auto& [r, st, health] : shown) {
      std::string id = f->no_trunc ? r.id : r.id.substr(0, 12);
      std::string cmd = join(r.args, " ");
      if (!f->no_trunc && cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
      if (!f->no_trunc) cmd = quote(cmd);
      std::string ago = human_ago(parse_rfc3339(r.created));
      std::string ports = st.status == "running" ? join(st.ports, ", ") : "";
      if (plain) {
        cells.push_back({std::move(id), r.image_name, std::move(cmd), std::move(ago),
                         status_text(st, health), ports, r.name});
        if (f->size) cells.back().push_back(size_text(r));
        continue;
      }
      json row{
          {"ID", std::move(id)},
          {"Image", r.image_name},
          // podman's: the whole id in JSON, 12 digits in a template.
          {"ImageID", f->no_trunc || f->format == "json" ? r.image_id : r.image_id.substr(0, 12)},
          {"Command", std::move(cmd)},
          {"CreatedAt", r.created},
          {"RunningFor", std::move(ago)},
          {"Status", status_text(st, health)},
          {"State", st.status == "running" && st.paused ? "paused" : st.status},
          {"Ports", ports},
          {"Names", r.name},
          {"Labels", r.labels},
          {"ExitCode", st.exit_code},
          {"Pid", st.pid}};
      if (f->size) row["Size"] = size_text(r);
      // podman's JSON lists the names; a template's {{.Names}} is the text.
      if (f->format == "json") row["Names"] = json::array({r.name});
      rows.push_back(std::move(row));
    }
    if (plain) {
      std::string text = align_table(cells);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return;
    }
    std::vector<Column> columns = {{"CONTAINER ID", "ID"}, {"IMAGE", "Image"},
                                   {"COMMAND", "Command"}, {"CREATED", "RunningFor"},
                                   {"STATUS", "Status"},   {"PORTS", "Ports"},
                                   {"NAMES", "Names"}};
    if (f->size) columns.push_back({"SIZE", "Size"});
    print_rows(rows, f->format, columns);
  });
}

void register_ps(CLI::App& app, Globals& g) {
  CLI::App* c = add_command(app, "ps", "List containers");
  c->alias("list");
  setup_ps(c, g);
}

}  // namespace tug::cli
