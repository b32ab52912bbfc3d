// tug images / tug image ls: list images with docker's columns.
#include <time.h>

#include <algorithm>
#include <map>
#include <set>

#include "build/cache.hpp"
#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "container/container.hpp"
#include "image/reference.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

// docker's CreatedAt: "2024-05-01 10:00:00 +0000 UTC".
std::string created_at(int64_t t) {
  return t < 0 ? "" : utc_time(t, "%Y-%m-%d %H:%M:%S +0000 UTC");
}

// "reg/repo:tag" -> {"reg/repo", "tag"}; digest-only names have no tag.
std::pair<std::string, std::string> split_name(const std::string& n) {
  std::string base = n.substr(0, n.find('@'));
  size_t slash = base.rfind('/'), colon = base.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return {base.substr(0, colon), base.substr(colon + 1)};
  return {base, "<none>"};
}

// One image as podman's `images --format json` prints it (its ImageSummary,
// with podman 4.3's RepoTags left null). History lists the names newest first.
ordered_json image_summary(const image::Image& img, int containers) {
  std::set<std::string> digests;
  if (!img.digest.empty())
    for (const auto& n : img.names) digests.insert(split_name(n).first + "@" + img.digest);
  json labels = img.runtime_config().value("Labels", json(nullptr));
  if (labels.is_object() && labels.empty()) labels = nullptr;
  int64_t created = parse_rfc3339(img.created);
  ordered_json j;
  j["Id"] = img.id;
  j["ParentId"] = "";
  j["RepoTags"] = nullptr;
  j["RepoDigests"] = digests.empty()
                         ? ordered_json(nullptr)
                         : ordered_json(std::vector<std::string>(digests.begin(), digests.end()));
  j["Size"] = img.size;
  j["SharedSize"] = 0;
  j["VirtualSize"] = img.size;
  j["Labels"] = labels;
  j["Containers"] = containers;
  j["Names"] = img.names.empty() ? ordered_json(nullptr) : ordered_json(img.names);
  j["Digest"] = img.digest;
  j["History"] = img.names.empty()
                     ? ordered_json(nullptr)
                     : ordered_json(std::vector<std::string>(img.names.rbegin(), img.names.rend()));
  j["Created"] = created < 0 ? 0 : created;
  j["CreatedAt"] = utc_time(created < 0 ? 0 : created, "%Y-%m-%dT%H:%M:%SZ");
  return j;
}

}  // namespace

