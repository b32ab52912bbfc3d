#pragma once
// Lifecycle operations on container records: turning user options into a
// record (create) and running a container in the foreground of the CLI.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "container/health.hpp"
#include "image/store.hpp"
#include "runtime/executor.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"

namespace tug::container {

// What the user asked for on the command line, before image defaults apply.
struct CreateOptions {
  std::string image;   // reference or id as typed; "squashfs:PATH" names a squashfs file
  std::string rootfs;  // --rootfs DIR: the directory is the container's / (no image)
  std::string name;
  std::vector<std::string> command;          // after the image
  std::optional<std::string> entrypoint;     // --entrypoint ("" clears it)
  std::vector<std::string> env;              // -e K=V / -e K
  std::vector<std::string> default_env;      // containers.conf's: below the image's Env
  std::vector<std::string> env_files;        // --env-file
  std::optional<std::string> workdir;        // -w
  std::optional<std::string> user;           // -u
  std::string hostname;                      // -h
  std::string network;                       // --network; empty: the default (slirp4netns)
  std::vector<std::string> network_aliases;  // --network-alias (user-defined networks)
  std::string ip;                            // --ip on the first user-defined network
  // Per network (compose's networks.NAME.aliases / ipv4_address): added to
  // network_aliases, and an address wanted on that network.
  std::map<std::string, std::vector<std::string>> aliases_on;
  std::map<std::string, std::string> ip_on;
  std::vector<std::string> publish;    // -p [[IP:][HOSTPORT]:]CTRPORT[/PROTO]
  bool publish_all = false;            // -P: every EXPOSEd port to a free host port
  std::string pod;                     // --pod NAME|ID: join the pod's namespaces
  std::string infra_of_pod;            // (tug pod create) the pod this is the infra of
  std::vector<std::string> volumes;    // -v SRC:DST[:ro]
  std::vector<std::string> tmpfs;      // --tmpfs DST[:opts]
  std::vector<std::string> mounts;     // --mount type=...,target=...
  std::vector<std::string> ulimits;    // --ulimit NAME=SOFT[:HARD]
  std::vector<std::string> devices;    // --device SRC[:DST][:PERMS] or VENDOR/CLASS=NAME (CDI)
  std::string gpus;                    // --gpus all|device=N[,M]: nvidia.com/gpu CDI devices
  bool privileged = false;             // --privileged
  std::string userns;                  // --userns ("", "host", keep-id[:...]; others refused)
  bool replace = false;                // --replace: remove a container of that name first
  std::vector<std::string> add_hosts;  // --add-host name:ip
  std::vector<std::string> dns;
  std::vector<std::string> dns_search, dns_options;  // --dns-search, --dns-option
  std::string ipc;                                   // --ipc (runtime::Spec::ipc)
  std::string shm_size;                              // --shm-size (e.g. 128m; "": 64m)
  std::vector<std::string> group_add;                // --group-add
  std::string kernel_memory;  // --kernel-memory: accepted and ignored, as docker on cgroup v2
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> labels;       // K=V
  std::vector<std::string> label_files;  // --label-file: read first, --label overrides
  bool read_only = false, tty = false, interactive = false, init = false, auto_remove = false;
  std::string stop_signal;                // --stop-signal (default: image's, else SIGTERM)
  std::optional<int> stop_timeout;        // --stop-timeout
  std::vector<std::string> security_opt;  // --security-opt
  std::string memory, memory_swap, cpus;  // --memory, --memory-swap, --cpus
  std::optional<int64_t> cpu_shares, pids_limit;
  std::string memory_reservation;                // --memory-reservation
  std::string cpuset_cpus, cpuset_mems;          // --cpuset-cpus, --cpuset-mems
  std::optional<int64_t> cpu_period, cpu_quota;  // --cpu-period, --cpu-quota (microseconds)
  std::optional<int64_t> blkio_weight;           // --blkio-weight (10..1000)
  std::string restart = "no";         // --restart no|on-failure[:N]|always|unless-stopped
  std::string sdnotify;               // --sdnotify conmon|container|ignore ("": container)
  std::string cgroups;                // --cgroups enabled|disabled|split|no-conmon ("": enabled)
  std::string cidfile;                // --cidfile: the id is written there once created
  std::string log_driver;             // --log-driver ("": k8s-file)
  std::vector<std::string> log_opts;  // --log-opt KEY=VALUE
  std::vector<std::string> volumes_from;    // --volumes-from CTR[:ro|rw]
  std::string conmon_pidfile;               // (pod create --infra-conmon-pidfile) see Record
  std::vector<std::string> create_command;  // the CLI's argv, kept in the record
  std::string storage_driver;               // empty: the store's
  // The image's VOLUMEs get anonymous volumes; a build's RUN step leaves
  // them out, so what it writes there stays in its layer (as buildah does).
  bool image_volumes = true;
  // A build's RUN step: the record names this process as its builder
  // (Record::build), which hides it from listings and lets a later command
  // remove it once this process is gone.
  bool build_step = false;
  HealthFlags health;  // --health-*, --no-healthcheck
};

// Held shared by create() from resolving the image until the record is
// written, and exclusively by rmi from its in-use check until the image is
// gone: an image cannot be removed between a create's lookup of it and the
// record that makes it "in use".
FileLock image_use_lock(const Paths& paths, FileLock::Mode mode);

// Resolves the image, merges its config with the options (docker's rules for
// Entrypoint/Cmd, Env, WorkingDir, User), validates bind sources, and
// creates the record. Throws Error(exit 125) for bad input.
Record create(Store& store, const image::Store& images, const CreateOptions& opts);

struct StartOptions {
  // Also return a connected attach client, made before the container starts
  // so no output can be missed (foreground run, start -a).
  bool attach = false;
  // Command the monitor execs after recording the exit (detached --rm).
  std::vector<std::string> exit_command;
  // With attach: the container is killed when that client goes away (a
  // build's RUN step must not outlive a killed build), instead of running
  // on under tug-monitor.
  bool kill_on_detach = false;
};

struct Running {
  pid_t pid = 0;    // the container's first process
  UniqueFd attach;  // with StartOptions::attach
};

// Starts the container under its own monitor: forks, detaches (setsid,
// double fork), clones the container from there, records it as running and
// execs libexec/tug-monitor, which owns it from then on. Returns once the
// user's command has been exec'd; errors come back as Error with docker's
// exit codes (125/126/127).
Running start(Store& store, const image::Store& images, const Record& r, const StartOptions& opts);

// Relays the CLI's stdio over an attach connection until the container
// exits and returns its exit code. Signals the CLI receives are forwarded to
// pid (docker's sig-proxy); with tty, the CLI's terminal is raw and its size
// follows SIGWINCH.
// With a terminal, ctrl-p ctrl-q detaches: the container keeps running and
// kDetached is returned.
inline constexpr int kDetached = -1000;
// Which of the container's output streams are relayed (run -a); stdin is
// relayed whenever the container keeps it open (-i), as docker does.
// When the reader of the CLI's stdout or stderr goes away (`| head -1`),
// a session that started the container (run, start -a) has the monitor
// close that stream, so the container gets EPIPE as if it had written to
// that reader itself, and goes on waiting for its exit; `attach` (owner
// false) ends with 141, as the CLI killed by SIGPIPE did.
struct AttachStreams {
  bool out = true, err = true;
  bool owner = true;
  // Non-zero: each signal to forward is sent as this one instead (a build's
  // RUN step: SIGKILL, so ctrl-C ends the build even when the command, as
  // PID 1, ignores SIGINT).
  int forward_as = 0;
};
int attach_session(Store& store, const Record& r, int attach_fd, pid_t pid,
                   AttachStreams streams = {});

// Path of a container's attach socket in the runtime directory.
std::string attach_socket_path(const Paths& paths, const std::string& id);
// A new client connection to the monitor of running container r (attach,
// the API's attach and resize). Error(io) when nothing answers there.
UniqueFd connect_attach(const Paths& paths, const Record& r);
// Tells r's monitor the size of the container's terminal (no effect
// without one).
void resize_terminal(const Paths& paths, const Record& r, unsigned rows, unsigned cols);

// The monitor's restart: starts rec again in this very process and execs
// tug-monitor (so the monitor's pid stays the same). Never returns.
[[noreturn]] void restart_in_place(Store& store, const image::Store& images, const Record& r,
                                   int restart_count);

// Sends sig to a running container's first process. Error(invalid) if it
// is not running.
void kill(Store& store, const Record& r, int sig);

// Stops a running container: its stop signal, then SIGKILL after timeout
// seconds (the record's --stop-timeout when timeout < 0). Returns once the
// monitor has recorded the exit. A container that is not running is fine.
void stop(Store& store, const Record& r, int timeout = -1);

// pause/unpause: freezes or thaws the container's cgroup (cgroup v2
// freezer). A container without a cgroup of its own (the host delegates
// none) cannot be paused: a clear error, never SIGSTOP, which its
// processes would see.
void set_paused(Store& store, const Record& r, bool paused);

// Blocks until the container is not running and returns its exit code.
int wait_exit(Store& store, const Record& r);

struct ExecOptions {
  std::vector<std::string> command;
  std::vector<std::string> env;  // -e K=V / -e K
  std::vector<std::string> env_files;
  std::optional<std::string> user, workdir;
  bool tty = false, interactive = false, detach = false;
  bool privileged = false;  // every capability, for this process only
};

// Runs a command in a running container (its namespaces, root, user,
// capabilities) and returns its exit code; with detach, returns 0 at once.
int exec(Store& store, const Record& r, const ExecOptions& opts);
// The first half of exec(): checks the container and starts the command
// with stdio's fds as its own, or pipes (runtime::exec_in); the caller
// relays them and waits for Started::process.
runtime::Started exec_start(Store& store, const Record& r, const ExecOptions& opts,
                            const runtime::Stdio& stdio = {});

// Removes a container. A running one is refused with Error(in_use) unless
// force, which kills it with SIGKILL and waits until its process is gone.
// One whose namespaces other containers use (--network container:, --ipc
// container:; a pod's members aside) is refused, force or not, while they
// exist (podman's rule): Error(in_use) naming them.
void remove(Store& store, const Record& r, bool force);

// Rewrites a running container's /etc/hosts for its networks now (after
// network connect or disconnect): the address of a network it left goes,
// one it joined comes. Nothing happens for a container that is not running.
void refresh_hosts(Store& store, const Record& r);

// The containers that use r's network or IPC namespace, pod members aside.
std::vector<Record> dependents(const Store& store, const Record& r);
// Orders ids or names to remove so that a container comes after every one
// among them that uses its namespaces (`rm -a`, `rm owner user`).
void order_for_removal(const Store& store, std::vector<std::string>& targets);

// What rec answers to in the DNS of a user-defined network (lower case):
// its name, short id, these aliases, and for a pod's infra the pod's name.
std::vector<std::string> dns_names(const Store& store, const Record& rec,
                                   const std::vector<std::string>& aliases);

// Logs a container event (events/events.hpp) with docker's attributes:
// the container's labels, name and image, plus extra.
void emit_event(const Store& store, const Record& r, const std::string& action,
                const std::map<std::string, std::string>& extra = {});

// The labels of --label-file files (docker's format: KEY=VALUE or KEY
// lines, leading blanks dropped, '#' comments and blank lines skipped; the
// value is kept as written) in order, then --label's K=V, a later key
// replacing an earlier one. A file that cannot be read, a line without a
// key or a key with blanks: Error(usage or not_found) naming the file.
std::map<std::string, std::string> collect_labels(const std::vector<std::string>& label_files,
                                                  const std::vector<std::string>& labels);

// Names of the volumes a container mounts.
std::vector<std::string> volumes_of(const Record& r);
// Removes r's anonymous volumes that no other container mounts (rm -v,
// run --rm); named ones stay. r's record may be gone already.
void remove_anonymous_volumes(const Store& store, const Record& r);

// Writes the container's filesystem (image layers plus its changes) as a
// flat tar to out_fd, as `docker export` does. Mounts the rootfs privately
// in a throw-away user namespace, so it works whether or not it runs.
void export_rootfs(Store& store, const image::Store& images, const Record& r, int out_fd);

}  // namespace tug::container
