// start: the monitor that owns a container, the container's process in its
// namespaces, and the report back to the caller.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include "cgroup/cgroup.hpp"
#include "container/health.hpp"
#include "container/lifecycle.hpp"
#include "container/lifecycle_internal.hpp"
#include "container/pod.hpp"
#include "container/rootfs.hpp"
#include "container/update.hpp"
#include "events/events.hpp"
#include "monitor/monitor.hpp"
#include "network/networks.hpp"
#include "network/rootless_netns.hpp"
#include "network/setup.hpp"
#include "runtime/executor.hpp"
#include "runtime/mount_tree.hpp"
#include "runtime/plan.hpp"
#include "storage/driver.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::container {

namespace {

// rec, with an address on each of its networks. A record without one was
// left by a create that an older tug published before allocating (and that
// was killed in between): it gets its address now instead of failing to
// start with a malformed one.
Record with_addresses(Store& store, const Record& rec) {
  auto missing = [](const network::Membership& m) { return m.address.empty(); };
  if (std::none_of(rec.spec.networks.begin(), rec.spec.networks.end(), missing)) return rec;
  network::NetworkStore nets(store.paths());
  std::vector<std::pair<std::string, std::string>> given;  // network, address
  for (const auto& m : rec.spec.networks)
    if (m.address.empty()) given.emplace_back(m.network, nets.allocate(m.network, rec.id));
  Record out = store.modify(rec.id, [&](Record& r) {
    for (auto& m : r.spec.networks)
      for (const auto& [net, ip] : given)
        if (m.network == net && m.address.empty()) m.address = ip;
  });
  for (const auto& [net, ip] : given)
    log_warn("container " + rec.name + " had no address on network " + net +
             " (its create was interrupted): it gets " + ip);
  return out;
}

// Where a container on user-defined networks plugs in: eth0, eth1, ... in
// the order of --network, answering DNS for its name, short id and aliases.
std::vector<network::Endpoint> endpoints_of(const Store& store, const Record& rec) {
  network::NetworkStore nets(store.paths());
  std::vector<network::Endpoint> out;
  for (size_t i = 0; i < rec.spec.networks.size(); ++i) {
    const auto& a = rec.spec.networks[i];
    if (a.address.empty())
      throw Error(Errc::corrupt,
                  "container " + rec.name + " has no address on network " + a.network +
                      ": its record is incomplete",
                  "run tug system check --repair, or remove and recreate the container");
    out.push_back(network::make_endpoint(nets.get(a.network), a.address, "eth" + std::to_string(i),
                                         dns_names(store, rec, a.aliases)));
  }
  return out;
}

// Subnets of the user-defined networks rec is not on: unreachable from it,
// rather than sent out through slirp4netns to the host's routes.
std::vector<std::string> other_subnets(const Store& store, const Record& rec) {
  std::vector<std::string> out;
  for (const auto& n : network::NetworkStore(store.paths()).list())
    if (std::none_of(rec.spec.networks.begin(), rec.spec.networks.end(),
                     [&](const network::Membership& a) { return a.network == n.name; }))
      out.push_back(n.subnet);
  return out;
}

// What the detached monitor tells the CLI once the container runs (or not).
struct StartReport {
  int32_t ok = 0;
  int32_t pid = 0;
  int32_t code = 0;       // Errc
  int32_t exit_code = 0;  // for errors
  char text[2048] = {};
};

UniqueFd listen_socket(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw Error(Errc::invalid, "attach socket path too long: " + path, "use a shorter --runroot");
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("bind " + path);
  if (::listen(fd.get(), 16) != 0) throw_errno("listen " + path);
  return fd;
}

void keep_across_exec(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFD, 0);
}

