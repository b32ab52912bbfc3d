#include "cli/container_flags.hpp"

#include <cctype>
#include <cstdlib>

#include "config/containers_conf.hpp"
#include "container/conf_defaults.hpp"
#include "container/frontend.hpp"
#include "container/pod.hpp"
#include "image/squashfs.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cli {

void add_create_flags(CLI::App* c, RunFlags& f) {
  auto& o = f.create;
  c->add_option("--name", o.name, "Assign a name to the container");
  c->add_flag("--rm", o.auto_remove, "Remove the container when it exits");
  c->add_option("-e,--env", o.env, "Set environment variables")
      ->take_all()
      ->allow_extra_args(false);
  c->add_option("--env-file", o.env_files, "Read in a file of environment variables")
      ->allow_extra_args(false);
  c->add_option("-w,--workdir", f.workdir, "Working directory inside the container");
  c->add_option("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  c->add_option("--entrypoint", f.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  c->add_option("-h,--hostname", o.hostname, "Container host name");
  c->add_option("--network,--net", f.networks,
                "Connect a container to a network: slirp4netns[:OPTIONS] (the default), "
                "pasta[:OPTIONS], none, host, container:NAME, ns:PATH, or user-defined networks "
                "(repeat the flag for more than one)")
      ->allow_extra_args(false);
  c->add_option("--network-alias", o.network_aliases,
                "Another name the container answers to on its user-defined networks")
      ->allow_extra_args(false);
  c->add_option("--ip", o.ip, "The container's IPv4 address on its (first) user-defined network");
  c->add_option("-p,--publish", o.publish,
                "Publish a container's port to the host ([[IP:][HOSTPORT]:]CTRPORT[/PROTOCOL])")
      ->allow_extra_args(false);
  c->add_option("--pod", o.pod, "Run the container in an existing pod (its network, uts, ipc)");
  c->add_option("--pod-id-file", f.pod_id_file,
                "Run the container in the pod whose ID is in the file (as --pod)");
  c->add_flag("-P,--publish-all", o.publish_all,
              "Publish every exposed port to a free port of the host");
  c->add_option("-v,--volume", o.volumes, "Bind mount a volume (SRC:DST[:ro])")
      ->allow_extra_args(false);
  c->add_option("--tmpfs", o.tmpfs, "Mount a tmpfs directory (DST[:OPTIONS])")
      ->allow_extra_args(false);
  c->add_option("--mount", o.mounts,
                "Attach a filesystem mount (type=bind|volume|tmpfs,source=,target=[,readonly])")
      ->allow_extra_args(false);
  c->add_option("--ulimit", o.ulimits, "Ulimit options (NAME=SOFT[:HARD])")
      ->allow_extra_args(false);
  c->add_option("--device", o.devices,
                "Add a host device (HOST[:CONTAINER][:PERMISSIONS]) or a CDI device "
                "(VENDOR/CLASS=NAME)")
      ->allow_extra_args(false);
  c->add_option("--gpus", o.gpus, "GPUs to add through CDI: all or device=N[,M] (nvidia.com/gpu)");
  c->add_flag("--privileged", o.privileged,
              "Give the container every capability of its user namespace, no seccomp filter and "
              "no masked paths");
  c->add_flag("--replace", o.replace, "If a container with the same name exists, replace it");
  c->add_option("--add-host", o.add_hosts, "Add a custom host-to-IP mapping (host:ip)")
      ->allow_extra_args(false);
  c->add_option("--dns", o.dns, "Set custom DNS servers")->allow_extra_args(false);
  c->add_option("--dns-option,--dns-opt", o.dns_options, "Set DNS options (resolv.conf's options)")
      ->allow_extra_args(false);
  c->add_option("--dns-search", o.dns_search, "Set custom DNS search domains (\".\" for none)")
      ->allow_extra_args(false);
  c->add_option("--ipc", o.ipc,
                "IPC namespace to use: private (the default), shareable, host, none (no "
                "/dev/shm) or container:NAME");
  c->add_option("--shm-size", o.shm_size,
                "Size of the container's /dev/shm (e.g. 128m; default 64m)");
  c->add_option("--group-add", o.group_add,
                "Add additional groups to join (gids, names from the image, or keep-groups)")
      ->allow_extra_args(false);
  c->add_option("--kernel-memory", o.kernel_memory,
                "Kernel memory limit (accepted and ignored, as docker does on cgroup v2)");
  c->add_option("-a,--attach", f.attach, "Attach to STDIN, STDOUT or STDERR")
      ->allow_extra_args(false);
  c->add_option("--cap-add", o.cap_add, "Add Linux capabilities")->allow_extra_args(false);
  c->add_option("--cap-drop", o.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
  c->add_option("-l,--label", o.labels, "Set metadata on a container")->allow_extra_args(false);
  c->add_option("--label-file", o.label_files, "Read in a line delimited file of labels")
      ->allow_extra_args(false);
  c->add_flag("--read-only", o.read_only, "Mount the container's root filesystem as read only");
  c->add_flag("-t,--tty", o.tty, "Allocate a pseudo-TTY");
  c->add_flag("-i,--interactive", o.interactive, "Keep STDIN open");
  c->add_flag("--init", o.init,
              "Run an init inside the container that forwards signals and reaps processes");
  c->add_option("--storage-driver", o.storage_driver,
                "Storage driver (overlay, fuse-overlayfs, vfs)");
  c->add_option("--stop-signal", o.stop_signal, "Signal to stop a container (default SIGTERM)");
  c->add_option("--userns", o.userns,
                "User namespace mode: host (the default: your uid is root inside, your "
                "subordinate ids the rest) or keep-id[:uid=UID,gid=GID] (your uid and gid, or "
                "UID/GID, inside; you run as that user)");
  c->add_option("--security-opt", o.security_opt,
                "Security options: seccomp=unconfined, no-new-privileges")
      ->allow_extra_args(false);
  c->add_option("-m,--memory", o.memory, "Memory limit (e.g. 256m)");
  c->add_option("--memory-swap", o.memory_swap, "Memory plus swap limit, -1 for unlimited swap");
  c->add_option("--cpus", o.cpus, "Number of CPUs (e.g. .5)");
  c->add_option("-c,--cpu-shares", o.cpu_shares, "CPU shares (relative weight)");
  c->add_option("--pids-limit", o.pids_limit, "Tune container pids limit (-1 for unlimited)");
  c->add_option("--memory-reservation", o.memory_reservation, "Memory soft limit (e.g. 128m)");
  c->add_option("--cpu-period", o.cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
  c->add_option("--cpu-quota", o.cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
  c->add_option("--cpuset-cpus", o.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  c->add_option("--cpuset-mems", o.cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
  c->add_option("--blkio-weight", o.blkio_weight,
                "Block IO (relative weight), between 10 and 1000, or 0 to disable");
  c->add_option("--restart", o.restart,
                "Restart policy: no, on-failure[:max-retries], always, unless-stopped");
  c->add_option("--sdnotify", o.sdnotify,
                "How systemd's NOTIFY_SOCKET is used: conmon (the monitor sends READY=1 once the "
                "container runs), container (the container gets a socket of its own, relayed; "
                "the default), healthy (READY=1 once the healthcheck passes), ignore");
  c->add_option("--cidfile", o.cidfile, "Write the container ID to the file");
  c->add_option("--log-driver", o.log_driver,
                "Logging driver: k8s-file (the default), json-file (docker's format), journald, "
                "none, passthrough (the container writes to this command's own stdio)");
  c->add_option("--log-opt", o.log_opts,
                "Logging driver option: max-size=SIZE (rotate at that size), max-file=N (files "
                "kept), tag=TAG, path=FILE")
      ->allow_extra_args(false);
  c->add_option("--volumes-from", o.volumes_from,
                "Mount the volumes of another container (CONTAINER[:ro|rw])")
      ->allow_extra_args(false);
  c->add_option("--cgroups", o.cgroups,
                "Control group mode: enabled (the default: a cgroup under yours where the host "
                "delegates one), split (required, for units with Delegate=yes), no-conmon, "
                "disabled");
  c->add_option("--stop-timeout", f.stop_timeout,
                "Seconds to wait before killing a stopped container");
  c->add_flag("--rootfs", f.rootfs,
              "The first argument is not an image but a root filesystem: a directory used in "
              "place, or a squashfs file (as squashfs:PATH)");
  auto& h = o.health;
  c->add_option("--health-cmd", h.cmd,
                "Command to check the container's health: a shell command, a JSON array, or "
                "none");
  c->add_option("--health-interval", h.interval, "Time between health checks (default 30s)");
  c->add_option("--health-retries", h.retries,
                "Consecutive failures needed to report unhealthy (default 3)");
  c->add_option("--health-start-period", h.start_period,
                "Time for the container to start before failures count (default 0s)");
  c->add_option("--health-start-interval", h.start_interval,
                "Time between health checks during the start period (recorded; checks use "
                "--health-interval)");
  c->add_option("--health-timeout", h.timeout, "Maximum time a health check may run (default 30s)");
  c->add_flag("--no-healthcheck", h.disable, "Disable any healthcheck the image defines");
  c->add_option("--pull", f.pull, "Pull the image: always, missing (default), never, newer");
  auto& r = f.registry;
  r.app = c;
  c->add_flag("--tls-verify", r.tls_verify, "Require HTTPS and verify certificates when pulling");
  c->add_option("--authfile", r.authfile, "Path of the authentication file");
  c->add_option("--cert-dir", r.cert_dir, "Directory with certificates for the registry");
  c->add_option("--creds", r.creds, "Credentials USERNAME[:PASSWORD] for the pull");
  c->add_option("--platform", r.platform, "Platform OS/ARCH[/VARIANT] to pull");
  c->add_option("--arch", r.arch, "Architecture to pull");
  c->add_option("--os", r.os, "Operating system to pull");
  c->add_option("--variant", r.variant, "Architecture variant to pull");
  c->add_flag("-q,--quiet", r.quiet, "Suppress the pull's progress output");
  add_signature_policy_flag(c, r);
}

container::AttachStreams attach_streams(const std::vector<std::string>& names) {
  if (names.empty()) return {};
  container::AttachStreams a;
  a.out = a.err = false;
  for (const auto& n : names) {
    std::string l = n;
    for (auto& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (l == "stdout")
      a.out = true;
    else if (l == "stderr")
      a.err = true;
    else if (l != "stdin")
      throw Error(Errc::usage,
                  "invalid argument " + quote(n) +
                      " for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR");
  }
  return a;
}

void pull_for_create(Globals& g, RunFlags& f) {
  // A squashfs file or a directory comes from no registry.
  if (!f.create.rootfs.empty() || image::is_squashfs_ref(f.create.image)) return;
  ensure_image(g, f.create.image, f.pull, f.registry.options());
}

void take_image_and_command(CLI::App* c, RunFlags& f) {
  std::vector<std::string> rest = c->remaining();
  if (rest.empty())
    throw Error(Errc::usage, "requires at least 1 arg(s), only received 0", "see 'tug run --help'");
  if (rest[0].size() > 1 && rest[0][0] == '-')
    throw Error(Errc::usage, "unknown flag: " + rest[0], "see 'tug run --help'");
  f.create.image = rest[0];
  f.create.command.assign(rest.begin() + 1, rest.end());
  if (f.rootfs) {
    if (image::is_squashfs_ref(rest[0]) || (!is_directory(rest[0]) && path_exists(rest[0])))
      f.create.image = image::is_squashfs_ref(rest[0]) ? rest[0] : "squashfs:" + rest[0];
    else
      f.create.rootfs = rest[0];
  }
  if (!f.entrypoint.empty() || c->count("--entrypoint")) f.create.entrypoint = f.entrypoint;
  if (c->count("--workdir")) f.create.workdir = f.workdir;
  if (c->count("--user")) f.create.user = f.user;
  if (c->count("--stop-timeout")) f.create.stop_timeout = f.stop_timeout;
  f.create.network = join(f.networks, ",");
  if (!f.pod_id_file.empty()) {
    if (!f.create.pod.empty())
      throw Error(Errc::usage, "--pod and --pod-id-file cannot be combined");
    f.create.pod = container::read_pod_id_file(f.pod_id_file);
  }
  // Units that generate systemd and the Quadlet generator write set it
  // (Environment=PODMAN_SYSTEMD_UNIT=%n): the label names the unit that
  // auto-update restarts, as podman's does.
  if (const char* unit = std::getenv("PODMAN_SYSTEMD_UNIT"); unit && *unit) {
    bool given = false;
    for (const auto& l : f.create.labels) given |= l.rfind("PODMAN_SYSTEMD_UNIT=", 0) == 0;
    if (!given) f.create.labels.push_back(std::string("PODMAN_SYSTEMD_UNIT=") + unit);
  }
  const ContainersConf& conf = containers_conf();
  if (!c->count("--pull") && !conf.pull_policy.empty()) f.pull = conf.pull_policy;
  container::apply_conf_defaults(conf, f.create);
}

void create_new_pod(Globals& g, RunFlags& f) {
  auto& o = f.create;
  if (o.pod.rfind("new:", 0) != 0) return;
  container::PodOptions po;
  po.name = o.pod.substr(4);
  if (po.name.empty()) throw Error(Errc::usage, "--pod new: needs a pod name");
  po.publish = std::move(o.publish);
  o.publish.clear();
  po.create_command = g.argv;
  container::Store store(g.paths(), g.mapping());
  container::PodStore pods(store, g.images());
  o.pod = pods.create(po).id;
}

container::StartOptions start_options(Globals& g, const container::Record& rec, bool attach) {
  return container::start_options(g.paths(), rec, attach);
}

}  // namespace tug::cli