void setup_images(CLI::App* c, Globals& g) {
  struct Flags {
    bool all = false, quiet = false, digests = false, no_trunc = false;
    std::string format;
    std::string sort = "created";
    std::vector<std::string> filters;
    std::string reference;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("-a,--all", f->all,
              "Show all images (default hides the build cache's intermediate images)");
  c->add_flag("-q,--quiet", f->quiet, "Only show image IDs");
  c->add_flag("--digests", f->digests, "Show digests");
  c->add_flag("--no-trunc,--notruncate", f->no_trunc, "Don't truncate output");
  add_noheading_flag(c, "-n,--noheading");
  c->add_option("--sort", f->sort, "Sort by created (the default), id, repository, size or tag");
  c->add_option("--format", f->format, "Format output: table, json, or a Go template");
  c->add_option("-f,--filter", f->filters,
                "Filter output (dangling=true|false, reference=NAME, label=KEY[=VALUE])")
      ->allow_extra_args(false);
  c->add_option("REPOSITORY", f->reference, "Show only images of this repository[:tag]");
  c->callback([f, &g] {
    std::optional<image::Reference> want;
    std::string want_local;  // a short name's localhost/ repository
    bool want_tag = false;
    std::optional<bool> dangling;
    auto set_reference = [&](const std::string& r) {
      want = image::parse_reference(r);
      want_local = want->short_name ? image::parse_local_reference(r).name() : "";
      std::string last = r.substr(r.rfind('/') == std::string::npos ? 0 : r.rfind('/'));
      want_tag = last.find(':') != std::string::npos;
    };
    static const std::vector<std::string> sort_keys = {"created", "id", "repository", "size",
                                                       "tag"};
    if (std::find(sort_keys.begin(), sort_keys.end(), f->sort) == sort_keys.end())
      throw Error(Errc::usage, quote(f->sort) + " is not a valid field for sorting. Choose from: " +
                                   join(sort_keys, ", "));
    if (!f->reference.empty()) set_reference(f->reference);
    // label=KEY and label=KEY=VALUE, against the image's Config.Labels; every
    // one must match (docker's and podman's rule).
    std::vector<std::pair<std::string, std::string>> labels;
    auto has_labels = [&](const image::Image& img) {
      const json& cfg = img.runtime_config();
      auto it = cfg.find("Labels");
      for (const auto& [key, value] : labels) {
        if (it == cfg.end() || !it->is_object() || !it->contains(key)) return false;
        const json& have = (*it)[key];
        if (!value.empty() && (!have.is_string() || have.get<std::string>() != value)) return false;
      }
      return true;
    };
    for (const auto& flt : f->filters) {
      bool found = false;
      auto [k, v] = split_once(flt, '=', &found);
      if (k == "dangling" && found)
        dangling = v == "true" || v == "1";
      else if (k == "reference" && found)
        set_reference(v);
      else if (k == "label" && found && !v.empty())
        labels.push_back(split_once(v, '='));
      else
        throw Error(Errc::usage, "unsupported filter " + quote(flt));
    }

    bool as_json = f->format == "json";
    std::map<std::string, int> containers;
    if (as_json)
      for (const auto& c : container::Store(g.paths(), g.mapping()).summaries())
        ++containers[c.image_id];
    ordered_json summaries = ordered_json::array();
    std::vector<json> rows;
    std::vector<std::string> ids;
    std::set<std::string> seen;
    // Untagged steps of earlier builds are the build cache, not images a
    // user made: shown with -a, as docker and podman do.
    std::set<std::string> intermediate;
    if (!f->all) intermediate = build::intermediate_images(g.paths());
    for (const auto& img : g.images().list()) {
      if (dangling && *dangling != img.names.empty()) continue;
      if (img.names.empty() && intermediate.count(img.id)) continue;
      if (!has_labels(img)) continue;
      std::vector<std::pair<std::string, std::string>> repo_tags;
      for (const auto& n : img.names) repo_tags.push_back(split_name(n));
      if (repo_tags.empty()) repo_tags.push_back({"<none>", "<none>"});
      int64_t created = parse_rfc3339(img.created);
      std::string id = f->no_trunc ? "sha256:" + img.id : img.id.substr(0, 12);
      bool listed = false;
      for (const auto& [repo, tag] : repo_tags) {
        if (want &&
            ((repo != want->name() && repo != want_local) || (want_tag && tag != want->tag)))
          continue;
        if (as_json && !listed) summaries.push_back(image_summary(img, containers[img.id]));
        listed = true;
        rows.push_back({{"Repository", repo},
                        {"Tag", tag},
                        {"Digest", img.digest.empty() ? "<none>" : img.digest},
                        {"ID", id},
                        {"CreatedSince", created < 0 ? "N/A" : human_ago(created)},
                        {"CreatedAt", created_at(created)},
                        {"Size", human_size(img.size)},
                        {"VirtualSize", human_size(img.size)},
                        {"SharedSize", "N/A"},
                        {"UniqueSize", "N/A"},
                        {"Containers", "N/A"},
                        {"size_bytes", img.size}});
        if (seen.insert(id).second) ids.push_back(id);
      }
    }
    // podman's orders; the store lists newest first, which is "created".
    auto key_less = [&](const json& a, const json& b) {
      if (f->sort == "size") return a["size_bytes"].get<int64_t>() < b["size_bytes"].get<int64_t>();
      std::string k = f->sort == "id" ? "ID" : f->sort == "tag" ? "Tag" : "Repository";
      return a[k].get<std::string>() < b[k].get<std::string>();
    };
    if (f->sort != "created") {
      std::stable_sort(rows.begin(), rows.end(), key_less);
      ids.clear();
      seen.clear();
      for (const auto& r : rows)
        if (seen.insert(r["ID"].get<std::string>()).second) ids.push_back(r["ID"]);
    }
    for (auto& r : rows) {
      r.erase("size_bytes");
    }
    if (f->quiet) {
      for (const auto& id : ids) out(id);
      return;
    }
    if (as_json) return out(summaries.dump(4));
    std::vector<Column> cols = {{"REPOSITORY", "Repository"}, {"TAG", "Tag"}};
    if (f->digests) cols.push_back({"DIGEST", "Digest"});
    cols.insert(cols.end(), {{"IMAGE ID", "ID"}, {"CREATED", "CreatedSince"}, {"SIZE", "Size"}});
    print_rows(rows, f->format, cols);
  });
}

void register_images(CLI::App& app, Globals& g) {
  setup_images(add_command(app, "images", "List images in local storage"), g);
}

}  // namespace tug::cli