// The monitor's log arguments for rec's --log-driver and --log-opt: none
// for none and passthrough (nothing to keep), a file for k8s-file and
// json-file, the journal for journald.
void add_log_args(std::vector<std::string>& argv, const Store& store, const Record& rec) {
  const auto& driver = rec.spec.log_driver;
  if (driver == "none" || driver == "passthrough") return;
  auto opt = [&](const char* key) {
    auto it = rec.spec.log_opts.find(key);
    return it == rec.spec.log_opts.end() ? std::string() : it->second;
  };
  argv.insert(argv.end(), {"--log-format", driver});
  if (driver == "journald") {
    argv.insert(argv.end(), {"--log-id", rec.id, "--log-name", rec.name});
    if (std::string tag = opt("tag"); !tag.empty()) argv.insert(argv.end(), {"--log-tag", tag});
    return;
  }
  argv.insert(argv.end(), {"--log", log_path(store.dir(rec.id), rec)});
  if (std::string size = opt("max-size"); !size.empty() && size != "-1")
    argv.insert(argv.end(), {"--log-max-size", std::to_string(parse_size(size))});
  if (std::string files = opt("max-file"); !files.empty())
    argv.insert(argv.end(), {"--log-max-file", files});
}

// Everything a monitor inherits: the container's output and input pipes (no
// terminal: that comes from the container itself), the listening attach
// socket, and the monitor's end of a pre-connected client.
struct Channels {
  Pipe out, err, in;
  UniqueFd passthrough[3];  // --log-driver passthrough: the caller's stdin, stdout, stderr
  UniqueFd listen;
  // The attach socket is bound here and renamed to its place only once
  // this start has won: a start that loses a race must not replace the
  // socket of the monitor that runs the container.
  std::string listen_tmp;
  UniqueFd attach_cli, attach_monitor;
  std::vector<network::Listener> listeners;  // published host ports
  // User-defined networks: the connection to the rootless network
  // namespace's holder (held by the monitor while the container runs) and
  // where the container plugs in.
  std::optional<network::RootlessNetns> rootless_netns;
  std::vector<network::Endpoint> endpoints;
  // --sdnotify=container: the datagram socket bound into the container as
  // its NOTIFY_SOCKET; the monitor relays what arrives there.
  UniqueFd notify;
  std::string notify_path;
  // --ipc container: and a pod's members: a detached copy of the owner's
  // /dev/shm, attached as the container's own (runtime::share_shm).
  UniqueFd shm;
};

// The caller's systemd notify socket ($NOTIFY_SOCKET, as systemd sets it
// for a Type=notify unit), when the container's --sdnotify mode uses it.
std::string notify_target(const Record& rec) {
  // A pod's infra, started on the way to a member, must not become the
  // unit's main process: the member's monitor is.
  if (rec.spec.sdnotify == "ignore" || rec.infra) return "";
  const char* s = std::getenv("NOTIFY_SOCKET");
  return s ? s : "";
}

// Where a container of --sdnotify=container finds its notify socket.
constexpr const char* kContainerNotifyDir = "/run/notify";

