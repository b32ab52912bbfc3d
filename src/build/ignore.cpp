#include "build/ignore.hpp"

#include <fnmatch.h>

#include <sstream>

#include "util/strings.hpp"

namespace tug::build {

namespace {

std::vector<std::string> parts_of(const std::string& path) {
  std::vector<std::string> out;
  for (auto& p : split(path, '/'))
    if (!p.empty()) out.push_back(p);
  return out;
}

// Pattern components against path components; "**" takes any number.
bool match(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& path,
           size_t si) {
  if (pi == pat.size()) return si == path.size();
  if (pat[pi] == "**") {
    for (size_t k = si; k <= path.size(); ++k)
      if (match(pat, pi + 1, path, k)) return true;
    return false;
  }
  if (si == path.size()) return false;
  if (::fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
  return match(pat, pi + 1, path, si + 1);
}

}  // namespace

std::string clean_relative(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& p : split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(p);
  }
  return out.empty() ? "." : join(out, "/");
}

IgnoreMatcher IgnoreMatcher::parse(const std::string& text) {
  IgnoreMatcher m;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] == '#') continue;
    line = trim(line);
    if (line.empty()) continue;
    m.add(line);
  }
  return m;
}

void IgnoreMatcher::add(const std::string& text) {
  Pattern p;
  std::string t = text;
  if (!t.empty() && t[0] == '!') {
    p.exclude = false;
    exceptions_ = true;
    t = trim(t.substr(1));
  }
  std::string c = clean_relative(t);
  if (c == ".") return;
  p.parts = parts_of(c);
  patterns_.push_back(std::move(p));
}

bool IgnoreMatcher::excluded(const std::string& rel) const {
  auto path = parts_of(clean_relative(rel));
  bool out = false;
  for (const auto& p : patterns_) {
    // The pattern matches the path or one of its parent directories.
    bool hit = false;
    for (size_t n = 1; n <= path.size() && !hit; ++n) {
      std::vector<std::string> prefix(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(n));
      hit = match(p.parts, 0, prefix, 0);
    }
    if (hit) out = p.exclude;
  }
  return out;
}

}  // namespace tug::build
