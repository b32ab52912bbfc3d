// spank_tug: a Slurm SPANK plugin that runs the tasks of a job step inside
// a tug container, one container per node that all local tasks of the step
// join (`srun --container-image=IMAGE ...`).
//
// The plugin never links tug: it runs the installed `tug` as the job's user,
// so the store, the id mapping and the container's monitor are exactly what
// that user gets from a shell. Per node and step:
//   user_init  (slurmstepd, once)  `tug run -d` a keeper container (tug-init
//                                  --pause as PID 1) from IMAGE, or reuse the
//                                  --container-name one; the image is pulled
//                                  or loaded into the user's store only when
//                                  it is not there (a node's cache).
//   task_init  (each task, as the user, just before its exec)
//                                  the task execs `tug exec NAME ARGV...`:
//                                  tug's exec path joins the container's
//                                  namespaces (pid included) and root.
//   exit       (slurmstepd, once)  `tug rm -f` of an unnamed container.
//
// plugstack.conf arguments: tug=PATH (the tug binary; default: tug in PATH),
// userns=MODE (passed as --userns to the keeper's run, e.g. keep-id).
#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

// spank.h declares the hooks (slurm_spank_init, ...) outside its own
// extern "C" block: included in one, they get the C linkage slurmstepd
// looks them up with. The plugin's identity symbols are const, which in
// C++ means internal linkage: declared extern first, they are exported.
extern "C" {
#include <slurm/spank.h>

extern const char plugin_name[];
extern const char plugin_type[];
extern const unsigned int plugin_version;
extern const unsigned int spank_plugin_version;
SPANK_PLUGIN(tug, 1)
}