// The container's own notify socket, in a directory of the runtime root
// that is bound at /run/notify: sun_path is short, so not in the
// container's directory. Mode 0777: any user of the container may notify.
void make_container_notify_socket(Store& store, const Record& rec, Channels& ch,
                                  runtime::Spec& spec) {
  std::string dir = store.paths().run + "/" + rec.id.substr(0, 12) + ".notify";
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir " + dir);
  ch.notify_path = dir + "/notify.sock";
  ch.notify.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!ch.notify) throw_errno("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (ch.notify_path.size() >= sizeof addr.sun_path)
    throw Error(Errc::invalid, "notify socket path too long: " + ch.notify_path,
                "use a shorter --runroot");
  std::strncpy(addr.sun_path, ch.notify_path.c_str(), sizeof addr.sun_path - 1);
  ::unlink(ch.notify_path.c_str());
  if (::bind(ch.notify.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("bind " + ch.notify_path);
  ::chmod(ch.notify_path.c_str(), 0777);
  runtime::MountSpec m;
  m.source = dir;
  m.destination = kContainerNotifyDir;
  spec.mounts.push_back(m);
  std::erase_if(spec.env, [](const std::string& e) { return starts_with(e, "NOTIFY_SOCKET="); });
  spec.env.push_back(std::string("NOTIFY_SOCKET=") + kContainerNotifyDir + "/notify.sock");
}

// The plan and channels for starting rec; no process is created yet.
// The owner's /dev/shm becomes the container's (docker and podman share it
// with the IPC namespace). An owner without one (--ipc none, host) leaves
// the container its own tmpfs, as podman does.
void share_shm_of(const Record& owner, const State& ost, Channels& ch, runtime::Plan& plan) {
  if (owner.spec.ipc == "none" || owner.spec.ipc == "host") return;
  ch.shm = runtime::clone_mount_of(ost.pid, "/dev/shm");
  runtime::share_shm(plan, ch.shm.get());
}

runtime::Plan prepare(Store& store, const image::Store& images, const Record& rec, Channels& ch,
                      bool attach, bool user_start) {
  std::string dir = store.dir(rec.id);
  runtime::Spec spec = rec.spec;
  spec.hostname = effective_hostname(rec);
  if (!rec.pod.empty() && !rec.infra)
    if (auto infra = store.find(spec.network.target)) spec.hostname = effective_hostname(*infra);
  if (rec.spec.sdnotify == "container" && !notify_target(rec).empty())
    make_container_notify_socket(store, rec, ch, spec);
  storage::RootfsPlan rootfs = rootfs_plan_of(store, images, rec);
  runtime::PlanInputs inputs = etc_files(store, images, rec, spec);
  userns::Mapping mapping = container_mapping(store, rec);
  if (!spec.userns.empty()) {
    inputs.user_name = current_user_name();
    inputs.user_home = home_dir();
    if (rootfs.driver == storage::Driver::fuse_overlayfs && !mapping.single) {
      rootfs.uidmapping = userns::fuse_idmapping(store.mapping().uids, mapping.uids);
      rootfs.gidmapping = userns::fuse_idmapping(store.mapping().gids, mapping.gids);
    }
  }
  runtime::Plan plan = runtime::build_plan(spec, rootfs, inputs, mapping);
  // ":U" chowns a mount's tree at the first start only: the ids do not
  // change between starts, and a large volume is walked once.
  if (!plan.chown_paths.empty()) {
    std::string done = read_file_if_exists(dir + "/chowned").value_or("");
    std::set<std::string> chowned;
    for (const auto& line : split(done, '\n')) chowned.insert(line);
    plan.chown_paths.erase(std::remove_if(plan.chown_paths.begin(), plan.chown_paths.end(),
                                          [&](const std::string& p) { return chowned.count(p); }),
                           plan.chown_paths.end());
  }
  if (attach && plan.tty) caller_terminal_size(plan);
  runtime::compile_filters(plan, seccomp_cache(store));
  if (!plan.hooks.empty())
    plan.hook_state = json{
        {"ociVersion", "1.0.2"},
        {"id", rec.id},
        {"status", "creating"},
        {"bundle", dir},
        {"annotations",
         json::object()}}.dump();
  const network::Mode& net = spec.network;
  if (net.kind == network::Mode::Kind::container) {
    auto other = store.find(net.target);
    State ost = other ? store.state(other->id) : State{};
    if (ost.status != "running")
      throw Error(Errc::invalid,
                  "cannot join the network of container " + (other ? other->name : net.target) +
                      ": it is not running",
                  "start it first");
    plan.join_netns = "/proc/" + std::to_string(ost.pid) + "/ns/net";
    if (rec.pod.size() && !rec.infra) {
      // A pod's member: the infra's uts and ipc too (so its hostname), and
      // its /dev/shm.
      plan.join_utsns = "/proc/" + std::to_string(ost.pid) + "/ns/uts";
      plan.join_ipcns = "/proc/" + std::to_string(ost.pid) + "/ns/ipc";
      plan.hostname.clear();
      share_shm_of(*other, ost, ch, plan);
    }
  } else if (net.kind == network::Mode::Kind::ns) {
    plan.join_netns = net.target;
  } else if (net.kind == network::Mode::Kind::slirp4netns ||
             net.kind == network::Mode::Kind::pasta || net.kind == network::Mode::Kind::bridge) {
    if (net.kind == network::Mode::Kind::bridge) {
      // Made in the rootless network namespace's user namespace, so its
      // holder may plug the container's own network namespace into bridges.
      ch.endpoints = endpoints_of(store, rec);
      ch.rootless_netns =
          network::RootlessNetns::open(store.paths(), store.mapping(), rec.id, true);
      plan.join_userns = "/proc/self/fd/" + std::to_string(ch.rootless_netns->userns_fd());
    }
    // Bound here, by the CLI: a port in use fails the start with its error.
    ch.listeners = network::bind_ports(spec.ports);
    if (!network::forwarder_carries_ports(net))
      for (auto& l : ch.listeners) l.fd.reset();
    plan.await_network = true;
  }
  if (starts_with(spec.ipc, "container:") && plan.join_ipcns.empty()) {
    auto other = store.find(spec.ipc.substr(10));
    State ost = other ? store.state(other->id) : State{};
    if (ost.status != "running")
      throw Error(Errc::invalid,
                  "cannot join the IPC namespace of container " +
                      (other ? other->name : spec.ipc.substr(10)) + ": it is not running",
                  "start it first");
    // docker's and podman's rule: only a shareable owner (the default) may be joined.
    if (other->spec.ipc == "private")
      throw Error(Errc::invalid,
                  "joining IPC of container " + other->id +
                      " is not allowed: non-shareable IPC (hint: use IpcMode:shareable for the "
                      "donor container)");
    plan.join_ipcns = "/proc/" + std::to_string(ost.pid) + "/ns/ipc";
    share_shm_of(*other, ost, ch, plan);
  } else if (spec.ipc == "host") {
    std::erase_if(plan.mounts, [](const runtime::MountOp& op) {
      return op.kind == runtime::MountOp::Kind::bind &&
             (op.source == "/dev/shm" || op.source == "/dev/mqueue") && !is_directory(op.source);
    });
  }
  // Where the host lets us make cgroups (cgroup v2, delegated subtree),
  // every container gets its own: pause needs its freezer and the limits go
  // in when their controllers are delegated (create() warned otherwise).
  cgroup::Host host;
  if (rec.spec.cgroups != "disabled") host = cgroup::detect_host();
  if (rec.spec.cgroups == "split" && !(host.v2 && host.writable))
    throw Error(Errc::unsupported,
                "container " + rec.name +
                    " was created with --cgroups=split, and this start "
                    "has no writable cgroup v2 subtree (" +
                    (host.own.empty() ? "none" : host.own) + ")",
                "start it from a unit with Delegate=yes");
  if (host.v2 && host.writable) {
    cgroup::Limits limits = cgroup::limits_from_json(rec.spec.limits);
    if (!cgroup::unapplied(limits, host).empty()) limits = {};
    try {
      plan.cgroup = cgroup::create(host, rec.id, limits);
    } catch (const Error& e) {
      if (limits.any() || rec.spec.cgroups == "split") throw;
      log_debug(std::string("no cgroup of its own for the container: ") + e.what());
    }
  }
  std::string tug_monitor = libexec_path("tug-monitor");
  if (::access(tug_monitor.c_str(), X_OK) != 0)
    throw Error(Errc::not_found, "container monitor not found at " + tug_monitor,
                "reinstall tug: helpers live in <prefix>/libexec/tug next to <prefix>/bin/tug");
  if (rec.spec.log_driver == "passthrough") {
    // The caller's own stdio, as the container's: copies that survive the
    // monitor-to-be replacing 0-2 with /dev/null.
    for (int fd = 0; fd < 3; ++fd) ch.passthrough[fd].reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
  } else if (!plan.tty) {
    ch.out = Pipe::make();
    ch.err = Pipe::make();
    if (plan.stdin_open) ch.in = Pipe::make();
  }
  std::string socket = attach_socket_path(store.paths(), rec.id);
  ch.listen_tmp = socket.substr(0, socket.size() - 5) + "." + std::to_string(::getpid());
  ch.listen = listen_socket(ch.listen_tmp);
  if (attach) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
    ch.attach_cli.reset(sv[0]);
    ch.attach_monitor.reset(sv[1]);
  }
  // A manual stop or kill leaves this marker so the monitor does not apply
  // the restart policy; only a user's start clears it.
  if (user_start) ::unlink((dir + "/stopped").c_str());
  return plan;
}

// Runs in the detached monitor-to-be (a forked copy of the CLI): starts the
// container as its child, records it, reports to the CLI and execs
// tug-monitor, or for a foreground run becomes the monitor in place. Never
// returns and never lets an exception leave this frame.
[[noreturn]] void become_monitor(Store& store, const Record& rec, const runtime::Plan& plan,
                                 Channels& ch, int report_fd, const StartOptions& opts,
                                 int restart_count) {
  Pipe& out = ch.out;
  Pipe& err = ch.err;
  Pipe& in = ch.in;
  UniqueFd& listen = ch.listen;
  UniqueFd& attach_end = ch.attach_monitor;
  StartReport rep;
  try {
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3 && devnull >= 0; ++fd) ::dup2(devnull, fd);
    runtime::Stdio stdio;
    if (ch.passthrough[1]) {
      stdio.in = plan.stdin_open ? ch.passthrough[0].get() : -1;
      stdio.out = ch.passthrough[1].get();
      stdio.err = ch.passthrough[2].get();
    } else if (!plan.tty) {
      stdio.out = out.write.get();
      stdio.err = err.write.get();
      if (plan.stdin_open) stdio.in = in.read.get();
    }
    network::Attachment net;
    auto connect_network = [&](pid_t pid) {
      network::AttachRequest req{rec.spec.network, pid, std::move(ch.listeners),
                                 store.paths().run + "/" + rec.id.substr(0, 12) + "."};
      if (ch.rootless_netns) {
        UniqueFd netns =
            open_or_throw("/proc/" + std::to_string(pid) + "/ns/net", O_RDONLY | O_CLOEXEC);
        ch.rootless_netns->connect(netns.get(), ch.endpoints, other_subnets(store, rec));
        req.address = ch.endpoints.front().address;
        // Out through slirp4netns unless every network is internal.
        req.external = std::any_of(ch.endpoints.begin(), ch.endpoints.end(),
                                   [](const network::Endpoint& e) { return !e.internal; });
      }
      net = network::attach(std::move(req));
    };
    runtime::Started started =
        runtime::start(plan, container_mapping(store, rec), stdio, connect_network);
    ch.shm.reset();  // attached: the monitor needs no hold on the owner's /dev/shm
    // A CLI killed while it waits for the report must not take the
    // container down with the write's SIGPIPE (set only now: the container
    // would inherit the disposition).
    ::signal(SIGPIPE, SIG_IGN);
    out.write.reset();
    err.write.reset();
    in.read.reset();
    State st = store.state(rec.id);
    st.status = "running";
    st.pid = started.process.pid();
    st.pid_start_time = started.start_time;
    st.monitor_pid = ::getpid();  // it execs tug-monitor: same pid, same start time
    st.monitor_start_time = runtime::process_start_time(st.monitor_pid);
    st.cgroup = plan.cgroup;
    st.paused = false;
    st.restart_count = restart_count;
    st.started_at = now_rfc3339();
    st.finished_at.clear();
    st.ports.clear();
    for (const auto& p : net.ports) st.ports.push_back(network::describe(p));
    {
      FileLock lock(store.dir(rec.id) + "/lock");
      bool removed = !path_exists(store.dir(rec.id) + "/config.json");
      if (removed && restart_count == 0)
        throw Error(Errc::not_found, "container " + rec.name + " was removed while it started");
      if (restart_count > 0 && (removed || path_exists(store.dir(rec.id) + "/stopped"))) {
        // Stopped or removed by the user while this restart was on its way.
        started.process.kill(SIGKILL);
        ::unlink(ch.listen_tmp.c_str());
        ::_exit(0);
      }
      // Two starts of one container (a start racing the one of a killed
      // `run -d`, or a restart racing a user's start) both get here: the
      // first one recorded runs it, the other takes its own down.
      State cur = store.state_locked(rec.id);
      if (cur.status == "running" && cur.monitor_pid != ::getpid())
        throw Error(Errc::in_use, "container " + rec.name + " is already running");
      store.save_state(rec.id, st, !rec.auto_remove);
      // A unit without --new (Type=forking) follows the monitor by its pid file.
      write_file(store.dir(rec.id) + "/monitor.pid", std::to_string(st.monitor_pid) + "\n");
      if (!rec.conmon_pidfile.empty())
        write_file(rec.conmon_pidfile, std::to_string(st.monitor_pid) + "\n");
      if (::rename(ch.listen_tmp.c_str(), attach_socket_path(store.paths(), rec.id).c_str()) != 0)
        throw_errno("placing the attach socket of " + rec.name);
      if (has_healthcheck(rec.healthcheck)) reset_health(store, rec.id);
    }
    if (!plan.chown_paths.empty()) {
      // The container runs: its setup chowned these (recorded for the next starts).
      std::string done = read_file_if_exists(store.dir(rec.id) + "/chowned").value_or("");
      for (const auto& p : plan.chown_paths) done += p + "\n";
      atomic_write(store.dir(rec.id) + "/chowned", done);
    }
    emit_event(store, rec, "start");
    // Only the channels named below may reach the monitor: nothing the CLI
    // inherited (a caller's pipes, a terminal) stays open for the
    // container's lifetime.
#ifdef SYS_close_range
    ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
#endif
    std::vector<std::string> argv = {libexec_path("tug-monitor"),
                                     "--pid",
                                     std::to_string(st.pid),
                                     "--state",
                                     store.dir(rec.id) + "/state.json",
                                     "--lock",
                                     store.dir(rec.id) + "/lock",
                                     "--socket",
                                     attach_socket_path(store.paths(), rec.id),
                                     "--listen",
                                     std::to_string(listen.get()),
                                     "--started-at",
                                     st.started_at};
    auto pass = [&](const char* flag, int fd) {
      if (fd < 0) return;
      keep_across_exec(fd);
      argv.push_back(flag);
      argv.push_back(std::to_string(fd));
    };
    add_log_args(argv, store, rec);
    keep_across_exec(listen.get());
    pass("--attach", attach_end.get());
    if (opts.kill_on_detach && attach_end) argv.push_back("--kill-on-detach");
    if (!plan.cgroup.empty()) {
      argv.push_back("--cgroup");
      argv.push_back(plan.cgroup);
    }
    // The network's helpers are our children and become the monitor's.
    pass("--lifeline", net.lifeline.get());
    UniqueFd holder_conn;
    if (ch.rootless_netns) {
      holder_conn = ch.rootless_netns->take_connection();
      pass("--hold", holder_conn.get());
    }
    for (pid_t h : net.helpers) {
      argv.push_back("--helper");
      argv.push_back(std::to_string(h));
    }
    for (pid_t h : net.device_helpers) {
      argv.push_back("--device-helper");
      argv.push_back(std::to_string(h));
    }
    // squashfuse is killed after the exit is recorded, with the network's
    // devices: the container's mount namespace is gone by then.
    if (started.squashfuse) {
      argv.push_back("--device-helper");
      argv.push_back(std::to_string(started.squashfuse.pid()));
    }
    if (plan.tty) {
      pass("--terminal", started.terminal.get());
    } else {
      pass("--stdout", out.read.get());
      pass("--stderr", err.read.get());
      if (plan.stdin_open) pass("--stdin", in.write.get());
    }
    if (rec.auto_remove) argv.push_back("--no-fsync");
    std::string notify = notify_target(rec);
    if (!notify.empty()) {
      // The monitor tells systemd (MAINPID: itself, READY=1 for conmon)
      // and then writes one byte to the start's report pipe: the CLI, the
      // unit's first main process, must not exit before systemd heard it.
      argv.insert(argv.end(), {"--sdnotify", rec.spec.sdnotify, "--notify-socket", notify});
      if (report_fd >= 0) pass("--ready-fd", report_fd);
      if (ch.notify) {
        pass("--notify-fd", ch.notify.get());
        argv.insert(argv.end(), {"--notify-path", ch.notify_path});
      }
    }
    bool restarts = rec.spec.restart_policy != "no" && !rec.spec.restart_policy.empty();
    bool health = has_healthcheck(rec.healthcheck);
    // A member of a pod whose exit policy is stop: its monitor has tug
    // stop the pod's infra once the last member is gone.
    std::string pod_exit;
    if (!rec.pod.empty() && !rec.infra)
      if (auto pod = find_pod(store.paths(), rec.pod); pod && pod->exit_policy == "stop")
        pod_exit = pod->id;
    // The monitor re-execs tug to start the container again in place, so
    // its pid (a systemd unit's MainPID) survives restarts; it runs tug's
    // `healthcheck run` at each interval. It gets the means to restart
    // whatever the policy: `tug update --restart` may set one while the
    // container runs (the restart file).
    for (const std::string& a :
         {std::string("--restart"), restarts ? rec.spec.restart_policy : std::string("no"),
          std::string("--restart-file"), restart_policy_file(store, rec.id),
          std::string("--restart-count"), std::to_string(restart_count),
          std::string("--stop-marker"), store.dir(rec.id) + "/stopped",
          std::string("--restart-exec"), self_exe(), std::string("--root"), store.paths().data,
          std::string("--runroot"), store.paths().run, std::string("--id"), rec.id})
      argv.push_back(a);
    if (!pod_exit.empty()) {
      argv.push_back("--pod-exited");
      argv.push_back(pod_exit);
    }
    if (health) {
      argv.push_back("--health-interval");
      argv.push_back(
          std::to_string(std::max<int64_t>(healthcheck_interval(rec.healthcheck) / 1000000, 1)));
    }
    // The monitor logs the container's die event itself, unless events
    // go nowhere (--events-backend none, containers.conf's events_logger).
    const char* backend = std::getenv("TUG_EVENTS_BACKEND");
    std::string events_log =
        backend && std::string(backend) == "none" ? "" : events::log_path(store.paths());
    for (const std::string& a : {std::string("--events"), events_log, std::string("--name"),
                                 rec.name, std::string("--image"), rec.image_name})
      argv.push_back(a);
    if (!opts.exit_command.empty()) {
      argv.push_back("--");
      argv.insert(argv.end(), opts.exit_command.begin(), opts.exit_command.end());
    }
    rep.ok = 1;
    rep.pid = st.pid;
    // A CLI killed meanwhile reads no report (EPIPE): the container is
    // recorded as running and goes on under its monitor all the same.
    if (report_fd >= 0) (void)!::write(report_fd, &rep, sizeof rep);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    started.process.detach();  // it stays our child across exec
    started.squashfuse.detach();
    if (attach_end && notify.empty() && !restarts && !health && pod_exit.empty()) {
      // A foreground run: this process monitors while its CLI is attached
      // and execs tug-monitor only if the CLI leaves first. A short
      // container's exit then waits for no exec (monitor.hpp, run()).
      reset_as_exec();
      ::_exit(monitor::run(static_cast<int>(argv.size()), cargv.data(), true));
    }
    ::execv(cargv[0], cargv.data());
    // The container runs but nothing owns it: take it down with us.
    ::kill(st.pid, SIGKILL);
    ::_exit(125);
  } catch (const Error& e) {
    ::unlink(ch.listen_tmp.c_str());
    rep.code = static_cast<int32_t>(e.code());
    rep.exit_code = e.exit_code();
    std::strncpy(rep.text, e.what(), sizeof rep.text - 1);
  } catch (const std::exception& e) {
    ::unlink(ch.listen_tmp.c_str());
    rep.exit_code = kExitToolError;
    std::strncpy(rep.text, e.what(), sizeof rep.text - 1);
  }
  try {
    if (report_fd >= 0)
      write_all(report_fd, &rep, sizeof rep);
    else
      log_warn(std::string("restarting container ") + rec.name + ": " + rep.text);
  } catch (...) {
  }
  ::_exit(125);
}

}  // namespace

