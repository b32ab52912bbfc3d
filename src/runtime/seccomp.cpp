#include "runtime/seccomp.hpp"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "runtime/spec.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

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

namespace {

// A libseccomp filter, released on scope exit. libseccomp sets
// no_new_privs by default; it stays off: the caller still holds
// CAP_SYS_ADMIN in its namespace, and setuid binaries inside the container
// must keep working unless --security-opt no-new-privileges.
struct Filter {
  scmp_filter_ctx ctx;
  explicit Filter(uint32_t default_action) : ctx(seccomp_init(default_action)) {
    if (!ctx) throw Error(Errc::io, "seccomp: cannot create a filter");
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0) {
      seccomp_release(ctx);
      throw Error(Errc::io, "seccomp: cannot keep no_new_privs off");
    }
  }
  ~Filter() { seccomp_release(ctx); }
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;

  // The compiled program, as libseccomp writes it to a file descriptor.
  Bpf compile(const char* what) {
    UniqueFd mem(::memfd_create("seccomp", MFD_CLOEXEC));
    if (!mem) throw_errno("seccomp: memfd_create");
    int rc = seccomp_export_bpf(ctx, mem.get());
    if (rc < 0)
      throw Error(Errc::io,
                  std::string("seccomp: compiling the ") + what + ": " + std::strerror(-rc));
    Bpf out(static_cast<size_t>(std::max<off_t>(::lseek(mem.get(), 0, SEEK_CUR), 0)), '\0');
    if (out.empty() ||
        ::pread(mem.get(), out.data(), out.size(), 0) != static_cast<ssize_t>(out.size()) ||
        out.size() % sizeof(struct sock_filter) != 0)
      throw Error(Errc::io, std::string("seccomp: compiling the ") + what + ": no program");
    return out;
  }
};

// Bumped whenever the way a filter is built changes without its inputs
// (the rule lists) changing: old cache entries are then never used.
constexpr int kCompilerRevision = 1;

std::string arch_and_library() {
  const scmp_version* v = seccomp_version();
  return std::to_string(kCompilerRevision) + "/" + std::to_string(seccomp_arch_native()) +
         "/libseccomp-" + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->micro);
}

}  // namespace

void load_filter(const Bpf& prog, const std::string& what) {
  struct sock_fprog fprog;
  fprog.len = static_cast<unsigned short>(prog.size() / sizeof(struct sock_filter));
  fprog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(prog.data()));
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
    throw_errno("seccomp: loading the " + what);
}

