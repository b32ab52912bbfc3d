#pragma once
// Shared pieces of the command layer. Each subcommand lives in its own file
// and only parses flags and calls into the modules below cli/.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "config/paths.hpp"
#include "image/store.hpp"
#include "userns/userns.hpp"

namespace tug::cli {

// Global flags and lazily opened shared state.
struct Globals {
  std::string root;     // --root
  std::string runroot;  // --runroot
  std::string log_level = "warn";

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

// Prints "text\n" to stdout.
void out(const std::string& text);

}  // namespace tug::cli
