// tug ps: list containers with docker's columns.
#include <algorithm>
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
    std::vector<json> rows;
    for (const auto& r : store.list()) {
      container::State st = store.state(r.id);
      if (!f->all && st.status != "running") continue;
      std::string cmd = join(r.spec.args, " ");
      if (!f->no_trunc && cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
      rows.push_back(json{{"ID", f->no_trunc ? r.id : r.id.substr(0, 12)},
                          {"Image", r.image_name},
                          {"Command", f->no_trunc ? cmd : quote(cmd)},
                          {"CreatedAt", r.created},
                          {"RunningFor", human_ago(parse_rfc3339(r.created))},
                          {"Status", status_text(st)},
                          {"State", st.status},
                          {"Ports", ""},
                          {"Names", r.name},
                          {"Labels", r.labels},
                          {"ExitCode", st.exit_code},
                          {"Pid", st.pid}});
    }
    // Newest first, as docker lists them.
    std::sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
      return a["CreatedAt"].get<std::string>() > b["CreatedAt"].get<std::string>();
    });
    if (f->quiet) {
      for (const auto& r : rows) out(r["ID"].get<std::string>());
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
