#pragma once
// Shared pieces of the command layer. Each subcommand lives in its own file
// and only parses flags and calls into the modules below cli/.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "config/paths.hpp"
#include "container/container.hpp"
#include "image/store.hpp"
#include "userns/userns.hpp"

namespace tug::cli {

// Global flags and lazily opened shared state.
struct Globals {
  std::string root;     // --root
  std::string runroot;  // --runroot
  std::string log_level = "warn";
  std::vector<std::string> argv;  // the command line, as given

  const Paths& paths();
  const userns::Mapping& mapping();
  image::Store& images();

  // Exit code the chosen command asks main() to return.
  int exit_code = 0;

 private:
  std::optional<Paths> paths_;
  std::optional<userns::Mapping> mapping_;
  std::unique_ptr<image::Store> images_;
};

// One registrar per command file; main() calls them all.
using Registrar = void (*)(CLI::App& app, Globals& g);

// Adds a subcommand with docker's conventions (help flag, no abbreviation,
// fallthrough of global flags).
CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& desc);

// Appends the ids written in cidfiles (run/create --cidfile) to ids. A file
// that does not exist is skipped with ignore, else Error(not_found).
void append_cidfile_ids(const std::vector<std::string>& cidfiles, bool ignore,
                        std::vector<std::string>& ids);

// Full ids, sorted, of the containers (infra containers left out) that
// every filter key matches (values of one key are alternatives, as in
// podman): restart-policy=POLICY, label=KEY[=VALUE], name=NAME, id=PREFIX,
// status=STATUS, exited=CODE. start/stop --all/--filter
// (tug-restart.service). Error(usage) for others.
std::vector<std::string> select_containers(container::Store& store,
                                           const std::vector<std::string>& filters);

// Prints "text\n" to stdout.
void out(const std::string& text);

}  // namespace tug::cli