Running start(Store& store, const image::Store& images, const Record& given,
              const StartOptions& opts) {
  if (!given.pod.empty() && !given.infra) {
    // A pod's member needs its infra container's namespaces.
    auto infra = store.find(given.spec.network.target);
    if (infra && store.state(infra->id).status != "running") {
      try {
        start(store, images, *infra, {});
      } catch (const Error& e) {
        if (e.code() != Errc::in_use) throw;  // started meanwhile
      }
    }
  }
  // One start of a container at a time: two would mount one overlay upper
  // and work dir at once, and the kernel's workdir setup of the one breaks
  // the other's mount. The monitor-to-be inherits the lock and lets it go
  // at its exec, once the container is recorded as running. It is a lock
  // on the record's directory (the record's own lock is the file "lock").
  FileLock starting = FileLock::directory(store.dir(given.id));
  if (store.state(given.id).status == "running")
    throw Error(Errc::in_use, "container " + given.name + " is already running");
  const Record rec = with_addresses(store, given);
  Channels ch;
  runtime::Plan plan = prepare(store, images, rec, ch, opts.attach, true);
  Pipe report = Pipe::make();
  pid_t first = ::fork();
  if (first < 0) throw_errno("fork");
  if (first == 0) {
    // Detach from the CLI's session and process tree, like conmon: the
    // monitor must outlive the CLI and not get its terminal's signals.
    ::setsid();
    pid_t second = ::fork();
    if (second != 0) ::_exit(second < 0 ? 125 : 0);
    report.read.reset();
    ch.attach_cli.reset();
    become_monitor(store, rec, plan, ch, report.write.get(), opts, 0);
  }
  Child intermediate(first, Child::OnDestroy::wait);
  report.write.reset();
  UniqueFd attach_cli = std::move(ch.attach_cli);
  ch = Channels{};  // the monitor holds these now
  StartReport rep;
  bool got = read_exact(report.read.get(), &rep, sizeof rep);
  intermediate.wait();
  if (!got) throw Error(Errc::generic, "the container monitor died before the container started");
  if (!rep.ok)
    throw Error(static_cast<Errc>(rep.code),
                std::string(rep.text, strnlen(rep.text, sizeof rep.text)), "", rep.exit_code);
  if (!notify_target(rec).empty()) {
    // The monitor's byte: systemd has its MAINPID (and READY=1) before we
    // exit. Bounded: a network helper may hold the pipe should the monitor
    // die first. In healthy mode READY=1 waits for the healthcheck, and so
    // does a detached start (as podman's does), while the container runs;
    // a foreground run relays the container's output meanwhile instead.
    bool healthy = rec.spec.sdnotify == "healthy";
    bool until_healthy = healthy && !opts.attach;
    for (int waited = 0; until_healthy || (!healthy && waited < 10); ++waited) {
      struct pollfd p = {report.read.get(), POLLIN, 0};
      if (::poll(&p, 1, 1000) > 0) {
        char b;
        (void)!::read(report.read.get(), &b, 1);
        break;
      }
      if (until_healthy && store.state(rec.id).status != "running") break;
    }
  }
  Running r;
  r.pid = rep.pid;
  r.attach = std::move(attach_cli);
  return r;
}

void restart_in_place(Store& store, const image::Store& images, const Record& given,
                      int restart_count) {
  FileLock starting = FileLock::directory(store.dir(given.id));  // as in start()
  const Record rec = with_addresses(store, given);
  Channels ch;
  runtime::Plan plan = prepare(store, images, rec, ch, false, false);
  become_monitor(store, rec, plan, ch, -1, {}, restart_count);
}

}  // namespace tug::container
