#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "monitor/monitor.hpp"

namespace tug::monitor {

std::string timestamp_now() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf;
}

namespace {

// JSON string body: docker's json-file escapes as Go's encoding/json does
// for the characters that matter to a reader.
void json_escape(std::string& out, const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

bool write_all_fd(int fd, const std::string& s) {
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    left -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

void LogWriter::open(const LogConfig& config) {
  config_ = config;
  if (config_.max_file < 1) config_.max_file = 1;
}

void LogWriter::rotate() {
  ::close(fd_);
  fd_ = -1;
  const std::string& p = config_.path;
  if (config_.max_file <= 1) {
    if (::truncate(p.c_str(), 0) != 0) ::unlink(p.c_str());
  } else {
    for (int i = config_.max_file - 1; i >= 1; --i) {
      std::string from = i == 1 ? p : p + "." + std::to_string(i - 1);
      ::rename(from.c_str(), (p + "." + std::to_string(i)).c_str());
    }
  }
  size_ = 0;
}

void LogWriter::journal(const char* stream, const std::string& line) {
  // The native protocol: KEY=VALUE lines, MESSAGE in the binary form
  // (name, newline, 64-bit little-endian length, data) as it may hold
  // anything. One datagram per entry.
  std::string d;
  auto field = [&](const char* key, const std::string& value) {
    d += key;
    d += '=';
    d += value;
    d += '\n';
  };
  d += "MESSAGE\n";
  uint64_t len = line.size();
  for (int i = 0; i < 8; ++i) d += static_cast<char>((len >> (8 * i)) & 0xff);
  d += line;
  d += '\n';
  field("PRIORITY", std::strcmp(stream, "stderr") == 0 ? "3" : "6");
  field("CONTAINER_ID", config_.id.substr(0, 12));
  field("CONTAINER_ID_FULL", config_.id);
  field("CONTAINER_NAME", config_.name);
  if (!config_.tag.empty()) field("CONTAINER_TAG", config_.tag);
  field("SYSLOG_IDENTIFIER", config_.tag.empty() ? "tug" : config_.tag);
  if (fd_ < 0) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
  }
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, "/run/systemd/journal/socket", sizeof addr.sun_path - 1);
  ::sendto(fd_, d.data(), d.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&addr),
           sizeof addr);
}

void LogWriter::write(const char* stream, const char* data, size_t n) {
  if (n == 0) return;
  bool journald = config_.format == "journald";
  if (!journald && config_.path.empty()) return;
  if (!journald && fd_ < 0) {
    // Created on the first output: a container that prints nothing costs
    // no file (readers take a missing log as an empty one).
    fd_ = ::open(config_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      config_.path.clear();  // no log then; the output still reaches attach clients
      return;
    }
    struct stat st;
    size_ = ::fstat(fd_, &st) == 0 ? st.st_size : 0;
  }
  std::string ts = timestamp_now();
  std::string out;
  // Records are collected into one write, flushed early wherever the next
  // record would take the file past max-size: rotation happens between
  // records, so every file stays within the limit (but for a single record
  // larger than it).
  auto flush = [&] {
    if (!out.empty() && write_all_fd(fd_, out)) size_ += static_cast<long long>(out.size());
    out.clear();
  };
  size_t start = 0;
  while (start < n) {
    size_t end = start;
    while (end < n && data[end] != '\n') ++end;
    bool full = end < n;
    std::string rec;
    if (journald) {
      journal(stream, std::string(data + start, end - start));
    } else if (config_.format == "json-file") {
      rec += "{\"log\":\"";
      json_escape(rec, data + start, end - start + (full ? 1 : 0));
      rec += "\",\"stream\":\"";
      rec += stream;
      rec += "\",\"time\":\"";
      rec += ts;
      rec += "\"}\n";
    } else {
      rec += ts;
      rec += ' ';
      rec += stream;
      rec += full ? " F " : " P ";
      rec.append(data + start, end - start);
      rec += '\n';
    }
    start = full ? end + 1 : end;
    if (journald) continue;
    long long pending = size_ + static_cast<long long>(out.size() + rec.size());
    if (config_.max_size > 0 && pending > config_.max_size && (size_ > 0 || !out.empty())) {
      flush();
      rotate();
      // One write per chunk otherwise: O_APPEND keeps concurrent readers
      // from seeing a record torn in the middle.
      fd_ = ::open(config_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd_ < 0) {
        config_.path.clear();
        return;
      }
    }
    out += rec;
  }
  if (!journald) flush();
}

}  // namespace tug::monitor
