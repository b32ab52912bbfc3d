// tug history: the history of an image, newest first, as docker shows it.
#include <time.h>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

void setup_history(CLI::App* c, Globals& g) {
  struct Flags {
    bool no_trunc = false, quiet = false, human = true;
    std::string format, image;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
  c->add_flag("-q,--quiet", f->quiet, "Only show image IDs");
  c->add_flag("-H,--human,!--no-human", f->human, "Print sizes and dates in human readable format");
  c->add_option("--format", f->format, "Format output: table, json, or a Go template");
  c->add_option("IMAGE", f->image, "Image")->required();
  c->callback([f, &g] {
    image::Image img = g.images().get(f->image);
    json history = img.config.value("history", json::array());
    if (!history.is_array() || history.empty()) {
      // Images without history still show one line per layer.
      history = json::array();
      for (size_t i = 0; i < img.layers.size(); ++i) history.push_back(json::object());
    }
    // Entries that add a layer consume img.layers bottom up.
    std::vector<json> rows;
    // podman's --format json: its ImageHistory objects on one line, the
    // whole CreatedBy, sizes in bytes, "Created" to the second.
    ordered_json objects = ordered_json::array();
    size_t layer = 0;
    for (const auto& h : history) {
      bool empty = h.value("empty_layer", false);
      int64_t size = 0;
      if (!empty && layer < img.layers.size()) size = img.layers[layer++].size;
      int64_t created = parse_rfc3339(json_str(h, "created"));
      std::string by = json_str(h, "created_by");
      ordered_json o;
      o["id"] = "<missing>";
      o["created"] = json_str(h, "created").empty() ? ordered_json(nullptr)
                                                    : ordered_json(json_str(h, "created"));
      o["CreatedBy"] = by;
      o["size"] = size;
      if (!json_str(h, "comment").empty()) o["comment"] = json_str(h, "comment");
      o["Created"] = created < 0 ? ordered_json(nullptr)
                                 : ordered_json(utc_time(created, "%Y-%m-%dT%H:%M:%SZ"));
      objects.push_back(std::move(o));
      if (!f->no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
      rows.push_back({{"ID", "<missing>"},
                      {"CreatedSince", created < 0 ? "N/A"
                                       : f->human  ? human_ago(created)
                                                   : json_str(h, "created")},
                      {"CreatedAt", json_str(h, "created")},
                      {"CreatedBy", by},
                      {"Size", f->human ? human_size(size) : std::to_string(size)},
                      {"Comment", json_str(h, "comment")},
                      {"Tags", json_str(h, "author")}});
    }
    std::reverse(rows.begin(), rows.end());
    if (f->format == "json") {
      std::reverse(objects.begin(), objects.end());
      // "tags" (a layer's own names in podman's store) is left out, as podman
      // leaves it out when empty: tug's layers have no names.
      if (!objects.empty()) objects.front()["id"] = img.id;
      return out(objects.dump());
    }
    if (!rows.empty()) rows.front()["ID"] = f->no_trunc ? "sha256:" + img.id : img.id.substr(0, 12);
    if (f->quiet) {
      for (const auto& r : rows) out(r["ID"].get<std::string>());
      return;
    }
    print_rows(rows, f->format,
               {{"IMAGE", "ID"},
                {"CREATED", "CreatedSince"},
                {"CREATED BY", "CreatedBy"},
                {"SIZE", "Size"},
                {"COMMENT", "Comment"}});
  });
}

void register_history(CLI::App& app, Globals& g) {
  setup_history(add_command(app, "history", "Show history of a specified image"), g);
}

}  // namespace tug::cli
