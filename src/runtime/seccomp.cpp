#include "runtime/seccomp.hpp"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>

#include <cstring>

#include "util/error.hpp"

namespace tug::runtime {

namespace {

struct Rule {
  const char* syscall;
  int cap;  // capability that allows it, or -1: never allowed
};

// What docker's default profile keeps from containers, by capability.
const Rule kRules[] = {
    {"kexec_load", CAP_SYS_BOOT},
    {"kexec_file_load", CAP_SYS_BOOT},
    {"reboot", CAP_SYS_BOOT},
    {"init_module", CAP_SYS_MODULE},
    {"finit_module", CAP_SYS_MODULE},
    {"delete_module", CAP_SYS_MODULE},
    {"create_module", -1},
    {"get_kernel_syms", -1},
    {"query_module", -1},
    {"uselib", -1},
    {"_sysctl", -1},
    {"nfsservctl", -1},
    {"vm86", -1},
    {"vm86old", -1},
    {"lookup_dcookie", CAP_SYS_ADMIN},
    {"iopl", CAP_SYS_RAWIO},
    {"ioperm", CAP_SYS_RAWIO},
    {"swapon", CAP_SYS_ADMIN},
    {"swapoff", CAP_SYS_ADMIN},
    {"acct", CAP_SYS_PACCT},
    {"settimeofday", CAP_SYS_TIME},
    {"stime", CAP_SYS_TIME},
    {"clock_settime", CAP_SYS_TIME},
    {"clock_settime64", CAP_SYS_TIME},
    {"adjtimex", CAP_SYS_TIME},
    {"clock_adjtime", CAP_SYS_TIME},
    {"clock_adjtime64", CAP_SYS_TIME},
    {"syslog", CAP_SYSLOG},
    {"quotactl", CAP_SYS_ADMIN},
    {"quotactl_fd", CAP_SYS_ADMIN},
    {"open_by_handle_at", CAP_DAC_READ_SEARCH},
    {"name_to_handle_at", CAP_SYS_ADMIN},
    {"mount", CAP_SYS_ADMIN},
    {"umount", CAP_SYS_ADMIN},
    {"umount2", CAP_SYS_ADMIN},
    {"pivot_root", CAP_SYS_ADMIN},
    {"fsopen", CAP_SYS_ADMIN},
    {"fsconfig", CAP_SYS_ADMIN},
    {"fsmount", CAP_SYS_ADMIN},
    {"fspick", CAP_SYS_ADMIN},
    {"move_mount", CAP_SYS_ADMIN},
    {"open_tree", CAP_SYS_ADMIN},
    {"mount_setattr", CAP_SYS_ADMIN},
    {"unshare", CAP_SYS_ADMIN},
    {"setns", CAP_SYS_ADMIN},
    {"keyctl", CAP_SYS_ADMIN},
    {"add_key", CAP_SYS_ADMIN},
    {"request_key", CAP_SYS_ADMIN},
    {"bpf", CAP_SYS_ADMIN},
    {"perf_event_open", CAP_SYS_ADMIN},
    {"fanotify_init", CAP_SYS_ADMIN},
    {"userfaultfd", CAP_SYS_PTRACE},
    {"ptrace", CAP_SYS_PTRACE},
    {"process_vm_readv", CAP_SYS_PTRACE},
    {"process_vm_writev", CAP_SYS_PTRACE},
    {"kcmp", CAP_SYS_PTRACE},
    {"set_mempolicy", CAP_SYS_NICE},
    {"mbind", CAP_SYS_NICE},
    {"move_pages", CAP_SYS_NICE},
    {"migrate_pages", CAP_SYS_NICE},
};

bool has(uint64_t caps, int cap) {
  return cap >= 0 && (caps & (1ULL << cap)) != 0;
}

}  // namespace

std::vector<std::string> blocked_syscalls(uint64_t caps) {
  std::vector<std::string> out;
  for (const auto& r : kRules)
    if (!has(caps, r.cap)) out.emplace_back(r.syscall);
  return out;
}

bool may_create_namespaces(uint64_t caps) {
  return has(caps, CAP_SYS_ADMIN);
}

void install_seccomp(uint64_t caps) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) throw Error(Errc::io, "seccomp: cannot create a filter");
  struct Release {
    scmp_filter_ctx c;
    ~Release() { seccomp_release(c); }
  } release{ctx};
  // libseccomp sets no_new_privs by default; the caller still holds
  // CAP_SYS_ADMIN in its namespace, and setuid binaries inside the
  // container must keep working unless --security-opt no-new-privileges.
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0)
    throw Error(Errc::io, "seccomp: cannot keep no_new_privs off");
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  for (const auto& name : blocked_syscalls(caps)) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    int rc = seccomp_rule_add(ctx, deny, nr, 0);
    if (rc < 0 && rc != -EEXIST)
      throw Error(Errc::io, "seccomp: rule for " + name + ": " + std::strerror(-rc));
  }
  if (!may_create_namespaces(caps)) {
    // clone and clone3 stay allowed (threads, fork), but not with flags that
    // create namespaces. clone3 passes flags in memory the filter cannot
    // read, so it gets ENOSYS and libc falls back to clone.
    for (uint64_t flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                          CLONE_NEWNET, CLONE_NEWCGROUP}) {
      int rc =
          seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
      if (rc < 0) throw Error(Errc::io, std::string("seccomp: clone rule: ") + std::strerror(-rc));
    }
    int clone3 = seccomp_syscall_resolve_name("clone3");
    if (clone3 != __NR_SCMP_ERROR) seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), clone3, 0);
  }
  int rc = seccomp_load(ctx);
  if (rc < 0)
    throw Error(Errc::io, std::string("seccomp: loading the filter: ") + std::strerror(-rc));
}

}  // namespace tug::runtime
