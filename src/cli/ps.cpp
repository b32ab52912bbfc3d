// tug ps: list containers with docker's columns.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "container/container.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

std::string status_text(const container::State& st) {
  if (st.status == "running") {
    int64_t started = parse_rfc3339(st.started_at);
    return "Up " + human_duration(std::time(nullptr) - started);
  }
  if (st.status == "exited")
    return "Exited (" + std::to_string(st.exit_code) + ") " +
           human_ago(parse_rfc3339(st.finished_at));
  return "Created";
}

}  // namespace

void setup_ps(CLI::App* c, Globals& g) {
  struct Flags {
    bool all = false, quiet = false, no_trunc = false;
    std::string format;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("-a,--all", f->all, "Show all containers (default shows just running)");
  c->add_flag("-q,--quiet", f->quiet, "Only display container IDs");
  c->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
  c->add_option("--format", f->format, "Format output using a template or json");
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    std::vector<container::Summary> ctrs = store.summaries();
    // Newest first, as docker lists them.
    std::sort(ctrs.begin(), ctrs.end(),
              [](const container::Summary& a, const container::Summary& b) {
                return a.created > b.created;
              });
    // The default table is built from strings: with a thousand containers,
    // a JSON row per container cost more than reading the records.
    const bool plain = f->format.find_first_not_of(" \t") == std::string::npos;
    std::vector<std::vector<std::string>> cells;
    if (plain)
      cells.push_back({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"});
    std::vector<json> rows;
    for (auto& r : ctrs) {
      container::State st = store.state(r.id);
      if (!f->all && st.status != "running") continue;
      std::string id = f->no_trunc ? r.id : r.id.substr(0, 12);
      if (f->quiet) {
        out(id);
        continue;
      }
      std::string cmd = join(r.args, " ");
      if (!f->no_trunc && cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
      if (!f->no_trunc) cmd = quote(cmd);
      std::string ago = human_ago(parse_rfc3339(r.created));
      if (plain) {
        cells.push_back({std::move(id), std::move(r.image_name), std::move(cmd), std::move(ago),
                         status_text(st), "", std::move(r.name)});
        continue;
      }
      rows.push_back(json{{"ID", std::move(id)},
                          {"Image", std::move(r.image_name)},
                          {"Command", std::move(cmd)},
                          {"CreatedAt", r.created},
                          {"RunningFor", std::move(ago)},
                          {"Status", status_text(st)},
                          {"State", st.status},
                          {"Ports", ""},
                          {"Names", std::move(r.name)},
                          {"Labels", std::move(r.labels)},
                          {"ExitCode", st.exit_code},
                          {"Pid", st.pid}});
    }
    if (f->quiet) return;
    if (plain) {
      std::string text = align_table(cells);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return;
    }
    print_rows(rows, f->format,
               {{"CONTAINER ID", "ID"},
                {"IMAGE", "Image"},
                {"COMMAND", "Command"},
                {"CREATED", "RunningFor"},
                {"STATUS", "Status"},
                {"PORTS", "Ports"},
                {"NAMES", "Names"}});
  });
}

void register_ps(CLI::App& app, Globals& g) {
  CLI::App* c = add_command(app, "ps", "List containers");
  c->alias("list");
  setup_ps(c, g);
}

}  // namespace tug::cli
