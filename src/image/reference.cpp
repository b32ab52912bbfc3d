#include "image/reference.hpp"

#include <cctype>

#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::image {

namespace {

[[noreturn]] void bad(const std::string& text, const std::string& detail = {}) {
  std::string msg = "parsing reference " + quote(text) + ": invalid reference format";
  if (!detail.empty()) msg += ": " + detail;
  throw Error(Errc::invalid, msg);
}

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_path_component(const std::string& c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    if (c[i] == '-') {
      while (j < c.size() && c[j] == '-') ++j;
    } else if (c[i] == '_') {
      j = (j + 1 < c.size() && c[j + 1] == '_') ? j + 2 : j + 1;
    } else if (c[i] == '.') {
      j = i + 1;
    } else {
      return false;
    }
    if (j >= c.size() || !is_lower_alnum(c[j])) return false;
    i = j;
  }
  return true;
}

// host components [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])? joined by '.',
// optionally ":port"; or a bracketed IPv6 address.
bool valid_domain(const std::string& d) {
  std::string host = d, port;
  if (!d.empty() && d[0] == '[') {
    size_t close = d.find(']');
    if (close == std::string::npos) return false;
    for (size_t i = 1; i < close; ++i)
      if (!std::isxdigit(static_cast<unsigned char>(d[i])) && d[i] != ':') return false;
    std::string rest = d.substr(close + 1);
    if (rest.empty()) return true;
    if (rest[0] != ':') return false;
    port = rest.substr(1);
    host.clear();
  } else if (size_t colon = d.find(':'); colon != std::string::npos) {
    host = d.substr(0, colon);
    port = d.substr(colon + 1);
    if (port.empty()) return false;
  }
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  if (d[0] == '[') return true;
  for (const auto& comp : split(host, '.')) {
    if (comp.empty() || !is_alnum(comp.front()) || !is_alnum(comp.back())) return false;
    for (char c : comp)
      if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

bool valid_tag(const std::string& t) {
  if (t.empty() || t.size() > 128) return false;
  if (!is_alnum(t[0]) && t[0] != '_') return false;
  for (char c : t)
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

}  // namespace

std::string Reference::name() const {
  return registry + "/" + repository;
}

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Reference parse_reference(const std::string& text) {
  if (text.empty()) bad(text);
  Reference r;
  std::string rest = text;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    r.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!is_sha256_digest(r.digest)) bad(text, "invalid digest");
  }
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    r.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!valid_tag(r.tag)) bad(text);
  }
  if (rest.empty()) bad(text);
  if (rest.size() > 255) bad(text, "repository name must not be more than 255 characters");

  std::string domain, path;
  size_t first = rest.find('/');
  if (first == std::string::npos) {
    path = rest;
  } else {
    std::string head = rest.substr(0, first);
    bool has_upper = false;
    for (char c : head) has_upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
    if (head.find_first_of(".:") != std::string::npos || head == "localhost" || has_upper) {
      domain = head;
      path = rest.substr(first + 1);
    } else {
      path = rest;
    }
  }
  if (!domain.empty() && !valid_domain(domain)) bad(text);
  for (const auto& comp : split(path, '/')) {
    if (valid_path_component(comp)) continue;
    std::string lower = comp;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != comp && valid_path_component(lower))
      bad(text, "repository name must be lowercase");
    bad(text);
  }
  // docker refuses names that look like image ids, so "tug run <id>" can
  // never be mistaken for a repository called <id>.
  if (domain.empty() && is_hex64(path))
    bad(text, "cannot specify 64-byte hexadecimal strings as a repository name");

  r.short_name = domain.empty();
  if (domain.empty() || domain == "index.docker.io") domain = "docker.io";
  if (domain == "docker.io" && path.find('/') == std::string::npos) path = "library/" + path;
  r.registry = domain;
  r.repository = path;
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

Reference parse_local_reference(const std::string& text) {
  Reference r = parse_reference(text);
  if (!r.short_name) return r;
  r.registry = "localhost";
  if (starts_with(r.repository, "library/") && text.find('/') == std::string::npos)
    r.repository = r.repository.substr(8);
  r.short_name = false;
  return r;
}

}  // namespace tug::image
