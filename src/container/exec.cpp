// exec: a process in a running container's namespaces.

#include "container/frontend.hpp"
#include "container/lifecycle.hpp"
#include "container/lifecycle_internal.hpp"
#include "runtime/executor.hpp"
#include "util/error.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::container {

runtime::Started exec_start(Store& store, const Record& r, const ExecOptions& o,
                            const runtime::Stdio& stdio) {
  State st = store.state(r.id);
  // docker's exit code 1: the daemon's refusal, not the command's.
  if (st.status != "running")
    throw Error(Errc::invalid,
                "can only exec into a running container; " + r.name + " is " + st.status, "", 1);
  if (st.paused)
    throw Error(Errc::invalid, "container " + r.name + " is paused",
                "unpause the container before exec");
  if (o.command.empty()) throw Error(Errc::usage, "requires at least 2 arg(s): CONTAINER COMMAND");
  runtime::Plan plan;
  plan.args = o.command;
  plan.env = r.spec.env;
  for (const auto& f : o.env_files) read_env_file(plan.env, f);
  for (const auto& e : o.env) add_env_flag(plan.env, e);
  if (o.tty) set_env(plan.env, "TERM=xterm");
  plan.cwd = o.workdir ? *o.workdir : r.spec.cwd;
  if (plan.cwd.empty()) plan.cwd.push_back('/');  // not = "/": GCC 12 -Wrestrict false alarm
  plan.create_cwd = false;  // docker: exec -w of a missing directory fails (126)
  plan.user = o.user ? *o.user : r.spec.user;
  plan.group_add = r.spec.group_add;  // docker: exec keeps the container's --group-add
  plan.hostname = effective_hostname(r);
  plan.cgroup = st.cgroup;
  runtime::apply_security(r.spec, plan);
  // exec --privileged: every capability the container's user namespace
  // holds, whatever the container itself was given (docker's and podman's).
  if (o.privileged) plan.capabilities = ~0ULL;
  userns::Mapping mapping = container_mapping(store, r);
  runtime::apply_fake_chown(r.spec, mapping, plan);
  runtime::compile_filters(plan, seccomp_cache(store));
  runtime::set_setup_ids(mapping, plan);
  plan.tty = o.tty;
  plan.stdin_open = o.interactive;
  if (plan.tty && !o.detach) caller_terminal_size(plan);
  return runtime::exec_in(st.pid, plan, o.detach, stdio);
}

int exec(Store& store, const Record& r, const ExecOptions& o) {
  runtime::Started s = exec_begin(store, r, o);
  if (o.detach) return 0;
  runtime::StdioRelay relay = runtime::relay_of(s, o.interactive);
  int code = runtime::wait_forwarding_signals(s.process, &relay);
  exec_ended(store, r, code);
  return code;
}

}  // namespace tug::container
