#pragma once
// .containerignore / .dockerignore: docker's pattern rules. One pattern a
// line, '#' comments, blank lines skipped; paths are cleaned and a leading
// '/' dropped; '*', '?', '[...]' and '\' work within one path component,
// '**' spans any number of them; a pattern that matches a directory
// excludes everything below it; '!' re-includes; the last match wins.
#include <string>
#include <vector>

namespace tug::build {

class IgnoreMatcher {
 public:
  IgnoreMatcher() = default;
  // Patterns as read from the file's text.
  static IgnoreMatcher parse(const std::string& text);
  void add(const std::string& pattern);

  // rel: a path relative to the context ("src/a.c"), '/'-separated.
  bool excluded(const std::string& rel) const;
  bool empty() const { return patterns_.empty(); }
  // True when some '!' pattern might re-include something below dir (a
  // walk must then look inside an excluded directory).
  bool has_exceptions() const { return exceptions_; }

 private:
  struct Pattern {
    std::vector<std::string> parts;
    bool exclude = true;
  };
  std::vector<Pattern> patterns_;
  bool exceptions_ = false;
};

// Cleans a path as Go's filepath.Clean does, relative ("a/./b/../c" -> "a/c",
// "" -> "."); leading "/" and "../" are dropped.
std::string clean_relative(const std::string& path);

}  // namespace tug::build
