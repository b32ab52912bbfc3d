// The helpers every command shares (cli.hpp): Globals, add_command, out.
#include "cli/cli.hpp"

#include <cstdio>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cli {

const Paths& Globals::paths() {
  if (!paths_) paths_ = resolve_paths(root, runroot);
  return *paths_;
}

const userns::Mapping& Globals::mapping() {
  if (!mapping_) mapping_ = userns::default_mapping();
  return *mapping_;
}

image::Store& Globals::images() {
  if (!images_) images_ = std::make_unique<image::Store>(paths(), mapping());
  return *images_;
}

CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& desc) {
  CLI::App* c = app.add_subcommand(name, desc);
  c->fallthrough();
  if (desc.empty()) c->group("");  // internal commands stay out of --help
  return c;
}

void append_cidfile_ids(const std::vector<std::string>& cidfiles, bool ignore,
                        std::vector<std::string>& ids) {
  for (const auto& file : cidfiles) {
    auto text = read_file_if_exists(file);
    if (!text) {
      if (ignore) continue;
      throw Error(Errc::not_found, "reading container ID from " + file + ": no such file");
    }
    std::string id = trim(*text);
    if (id.empty()) throw Error(Errc::invalid, "container ID file " + file + " is empty");
    ids.push_back(id);
  }
}

void out(const std::string& text) {
  std::string s = text + "\n";
  std::fwrite(s.data(), 1, s.size(), stdout);
}

}  // namespace tug::cli
