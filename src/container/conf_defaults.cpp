#include "container/conf_defaults.hpp"

#include <algorithm>

#include "runtime/spec.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace tug::container {

namespace {

std::string upper_cap(std::string c) {
  for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (starts_with(c, "CAP_")) c = c.substr(4);
  return c;
}

bool contains_cap(const std::vector<std::string>& v, const std::string& cap) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& c) { return upper_cap(c) == cap; });
}

std::string ulimit_name(const std::string& u) {
  return u.substr(0, u.find('='));
}

// The destination of -v SRC:DST[:OPTS] (or of -v DST, an anonymous volume).
std::string volume_dest(const std::string& v) {
  auto parts = split(v, ':');
  return parts.size() >= 2 ? parts[1] : parts[0];
}

bool has_log_opt(const std::vector<std::string>& opts, const std::string& key) {
  return std::any_of(opts.begin(), opts.end(),
                     [&](const std::string& o) { return starts_with(o, key + "="); });
}

template <typename F>
void prepend_unless(std::vector<std::string>& user, const std::vector<std::string>& conf, F key) {
  std::vector<std::string> out;
  for (const auto& c : conf)
    if (std::none_of(user.begin(), user.end(),
                     [&](const std::string& u) { return key(u) == key(c); }))
      out.push_back(c);
  out.insert(out.end(), user.begin(), user.end());
  user = std::move(out);
}

}  // namespace

void apply_conf_defaults(const ContainersConf& conf, CreateOptions& o) {
  if (conf.env_host)
    for (char** e = environ; *e; ++e) o.default_env.emplace_back(*e);
  o.default_env.insert(o.default_env.end(), conf.env.begin(), conf.env.end());

  if (conf.default_capabilities) {
    std::vector<std::string> want;
    for (const auto& c : *conf.default_capabilities) want.push_back(upper_cap(c));
    std::vector<std::string> drop, add;
    for (const auto& d : runtime::default_capabilities())
      if (std::find(want.begin(), want.end(), d) == want.end()) drop.push_back(d);
    // A --cap-drop of a capability the configuration adds must still win,
    // and adds are applied after drops: leave such an add out.
    for (const auto& w : want)
      if (!contains_cap(runtime::default_capabilities(), w) && !contains_cap(o.cap_drop, w))
        add.push_back(w);
    for (const auto& c : add) runtime::capability_number(c);  // validate
    o.cap_drop.insert(o.cap_drop.begin(), drop.begin(), drop.end());
    o.cap_add.insert(o.cap_add.begin(), add.begin(), add.end());
  }

  prepend_unless(o.ulimits, conf.default_ulimits, ulimit_name);
  prepend_unless(o.volumes, conf.volumes, volume_dest);
  prepend_unless(o.devices, conf.devices, [](const std::string& d) { return d; });
  if (o.dns.empty()) o.dns = conf.dns_servers;
  if (o.dns_search.empty()) o.dns_search = conf.dns_searches;
  if (o.dns_options.empty()) o.dns_options = conf.dns_options;
  if (conf.init.value_or(false)) o.init = true;
  if (o.log_driver.empty()) o.log_driver = conf.log_driver;
  if (conf.log_size_max && *conf.log_size_max > 0 && !has_log_opt(o.log_opts, "max-size"))
    o.log_opts.push_back("max-size=" + std::to_string(*conf.log_size_max));
  if (!conf.log_tag.empty() && !has_log_opt(o.log_opts, "tag"))
    o.log_opts.push_back("tag=" + conf.log_tag);
  // podman's 0 is "no limit", which is tug's default too.
  if (!o.pids_limit && conf.pids_limit && *conf.pids_limit > 0) o.pids_limit = conf.pids_limit;
  if (o.userns.empty()) o.userns = conf.userns;
  if (o.shm_size.empty()) o.shm_size = conf.shm_size;
  if (!o.stop_timeout && conf.stop_timeout) o.stop_timeout = conf.stop_timeout;
  if (o.network.empty() && o.pod.empty() && o.infra_of_pod.empty())
    o.network = conf.default_rootless_network_cmd;
}

}  // namespace tug::container
