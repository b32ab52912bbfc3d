#pragma once
// docker's and podman's flag habits (spf13/pflag) that CLI11 does not have,
// applied to every command in one place:
//  - a repeated single-valued option takes its last value (`--name a
//    --name b` is b), where CLI11 would refuse "At Most 1 required";
//  - a short flag may carry a value after `=` (`-d=false`, `-w=/x`), which
//    CLI11 would read as a cluster of short flags `-d -= -f ...`.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tug::cli {

// Sets the option policy every (sub)command added to app from now on
// inherits: the last value of a repeated single-valued option wins; options
// that collect values (vectors) keep all of them.
void take_last_values(CLI::App& app);

// Whether o takes a value (an option), as opposed to a flag.
bool takes_value(const CLI::Option* o);

// Rewrites args (without the program name) for CLI11, given the registered
// command tree: `-X=V` becomes `--LONG=V` for a boolean flag with a long
// name, and `-X V` for an option that takes a value. Words after `--`, and
// after the first positional of a command that passes the rest on (run's
// image, exec's container), are never touched.
std::vector<std::string> normalize_args(const CLI::App& root, const std::vector<std::string>& args);

}  // namespace tug::cli
