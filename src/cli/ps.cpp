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
#include "container/query.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

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
    container::ListOptions opts;
    opts.all = f->all;
    opts.last = f->latest ? 1 : f->last;
    opts.external = f->external;
    opts.filters = container::parse_filter_flags(f->filters);
    std::vector<container::Listed> shown = container::list(store, g.images(), opts);
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
                         container::status_text(st, health), ports, r.name});
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
          {"Status", container::status_text(st, health)},
          {"State", container::listed_state(st)},
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
