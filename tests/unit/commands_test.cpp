// The table main.cpp dispatches on: each entry names exactly the top-level
// commands (and aliases) its registrar adds, and no name is in two entries.
#include "cli/commands.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "util/strings.hpp"

using namespace tug;

TEST_CASE("the command table names what each registrar adds") {
  std::set<std::string> seen;
  for (const cli::Command& c : cli::commands()) {
    CLI::App app;
    cli::Globals g;
    c.add(app, g);
    std::set<std::string> added;
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      added.insert(sub->get_name());
      for (const auto& alias : sub->get_aliases()) added.insert(alias);
    }
    auto listed = split(c.names, ' ');
    CHECK_MESSAGE(std::set<std::string>(listed.begin(), listed.end()) == added, c.names);
    for (const auto& n : listed) CHECK_MESSAGE(seen.insert(n).second, n);
  }
  // Every command a user can type is in the table: `tug --help` lists them.
  CLI::App all;
  cli::Globals g;
  cli::register_commands(all, g, "");
  for (CLI::App* sub : all.get_subcommands([](CLI::App*) { return true; }))
    CHECK_MESSAGE(seen.count(sub->get_name()) == 1, sub->get_name());
}

TEST_CASE("a command word registers its command alone; unknown words and help register all") {
  cli::Globals g;
  CLI::App one;
  CHECK(cli::register_commands(one, g, "ps"));
  CHECK(one.get_subcommands([](CLI::App*) { return true; }).size() == 1);
  CLI::App alias;
  CHECK(cli::register_commands(alias, g, "list"));  // ps's alias
  CHECK(alias.get_subcommands([](CLI::App*) { return true; }).size() == 1);
  CLI::App unknown, help;
  CHECK_FALSE(cli::register_commands(unknown, g, "bogus"));
  CHECK_FALSE(cli::register_commands(help, g, ""));
  auto count = [](CLI::App& a) { return a.get_subcommands([](CLI::App*) { return true; }).size(); };
  CHECK(count(unknown) == count(help));
  CHECK(count(help) > cli::commands().size());  // pause and unpause are one entry
}