namespace {

// FNV-1a, 64 bits, in hex: names cache entries and catches damaged ones. A
// cryptographic digest would cost more than the compiling it saves (OpenSSL
// reads its configuration on first use); the cache is the user's own, as
// the rest of the runroot.
std::string fnv1a_hex(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

Bpf cached_filter(const std::string& dir, const std::string& key,
                  const std::function<Bpf()>& compile) {
  if (dir.empty()) return compile();
  std::string path = dir + "/" + fnv1a_hex(key) + ".bpf";
  // An entry: its key, a newline, the program's checksum (16 hex digits), a
  // newline, the program. The key is compared whole: names may collide.
  std::string head = key + "\n";
  if (auto text = read_file_if_exists(path); text && text->size() > head.size() + 17 &&
                                             text->compare(0, head.size(), head) == 0 &&
                                             (*text)[head.size() + 16] == '\n') {
    Bpf prog = text->substr(head.size() + 17);
    if (prog.size() % sizeof(struct sock_filter) == 0 &&
        fnv1a_hex(prog) == text->substr(head.size(), 16))
      return prog;
  }
  Bpf prog = compile();
  try {
    make_dirs(dir, 0700);
    atomic_write(path, head + fnv1a_hex(prog) + "\n" + prog, 0600, false);
  } catch (const Error&) {
    // A cache that cannot be written only costs the next start the compiling.
  }
  return prog;
}

std::string seccomp_key(uint64_t caps) {
  return "default/" + arch_and_library() + "/" + join(blocked_syscalls(caps), ",") + "/" +
         (may_create_namespaces(caps) ? "ns" : "no-ns");
}

Bpf compile_seccomp(uint64_t caps) {
  Filter filter(SCMP_ACT_ALLOW);
  scmp_filter_ctx ctx = filter.ctx;
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
  return filter.compile("filter");
}

namespace {

// Which arguments of each call are ids, and whether they are uids or gids.
struct IdArgs {
  const char* syscall;
  std::vector<std::pair<unsigned, bool>> args;  // (index, is_gid)
  bool chown = true;                            // false: a set*id call
};

const std::vector<IdArgs>& fake_table() {
  static const std::vector<IdArgs> t = {
      {"chown", {{1, false}, {2, true}}},
      {"lchown", {{1, false}, {2, true}}},
      {"fchown", {{1, false}, {2, true}}},
      {"fchownat", {{2, false}, {3, true}}},
      {"chown32", {{1, false}, {2, true}}},
      {"lchown32", {{1, false}, {2, true}}},
      {"fchown32", {{1, false}, {2, true}}},
      {"setuid", {{0, false}}, false},
      {"setgid", {{0, true}}, false},
      {"setreuid", {{0, false}, {1, false}}, false},
      {"setregid", {{0, true}, {1, true}}, false},
      {"setresuid", {{0, false}, {1, false}, {2, false}}, false},
      {"setresgid", {{0, true}, {1, true}, {2, true}}, false},
  };
  return t;
}

}  // namespace

std::vector<std::string> faked_syscalls() {
  std::vector<std::string> out;
  for (const auto& e : fake_table()) out.emplace_back(e.syscall);
  out.emplace_back("setgroups");
  return out;
}

std::string fake_chown_key(const FakeIds& ids) {
  return "fake-chown/" + arch_and_library() + "/" + join(faked_syscalls(), ",") + "/" +
         std::to_string(ids.uid_lo) + "-" + std::to_string(ids.uid_hi) + "/" +
         std::to_string(ids.gid_lo) + "-" + std::to_string(ids.gid_hi) + "/" +
         (ids.setgroups ? "single" : "ranges");
}

Bpf compile_fake_chown(const FakeIds& ids) {
  Filter filter(SCMP_ACT_ALLOW);
  scmp_filter_ctx ctx = filter.ctx;
  const uint32_t fake = SCMP_ACT_ERRNO(0);
  auto add = [&](int nr, const char* name, std::vector<scmp_arg_cmp> cmps) {
    int rc = seccomp_rule_add_array(ctx, fake, nr, static_cast<unsigned>(cmps.size()),
                                    cmps.empty() ? nullptr : cmps.data());
    if (rc < 0 && rc != -EEXIST)
      throw Error(Errc::io,
                  std::string("seccomp: fake-chown rule for ") + name + ": " + std::strerror(-rc));
  };
  for (const auto& e : fake_table()) {
    int nr = seccomp_syscall_resolve_name(e.syscall);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    for (auto [index, is_gid] : e.args) {
      uint32_t lo = is_gid ? ids.gid_lo : ids.uid_lo, hi = is_gid ? ids.gid_hi : ids.uid_hi;
      // ids are 32 bits wide; -1 means "leave unchanged" and is never faked.
      if (ids.setgroups) {
        // Single-id mapping: one id exists, so a call naming -1 ("leave it")
        // or that id changes nothing either way, and faking it is exact.
        if (lo > 0) add(nr, e.syscall, {scmp_arg_cmp{index, SCMP_CMP_LT, lo, 0}});
        add(nr, e.syscall, {scmp_arg_cmp{index, SCMP_CMP_GE, hi, 0}});
      } else if (e.chown) {
        // Ranges: -1 must run for real (chgrp is chown(f, -1, g)), and
        // libseccomp takes one comparison per argument in a rule, so ids
        // in [hi, 2^31) are covered by aligned blocks, a masked compare each.
        for (uint64_t start = hi; start < 0x80000000ULL;) {
          uint64_t size = 1;
          while (start % (size * 2) == 0 && start + size * 2 <= 0x80000000ULL) size *= 2;
          add(nr, e.syscall, {scmp_arg_cmp{index, SCMP_CMP_MASKED_EQ, ~(size - 1), start}});
          start += size;
        }
      }
    }
  }
  if (ids.setgroups)
    for (const char* name : {"setgroups", "setgroups32"})
      if (int nr = seccomp_syscall_resolve_name(name); nr != __NR_SCMP_ERROR) add(nr, name, {});
  return filter.compile("fake-chown filter");
}

namespace {

uint32_t profile_action(const std::string& name, int errno_ret) {
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(static_cast<uint16_t>(errno_ret));
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(static_cast<uint16_t>(errno_ret));
  throw Error(Errc::usage, "seccomp profile: unsupported action " + quote(name),
              "use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, "
              "SCMP_ACT_TRAP, SCMP_ACT_LOG or SCMP_ACT_TRACE");
}

int profile_op(const std::string& name) {
  static const std::pair<const char*, int> kOps[] = {{"SCMP_CMP_NE", SCMP_CMP_NE},
                                                     {"SCMP_CMP_LT", SCMP_CMP_LT},
                                                     {"SCMP_CMP_LE", SCMP_CMP_LE},
                                                     {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                                                     {"SCMP_CMP_GE", SCMP_CMP_GE},
                                                     {"SCMP_CMP_GT", SCMP_CMP_GT},
                                                     {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (const auto& [n, op] : kOps)
    if (name == n) return op;
  throw Error(Errc::usage, "seccomp profile: unknown argument operator " + quote(name));
}

// The architecture names docker's profiles use, for the one we run on.
std::string native_arch() {
  switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64:
      return "SCMP_ARCH_X86_64";
    case SCMP_ARCH_AARCH64:
      return "SCMP_ARCH_AARCH64";
    case SCMP_ARCH_X86:
      return "SCMP_ARCH_X86";
    case SCMP_ARCH_ARM:
      return "SCMP_ARCH_ARM";
    case SCMP_ARCH_PPC64LE:
      return "SCMP_ARCH_PPC64LE";
    case SCMP_ARCH_S390X:
      return "SCMP_ARCH_S390X";
    case SCMP_ARCH_RISCV64:
      return "SCMP_ARCH_RISCV64";
    default:
      return "";
  }
}

// includes/excludes: {"caps": [...], "arches": [...]}.
bool condition_holds(const json& cond, uint64_t caps, bool all_must_match) {
  auto has_cap = [&](const std::string& c) {
    int n = capability_number(c);
    return n < 0 || has(caps, n);
  };
  bool result = all_must_match;
  if (auto it = cond.find("caps"); it != cond.end() && it->is_array() && !it->empty()) {
    for (const auto& c : *it) {
      bool h = has_cap(c.get<std::string>());
      if (all_must_match && !h) return false;
      if (!all_must_match && h) return true;
    }
  }
  if (auto it = cond.find("arches"); it != cond.end() && it->is_array() && !it->empty()) {
    bool found = false;
    static const std::pair<const char*, const char*> kGoNames[] = {
        {"amd64", "SCMP_ARCH_X86_64"},    {"arm64", "SCMP_ARCH_AARCH64"},
        {"386", "SCMP_ARCH_X86"},         {"arm", "SCMP_ARCH_ARM"},
        {"ppc64le", "SCMP_ARCH_PPC64LE"}, {"s390x", "SCMP_ARCH_S390X"},
        {"riscv64", "SCMP_ARCH_RISCV64"}};
    for (const auto& a : *it) {
      std::string name = a.get<std::string>();
      for (const auto& [go, scmp] : kGoNames)
        if (name == go) name = scmp;
      if (name == native_arch()) found = true;
    }
    if (all_must_match && !found) return false;
    if (!all_must_match && found) return true;
  }
  return result;
}

}  // namespace

SeccompProfile parse_seccomp_profile(const json& j, uint64_t caps) {
  if (!j.is_object()) throw Error(Errc::usage, "seccomp profile: not a JSON object");
  SeccompProfile p;
  try {
    int default_errno = j.value("defaultErrnoRet", EPERM);
    p.default_action = profile_action(j.value("defaultAction", ""), default_errno);
    for (const auto& sc : j.value("syscalls", json::array())) {
      if (auto inc = sc.find("includes"); inc != sc.end() && !condition_holds(*inc, caps, true))
        continue;
      if (auto exc = sc.find("excludes"); exc != sc.end() && condition_holds(*exc, caps, false))
        continue;
      SeccompRule r;
      if (sc.contains("names")) r.names = sc["names"].get<std::vector<std::string>>();
      if (sc.contains("name")) r.names.push_back(sc["name"].get<std::string>());
      if (r.names.empty()) throw Error(Errc::usage, "seccomp profile: a rule without names");
      r.action = profile_action(sc.value("action", ""), sc.value("errnoRet", default_errno));
      for (const auto& a : sc.value("args", json::array())) {
        if (a.is_null()) continue;
        SeccompRule::Arg arg;
        arg.index = a.value("index", 0u);
        if (arg.index > 5) throw Error(Errc::usage, "seccomp profile: argument index above 5");
        arg.value = a.value("value", uint64_t{0});
        arg.value_two = a.value("valueTwo", uint64_t{0});
        arg.op = profile_op(a.value("op", ""));
        r.args.push_back(arg);
      }
      p.rules.push_back(std::move(r));
    }
  } catch (const json::exception& e) {
    throw Error(Errc::usage, std::string("seccomp profile: ") + e.what());
  }
  return p;
}

Bpf compile_seccomp_profile(const SeccompProfile& p) {
  Filter filter(p.default_action);
  scmp_filter_ctx ctx = filter.ctx;
  for (const auto& r : p.rules) {
    if (r.action == p.default_action) continue;  // libseccomp refuses no-op rules
    std::vector<scmp_arg_cmp> cmps;
    for (const auto& a : r.args)
      cmps.push_back({a.index, static_cast<scmp_compare>(a.op), a.value, a.value_two});
    for (const auto& name : r.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // unknown here, as runc skips them
      int rc = seccomp_rule_add_array(ctx, r.action, nr, static_cast<unsigned>(cmps.size()),
                                      cmps.empty() ? nullptr : cmps.data());
      if (rc < 0 && rc != -EEXIST)
        throw Error(Errc::io, "seccomp: rule for " + name + ": " + std::strerror(-rc));
    }
  }
  return filter.compile("profile");
}

}  // namespace tug::runtime
