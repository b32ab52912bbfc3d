// pflag habits for CLI11 (args.hpp).
#include "cli/args.hpp"

namespace tug::cli {

namespace {

// The option `name` ("-d", "--detach") of app or of a parent it lets flags
// fall through to (the global flags), or null.
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* o = app->get_option_no_throw(name)) return o;
    if (!app->get_fallthrough()) break;
  }
  return nullptr;
}

const CLI::App* find_subcommand(const CLI::App* app, const std::string& word) {
  auto subs =
      const_cast<CLI::App*>(app)->get_subcommands([&](CLI::App* s) { return s->check_name(word); });
  return subs.empty() ? nullptr : subs.front();
}

}  // namespace

bool takes_value(const CLI::Option* o) {
  return o->get_type_size_max() > 0 && o->get_expected_max() > 0;
}

void take_last_values(CLI::App& app) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

std::vector<std::string> normalize_args(const CLI::App& root,
                                        const std::vector<std::string>& args) {
  std::vector<std::string> out;
  out.reserve(args.size() + 2);
  const CLI::App* cur = &root;
  size_t i = 0;
  auto copy_rest = [&] {
    for (; i < args.size(); ++i) out.push_back(args[i]);
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() > 1 && a[0] == '-') {
      if (a[1] == '-') {
        out.push_back(a);
        const CLI::Option* o = a.find('=') == std::string::npos ? find_option(cur, a) : nullptr;
        if (o && takes_value(o) && i + 1 < args.size()) {
          // `--signal -1`: CLI11 would take -1 for a flag.
          if (args[i + 1].size() > 1 && args[i + 1][0] == '-')
            out.back() += "=" + args[++i];
          else
            out.push_back(args[++i]);
        }
        continue;
      }
      if (a.size() > 2 && a[2] == '=') {
        const CLI::Option* o = find_option(cur, a.substr(0, 2));
        std::string value = a.substr(3);
        if (o && !takes_value(o) && !o->get_lnames().empty()) {
          out.push_back("--" + o->get_lnames().front() + "=" + value);
          continue;
        }
        if (o && takes_value(o)) {
          if (value.empty()) {
            out.push_back(a.substr(0, 2));
            out.push_back(value);
          } else {
            out.push_back(a.substr(0, 2) + value);
          }
          continue;
        }
        out.push_back(a);
        continue;
      }
      // A cluster (-it, -p8080:80): the first letter that takes a value
      // owns the rest of the word, or the next word when the rest is empty.
      out.push_back(a);
      for (size_t k = 1; k < a.size(); ++k) {
        const CLI::Option* o = find_option(cur, std::string("-") + a[k]);
        if (!o || !takes_value(o)) continue;
        if (k + 1 == a.size() && i + 1 < args.size()) {
          if (args[i + 1].size() > 1 && args[i + 1][0] == '-')
            out.back() += args[++i];  // `-s -1`: as -s-1
          else
            out.push_back(args[++i]);
        }
        break;
      }
      continue;
    }
    if (const CLI::App* sub = find_subcommand(cur, a)) {
      cur = sub;
      out.push_back(a);
      continue;
    }
    if (cur->get_prefix_command()) break;
    out.push_back(a);
  }
  copy_rest();
  return out;
}

}  // namespace tug::cli