namespace {

struct Options {
  std::string image, mounts, workdir, name, env;
  bool writable = false;
} opt;

struct Config {
  std::string tug = "tug";
  std::string userns;
} conf;

// What user_init leaves for the tasks (they are forks of the same process).
struct StepState {
  bool active = false;
  bool failed = false;                 // user_init could not provide the container
  std::string container;               // the container's name
  bool remove_at_exit = false;         // unnamed: ours to remove
  std::set<std::string> image_env;     // variable names the container defines
  std::set<std::string> override_env;  // --container-env: the host's value wins
} step;

int set_opt(std::string& field, const char* arg) {
  if (!arg || !*arg) return -1;
  field = arg;
  return 0;
}

int opt_image(int, const char* a, int) {
  return set_opt(opt.image, a);
}
int opt_mounts(int, const char* a, int) {
  return set_opt(opt.mounts, a);
}
int opt_workdir(int, const char* a, int) {
  return set_opt(opt.workdir, a);
}
int opt_name(int, const char* a, int) {
  return set_opt(opt.name, a);
}
int opt_env(int, const char* a, int) {
  return set_opt(opt.env, a);
}
int opt_writable(int, const char*, int) {
  opt.writable = true;
  return 0;
}

struct spank_option options[] = {
    {const_cast<char*>("container-image"), const_cast<char*>("IMAGE"),
     const_cast<char*>("[tug] image to run the tasks in: a name in the user's tug store or "
                       "registry (pulled once per node), or squashfs:PATH / a .sqfs file"),
     1, 0, opt_image},
    {const_cast<char*>("container-mounts"), const_cast<char*>("SRC:DST[:ro],..."),
     const_cast<char*>("[tug] bind mounts into the container"), 1, 0, opt_mounts},
    {const_cast<char*>("container-workdir"), const_cast<char*>("PATH"),
     const_cast<char*>("[tug] working directory of the tasks inside the container"), 1, 0,
     opt_workdir},
    {const_cast<char*>("container-name"), const_cast<char*>("NAME"),
     const_cast<char*>("[tug] name of the container: an existing one is reused (and kept "
                       "after the step); without it the step's container is removed"),
     1, 0, opt_name},
    {const_cast<char*>("container-writable"), nullptr,
     const_cast<char*>("[tug] make the container's root filesystem writable"), 0, 0, opt_writable},
    {const_cast<char*>("container-env"), const_cast<char*>("VAR,..."),
     const_cast<char*>("[tug] variables whose value from the job's environment overrides the "
                       "image's"),
     1, 0, opt_env},
    SPANK_OPTIONS_TABLE_END,
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool valid_mount(const std::string& m) {
  auto parts = split(m, ':');
  if (parts.size() < 2 || parts.size() > 3) return false;
  if (parts[0].empty() || parts[1].empty() || parts[1][0] != '/') return false;
  return parts.size() == 2 || parts[2] == "ro" || parts[2] == "rw";
}

bool valid_name(const std::string& n) {
  if (n.empty() || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return false;
  return true;
}

// The job's environment as the user's processes get it.
std::vector<std::string> job_env(spank_t sp) {
  std::vector<std::string> env;
  char** e = nullptr;
  if (spank_get_item(sp, S_JOB_ENV, &e) == ESPANK_SUCCESS && e)
    for (; *e; ++e) env.emplace_back(*e);
  return env;
}

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
};

Identity job_identity(spank_t sp) {
  Identity id;
  spank_get_item(sp, S_JOB_UID, &id.uid);
  spank_get_item(sp, S_JOB_GID, &id.gid);
  return id;
}

struct Result {
  int status = -1;
  std::string out, err;
};

// Runs tug with args as the job's user (slurmstepd calls us as root, or with
// only its effective ids dropped: both are made the user's for good here).
Result run_tug(const Identity& who, const std::vector<std::string>& env,
               const std::vector<std::string>& args) {
  Result r;
  int outp[2], errp[2];
  if (::pipe2(outp, O_CLOEXEC) != 0 || ::pipe2(errp, O_CLOEXEC) != 0) return r;
  pid_t pid = ::fork();
  if (pid < 0) return r;
  if (pid == 0) {
    ::dup2(outp[1], 1);
    ::dup2(errp[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    if (::getuid() == 0 && ::geteuid() == 0) {
      gid_t g = who.gid;
      if (::setgroups(1, &g) != 0) ::_exit(126);
    }
    if (::setresgid(who.gid, who.gid, who.gid) != 0 || ::setresuid(who.uid, who.uid, who.uid) != 0)
      ::_exit(126);
    std::vector<char*> argv, envp;
    argv.push_back(const_cast<char*>(conf.tug.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execvpe(conf.tug.c_str(), argv.data(), envp.data());
    ::dprintf(2, "cannot run %s: %s\n", conf.tug.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(outp[1]);
  ::close(errp[1]);
  // Small outputs (ids, one JSON document): read one pipe after the other
  // would risk a stall only with megabytes on stderr.
  char buf[8192];
  for (int fd : {outp[0], errp[0]}) {
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      (fd == outp[0] ? r.out : r.err).append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  while (!r.err.empty() && r.err.back() == '\n') r.err.pop_back();
  return r;
}

// "squashfs:PATH" as is; a path to an existing file (pyxis's PATH form) is a
// squashfs image; anything else is an image name for the store/registry.
std::string image_argument(const std::string& image) {
  if (image.rfind("squashfs:", 0) == 0) return image;
  if (image[0] == '/' || image.rfind("./", 0) == 0) return "squashfs:" + image;
  return image;
}

std::string libexec_of(const std::string& tug) {
  std::string bin = tug;
  if (bin.find('/') == std::string::npos) {
    const char* path = std::getenv("PATH");
    for (const auto& dir : split(path ? path : "/usr/bin:/bin", ':')) {
      std::string p = dir + "/" + tug;
      if (::access(p.c_str(), X_OK) == 0) {
        bin = p;
        break;
      }
    }
  }
  auto slash = bin.rfind('/');
  std::string dir = slash == std::string::npos ? "." : bin.substr(0, slash);
  return dir + "/../libexec/tug";
}

// Names of the variables in the container's config (image Env plus -e).
std::set<std::string> container_env_names(const std::string& inspect_json) {
  // The JSON is tug's own `inspect` output; "Env": [ "K=V", ... ] inside
  // "Config" is the only Env array in it. A full parser is not needed.
  std::set<std::string> names;
  auto at = inspect_json.find("\"Env\"");
  if (at == std::string::npos) return names;
  auto open = inspect_json.find('[', at), close = inspect_json.find(']', at);
  if (open == std::string::npos || close == std::string::npos) return names;
  bool in_str = false, escaped = false, in_name = false;
  std::string cur;
  for (size_t i = open + 1; i < close; ++i) {
    char c = inspect_json[i];
    if (!in_str) {
      if (c == '"') in_str = in_name = true, cur.clear();
      continue;
    }
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c == '\\') {
      escaped = true;
      continue;
    }
    if (c == '"') {
      in_str = false;
      if (in_name && !cur.empty()) names.insert(cur);
      continue;
    }
    if (in_name && c == '=') {
      names.insert(cur);
      in_name = false;
    } else if (in_name) {
      cur += c;
    }
  }
  return names;
}

}  // namespace

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char** av) {
  for (int i = 0; i < ac; ++i) {
    std::string a = av[i];
    if (a.rfind("tug=", 0) == 0)
      conf.tug = a.substr(4);
    else if (a.rfind("userns=", 0) == 0)
      conf.userns = a.substr(7);
    else
      slurm_error("spank_tug: unknown plugstack argument %s (use tug=PATH, userns=MODE)", av[i]);
  }
  spank_context_t ctx = spank_context();
  if (ctx != S_CTX_LOCAL && ctx != S_CTX_REMOTE && ctx != S_CTX_ALLOCATOR) return 0;
  for (auto* o = options; o->name; ++o)
    if (spank_option_register(sp, o) != ESPANK_SUCCESS) {
      slurm_error("spank_tug: cannot register --%s", o->name);
      return -1;
    }
  return 0;
}

// srun, after option parsing: bad values fail the step before anything runs.
int slurm_spank_init_post_opt(spank_t sp, int, char**) {
  if (spank_remote(sp)) return 0;
  bool any = !opt.image.empty() || !opt.name.empty();
  if (!any && (!opt.mounts.empty() || !opt.workdir.empty() || opt.writable || !opt.env.empty())) {
    slurm_error(
        "spank_tug: --container-mounts/-workdir/-writable/-env need --container-image "
        "or --container-name");
    return -1;
  }
  if (!opt.mounts.empty())
    for (const auto& m : split(opt.mounts, ','))
      if (!valid_mount(m)) {
        slurm_error("spank_tug: invalid --container-mounts entry '%s': expected SRC:DST[:ro]",
                    m.c_str());
        return -1;
      }
  if (!opt.workdir.empty() && opt.workdir[0] != '/') {
    slurm_error("spank_tug: --container-workdir must be an absolute path");
    return -1;
  }
  if (!opt.name.empty() && !valid_name(opt.name)) {
    slurm_error("spank_tug: invalid --container-name '%s' (letters, digits, _ . -)",
                opt.name.c_str());
    return -1;
  }
  return 0;
}

namespace {

// user_init's work; false (after logging why) when there is no container.
bool prepare_container(spank_t sp);

}  // namespace

// slurmstepd, once per node and step, before the tasks are forked. A
// failure of user_init makes Slurm 22.05's srun report "launch failed" yet
// exit 0; instead every task exits 125 (docker's code for the tool's own
// errors), which srun reports and returns, after the reason was logged once.
int slurm_spank_user_init(spank_t sp, int, char**) {
  if (opt.image.empty() && opt.name.empty()) return 0;
  step.active = true;
  step.failed = !prepare_container(sp);
  return 0;
}

}  // extern "C"

namespace {

bool prepare_container(spank_t sp) {
  Identity who = job_identity(sp);
  std::vector<std::string> env = job_env(sp);
  uint32_t job = 0, stepid = 0;
  spank_get_item(sp, S_JOB_ID, &job);
  spank_get_item(sp, S_JOB_STEPID, &stepid);
  step.container =
      opt.name.empty() ? "slurm-" + std::to_string(job) + "." + std::to_string(stepid) : opt.name;
  step.remove_at_exit = opt.name.empty();
  if (!opt.env.empty())
    for (const auto& v : split(opt.env, ','))
      if (!v.empty()) step.override_env.insert(v);

  // An unnamed container is the step's own: there is none to look for.
  Result existing;
  if (!opt.name.empty()) existing = run_tug(who, env, {"container", "inspect", step.container});
  if (existing.status == 0 && !opt.name.empty()) {
    // A named container of an earlier step: started again if it stopped.
    if (existing.out.find("\"Running\": true") == std::string::npos &&
        existing.out.find("\"Running\":true") == std::string::npos) {
      Result s = run_tug(who, env, {"start", step.container});
      if (s.status != 0) {
        slurm_error("spank_tug: starting container %s: %s", step.container.c_str(), s.err.c_str());
        return false;
      }
    }
  } else {
    if (opt.image.empty()) {
      slurm_error("spank_tug: no container named %s on this node, and no --container-image",
                  step.container.c_str());
      return false;
    }
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::string init = libexec_of(conf.tug) + "/tug-init";
    std::vector<std::string> args = {
        "run",        "-d", "--name", step.container,          "--network",    "host",
        "--hostname", host, "-v",     init + ":/.tug-init:ro", "--entrypoint", "/.tug-init"};
    if (!opt.writable) args.push_back("--read-only");
    if (!conf.userns.empty()) args.push_back("--userns=" + conf.userns);
    if (!opt.mounts.empty())
      for (const auto& m : split(opt.mounts, ',')) args.insert(args.end(), {"-v", m});
    if (!opt.workdir.empty()) args.insert(args.end(), {"-w", opt.workdir});
    args.push_back(image_argument(opt.image));
    args.push_back("--pause");
    Result r = run_tug(who, env, args);
    if (r.status != 0) {
      slurm_error("spank_tug: creating the container from %s: %s", opt.image.c_str(),
                  r.err.c_str());
      return false;
    }
    existing = run_tug(who, env, {"container", "inspect", step.container});
  }
  step.image_env = container_env_names(existing.out);
  return true;
}

}  // namespace

extern "C" {

// Each task, as the user, just before slurmstepd would exec its command:
// the task becomes `tug exec` of that command in the step's container.
int slurm_spank_task_init(spank_t sp, int, char**) {
  if (!step.active) return 0;
  if (step.failed) ::_exit(125);
  int argc = 0;
  char** argv = nullptr;
  if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS || argc < 1) {
    slurm_error("spank_tug: no command for the task");
    return -1;
  }
  std::vector<std::string> env = job_env(sp);
  std::vector<std::string> args = {conf.tug, "exec"};
  if (!opt.workdir.empty()) args.insert(args.end(), {"-w", opt.workdir});
  // pyxis's rule: the job's variables go in, but the image's own values win
  // unless --container-env names the variable.
  for (const auto& e : env) {
    std::string name = e.substr(0, e.find('='));
    if (name.empty()) continue;
    if (step.image_env.count(name) && !step.override_env.count(name)) continue;
    args.insert(args.end(), {"-e", e});
  }
  args.push_back(step.container);
  for (int i = 0; i < argc; ++i) args.emplace_back(argv[i]);
  std::vector<char*> cargv, cenv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  ::execvpe(conf.tug.c_str(), cargv.data(), cenv.data());
  slurm_error("spank_tug: cannot run %s: %s", conf.tug.c_str(), std::strerror(errno));
  return -1;
}

// slurmstepd, once per node at the end of the step. The removal runs
// detached: the node's CPUs are the step's until slurmstepd exits, and the
// next job should not wait for a container's teardown.
int slurm_spank_exit(spank_t sp, int, char**) {
  if (!spank_remote(sp) || !step.active || !step.remove_at_exit) return 0;
  Identity who = job_identity(sp);
  std::vector<std::string> env = job_env(sp);
  pid_t pid = ::fork();
  if (pid < 0) {
    run_tug(who, env, {"rm", "-f", step.container});
    return 0;
  }
  if (pid == 0) {
    ::setsid();
    if (::fork() == 0) {
      Result r = run_tug(who, env, {"rm", "-f", step.container});
      ::_exit(r.status == 0 ? 0 : 1);
    }
    ::_exit(0);
  }
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  return 0;
}

}  // extern "C"
