#include "container/processes.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <sstream>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::container {

bool parse_proc_stat(const std::string& text, ProcessInfo* p) {
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  p->pid = static_cast<pid_t>(std::stol(text.substr(0, open)));
  if (p->cmd.empty()) p->cmd = "[" + text.substr(open + 1, close - open - 1) + "]";
  std::istringstream in(text.substr(close + 2));
  std::vector<std::string> f;
  std::string s;
  while (in >> s) f.push_back(s);
  // f[0] is field 3 (state).
  if (f.size() < 22) return false;
  p->ppid = static_cast<pid_t>(std::stol(f[1]));
  int tty_nr = std::stoi(f[4]);
  int major = (tty_nr >> 8) & 0xfff, minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
  p->tty = tty_nr == 0 ? "?" : major == 136 ? "pts/" + std::to_string(minor) : "?";
  p->utime = std::stoull(f[11]);
  p->stime = std::stoull(f[12]);
  p->start = std::stoull(f[19]);
  p->rss = std::stoll(f[21]) * ::sysconf(_SC_PAGESIZE);
  return true;
}

std::vector<ProcessInfo> processes_of(pid_t init_pid) {
  std::vector<ProcessInfo> out;
  struct stat target;
  if (::stat(("/proc/" + std::to_string(init_pid) + "/ns/pid").c_str(), &target) != 0) return out;
  for (const auto& name : list_dir("/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st;
    if (::stat(("/proc/" + name + "/ns/pid").c_str(), &st) != 0 || st.st_ino != target.st_ino ||
        st.st_dev != target.st_dev)
      continue;
    ProcessInfo p;
    std::optional<std::string> cmdline, stat_text;
    try {
      cmdline = read_file_if_exists("/proc/" + name + "/cmdline");
      stat_text = read_file_if_exists("/proc/" + name + "/stat");
    } catch (const Error&) {
      continue;  // exited between open and read (ESRCH): not listed
    }
    std::string cmd = cmdline.value_or("");
    for (char& c : cmd)
      if (c == '\0') c = ' ';
    p.cmd = trim(cmd);
    if (!stat_text || !parse_proc_stat(*stat_text, &p)) continue;
    struct stat owner;
    if (::stat(("/proc/" + name).c_str(), &owner) == 0) p.uid = owner.st_uid;
    out.push_back(p);
  }
  return out;
}

}  // namespace tug::container
