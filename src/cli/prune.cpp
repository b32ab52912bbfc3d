// tug container prune / tug image prune / tug system prune / tug system df.
#include "container/prune.hpp"

#include <cstdio>
#include <ctime>
#include <iostream>

#include "build/cache.hpp"
#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "util/strings.hpp"

namespace tug::cli {

bool confirm(const std::string& warning) {
  // docker asks even when stdin is not a terminal and takes end of input
  // as "no", so `yes | tug system prune` and `</dev/null` both behave.
  std::fputs((warning + "\nAre you sure you want to continue? [y/N] ").c_str(), stdout);
  std::fflush(stdout);
  std::string line;
  if (!std::getline(std::cin, line)) {
    std::fputs("\n", stdout);
    return false;
  }
  std::string a = trim(line);
  return a == "y" || a == "Y" || a == "yes" || a == "Yes" || a == "YES";
}

namespace {

void print_report(const container::PruneReport& r) {
  std::string text;
  if (!r.containers.empty()) {
    text += "Deleted Containers:\n";
    for (const auto& id : r.containers) text += id + "\n";
    text += "\n";
  }
  if (!r.untagged.empty() || !r.images.empty()) {
    text += "Deleted Images:\n";
    for (const auto& n : r.untagged) text += "untagged: " + n + "\n";
    for (const auto& id : r.images) text += "deleted: sha256:" + id + "\n";
    text += "\n";
  }
  if (!r.build_cache.empty()) {
    text += "Deleted build cache objects:\n";
    for (const auto& id : r.build_cache) text += id + "\n";
    text += "\n";
  }
  text += "Total reclaimed space: " + human_size(r.reclaimed) + "\n";
  std::fputs(text.c_str(), stdout);
}

// `system df -v`: docker's sections, each a table of its own.
void print_df_verbose(const container::Store& store, const container::DiskUsage& du) {
  std::vector<std::vector<std::string>> images = {{"REPOSITORY", "TAG", "IMAGE ID", "CREATED",
                                                   "SIZE", "SHARED SIZE", "UNIQUE SIZE",
                                                   "CONTAINERS"}};
  for (const auto& i : du.images) {
    // docker shows an image's first name only.
    std::string repo = "<none>", tag = "<none>";
    if (!i.image.names.empty()) {
      std::string n = i.image.names.front();
      n = n.substr(0, n.find('@'));
      size_t slash = n.rfind('/'), colon = n.rfind(':');
      if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        repo = n.substr(0, colon);
        tag = n.substr(colon + 1);
      } else {
        repo = n;
      }
    }
    int64_t created = parse_rfc3339(i.image.created);
    images.push_back({repo, tag, i.image.id.substr(0, 12), created < 0 ? "N/A" : human_ago(created),
                      human_size(i.size), human_size(i.shared), human_size(i.unique),
                      std::to_string(i.containers)});
  }
  std::vector<std::vector<std::string>> containers = {
      {"CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"}};
  for (const auto& c : du.containers) {
    const container::Record& r = c.record;
    std::string cmd = join(r.spec.args, " ");
    if (cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
    container::State st = store.state(r.id);
    std::string status = "Created";
    if (st.status == "running")
      status = "Up " + human_duration(std::time(nullptr) - parse_rfc3339(st.started_at));
    else if (st.status == "exited")
      status = "Exited (" + std::to_string(st.exit_code) + ") " +
               human_ago(parse_rfc3339(st.finished_at));
    containers.push_back({r.id.substr(0, 12), r.image_name, quote(cmd), std::to_string(c.volumes),
                          human_size(c.size), human_ago(parse_rfc3339(r.created)), status, r.name});
  }
  std::vector<std::vector<std::string>> volumes = {{"VOLUME NAME", "LINKS", "SIZE"}};
  for (const auto& v : du.volumes)
    volumes.push_back({v.name, std::to_string(v.links), human_size(v.size)});
  std::vector<std::vector<std::string>> cache = {
      {"CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"}};
  for (const auto& c : du.cache) {
    int64_t created = parse_rfc3339(c.image.created);
    std::string ago = created < 0 ? "N/A" : human_ago(created);
    cache.push_back({c.image.id.substr(0, 12), "regular", human_size(c.size), ago, ago,
                     c.in_use ? "1" : "0", c.shared ? "true" : "false"});
  }
  std::string text =
      "Images space usage:\n\n" + align_table(images) + "\nContainers space usage:\n\n" +
      align_table(containers) + "\nLocal Volumes space usage:\n\n" + align_table(volumes) +
      "\nBuild cache usage: " + human_size(du.rows.back().size) + "\n\n" + align_table(cache);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

void setup_image_prune(CLI::App* c, Globals& g) {
  struct Flags {
    bool force = false, all = false;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("-f,--force", f->force, "Do not prompt for confirmation");
  c->add_flag("-a,--all", f->all, "Remove all unused images, not just dangling ones");
  c->callback([f, &g] {
    std::string warning = f->all ? "WARNING! This will remove all images without at least one "
                                   "container associated to them."
                                 : "WARNING! This will remove all dangling images.";
    if (!f->force && !confirm(warning)) return;
    container::Store store(g.paths(), g.mapping());
    container::PruneReport r;
    build::prune_images(store, g.images(), f->all, r);
    print_report(r);
  });
}

void setup_builder_prune(CLI::App* c, Globals& g) {
  struct Flags {
    bool force = false, all = false;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("-f,--force", f->force, "Do not prompt for confirmation");
  c->add_flag("-a,--all", f->all, "Remove all build cache, not just what no image is built on");
  c->callback([f, &g] {
    std::string warning = f->all ? "WARNING! This will remove all build cache."
                                 : "WARNING! This will remove all dangling build cache.";
    if (!f->force && !confirm(warning)) return;
    container::Store store(g.paths(), g.mapping());
    container::PruneReport r;
    build::prune_cache(store, g.images(), f->all, r);
    print_report(r);
  });
}

void register_builder(CLI::App& app, Globals& g) {
  CLI::App* b = add_command(app, "builder", "Manage builds");
  b->require_subcommand(1);
  register_build(*b, g);
  setup_builder_prune(add_command(*b, "prune", "Remove build cache"), g);
}

void setup_container_prune(CLI::App* c, Globals& g) {
  auto force = std::make_shared<bool>(false);
  c->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  c->callback([force, &g] {
    if (!*force && !confirm("WARNING! This will remove all stopped containers.")) return;
    container::Store store(g.paths(), g.mapping());
    container::PruneReport r;
    container::prune_containers(store, r);
    print_report(r);
  });
}

void register_system(CLI::App& app, Globals& g) {
  CLI::App* sys = add_command(app, "system", "Manage tug");
  sys->require_subcommand(1);

  struct DfFlags {
    std::string format;
    bool verbose = false;
  };
  auto df_flags = std::make_shared<DfFlags>();
  setup_system_check(
      add_command(*sys, "check", "Check the host and the store; --repair fixes the store"), g);
  setup_system_service(add_command(*sys, "service", "Serve the Docker Engine API (DOCKER_HOST)"),
                       g);
  CLI::App* df = add_command(*sys, "df", "Show tug disk usage");
  df->add_option("--format", df_flags->format, "Format output using a template or json");
  df->add_flag("-v,--verbose", df_flags->verbose,
               "Show each image, container and volume (docker's three sections)");
  df->callback([df_flags, &g] {
    container::Store store(g.paths(), g.mapping());
    container::DiskUsage du = container::store_usage(
        store, g.images(), build::intermediate_images(g.paths()), build::cache_dir(g.paths()));
    if (df_flags->verbose) return print_df_verbose(store, du);
    std::vector<json> rows;
    for (const auto& row : du.rows) {
      std::string recl = human_size(row.reclaimable);
      // docker shows the share of the size that could go, except for the cache.
      if (row.type != "Build Cache")
        recl += " (" + std::to_string(row.size > 0 ? row.reclaimable * 100 / row.size : 0) + "%)";
      rows.push_back(json{{"Type", row.type},
                          {"TotalCount", row.total},
                          {"Total", row.total},  // podman's name of docker's TotalCount
                          {"Active", row.active},
                          {"Size", human_size(row.size)},
                          {"Reclaimable", recl}});
    }
    print_rows(rows, df_flags->format,
               {{"TYPE", "Type"},
                {"TOTAL", "TotalCount"},
                {"ACTIVE", "Active"},
                {"SIZE", "Size"},
                {"RECLAIMABLE", "Reclaimable"}});
  });

  struct PruneFlags {
    bool force = false, all = false, volumes = false;
  };
  auto pf = std::make_shared<PruneFlags>();
  CLI::App* prune = add_command(*sys, "prune", "Remove unused data");
  prune->add_flag("-f,--force", pf->force, "Do not prompt for confirmation");
  prune->add_flag("-a,--all", pf->all, "Remove all unused images, not just dangling ones");
  prune->callback([pf, &g] {
    std::string warning =
        std::string("WARNING! This will remove:\n") + "  - all stopped containers\n" +
        (pf->all ? "  - all images without at least one container associated to them\n"
                 : "  - all dangling images\n") +
        (pf->all ? "  - all build cache\n" : "  - unused build cache\n");
    if (!pf->force && !confirm(warning)) return;
    container::Store store(g.paths(), g.mapping());
    container::PruneReport r;
    container::prune_containers(store, r);
    build::prune_images(store, g.images(), pf->all, r);
    build::prune_cache(store, g.images(), pf->all, r);
    print_report(r);
  });
}

}  // namespace tug::cli
