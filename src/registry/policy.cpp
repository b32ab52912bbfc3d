// containers-policy.json(5): lookup, validation, scope precedence, and the
// file edits of `tug image trust set`.
#include "registry/policy.hpp"

#include <unistd.h>

#include <cstdlib>
#include <map>

#include "config/paths.hpp"
#include "image/reference.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::registry {

namespace {

const char* kSystemPolicy = "/etc/containers/policy.json";

Error bad(const std::string& path, const std::string& what) {
  return Error(Errc::invalid, "invalid policy in " + path + ": " + what,
               "see containers-policy.json(5)");
}

void check_fields(const json& r, const std::string& path, const std::string& where,
                  std::initializer_list<const char*> allowed) {
  for (auto it = r.begin(); it != r.end(); ++it) {
    bool ok = false;
    for (const char* a : allowed) ok |= it.key() == a;
    if (!ok) throw bad(path, where + ": unknown field " + quote(it.key()));
  }
}

void check_identity(const json& id, const std::string& path, const std::string& where) {
  if (!id.is_object()) throw bad(path, where + ": signedIdentity must be an object");
  std::string t = json_str(id, "type");
  std::string w = where + ": signedIdentity";
  if (t == "matchExact" || t == "matchRepoDigestOrExact" || t == "matchRepository") {
    check_fields(id, path, w, {"type"});
  } else if (t == "exactReference") {
    check_fields(id, path, w, {"type", "dockerReference"});
    std::string r = json_str(id, "dockerReference");
    if (r.empty()) throw bad(path, w + ": exactReference needs dockerReference");
    image::Reference ref = with_context(w, [&] { return image::parse_reference(r); });
    if (ref.short_name || (r.find(':') == std::string::npos && r.find('@') == std::string::npos))
      throw bad(path, w + ": dockerReference " + quote(r) + " must name a tag or digest");
  } else if (t == "exactRepository") {
    check_fields(id, path, w, {"type", "dockerRepository"});
    if (json_str(id, "dockerRepository").empty())
      throw bad(path, w + ": exactRepository needs dockerRepository");
  } else if (t == "remapIdentity") {
    check_fields(id, path, w, {"type", "prefix", "signedPrefix"});
    if (json_str(id, "prefix").empty() || json_str(id, "signedPrefix").empty())
      throw bad(path, w + ": remapIdentity needs prefix and signedPrefix");
  } else {
    throw bad(path, w + ": unknown type " + quote(t));
  }
}

void check_key_source(const json& r, const std::string& path, const std::string& where,
                      bool paths_allowed) {
  int n = 0;
  if (r.contains("keyPath")) {
    if (!r["keyPath"].is_string()) throw bad(path, where + ": keyPath must be a string");
    ++n;
  }
  if (r.contains("keyPaths")) {
    if (!paths_allowed) throw bad(path, where + ": unknown field \"keyPaths\"");
    if (!r["keyPaths"].is_array() || r["keyPaths"].empty())
      throw bad(path, where + ": keyPaths must be a non-empty list of files");
    for (const auto& p : r["keyPaths"])
      if (!p.is_string()) throw bad(path, where + ": keyPaths must be a list of files");
    ++n;
  }
  if (r.contains("keyData")) {
    if (!r["keyData"].is_string()) throw bad(path, where + ": keyData must be a base64 string");
    ++n;
  }
  if (n != 1)
    throw bad(path, where + ": exactly one of keyPath" +
                        std::string(paths_allowed ? ", keyPaths" : "") +
                        " and keyData must be given");
}

void check_requirements(const json& list, const std::string& path, const std::string& where) {
  if (!list.is_array()) throw bad(path, where + ": must be a list of requirements");
  if (list.empty()) throw bad(path, where + ": the list of requirements is empty");
  for (const auto& r : list) {
    if (!r.is_object()) throw bad(path, where + ": a requirement must be an object");
    std::string t = json_str(r, "type");
    if (t == "insecureAcceptAnything" || t == "reject") {
      check_fields(r, path, where, {"type"});
    } else if (t == "signedBy") {
      check_fields(r, path, where,
                   {"type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"});
      // Key types tug cannot check are valid in the file (a system policy
      // may name them for registries never used here); a pull that meets
      // one is refused (trust.cpp).
      std::string kt = json_str(r, "keyType");
      if (kt != "GPGKeys" && kt != "signedByGPGKeys" && kt != "X509Certificates" &&
          kt != "signedByX509CAs")
        throw bad(path, where + ": unknown keyType " + quote(kt));
      check_key_source(r, path, where, true);
      if (r.contains("signedIdentity")) check_identity(r["signedIdentity"], path, where);
    } else if (t == "sigstoreSigned") {
      check_fields(r, path, where,
                   {"type", "keyPath", "keyData", "fulcio", "rekorPublicKeyPath",
                    "rekorPublicKeyData", "signedIdentity"});
      if (!r.contains("fulcio")) check_key_source(r, path, where, false);
      if (r.contains("signedIdentity")) check_identity(r["signedIdentity"], path, where);
    } else if (t.empty()) {
      throw bad(path, where + ": a requirement has no type");
    } else {
      throw bad(path, where + ": unknown requirement type " + quote(t));
    }
  }
}

// Splits "host/a/b:tag" or "host/a/b@sha256:..." into name and the suffix.
std::string name_part(const std::string& ref) {
  if (auto at = ref.find('@'); at != std::string::npos) return ref.substr(0, at);
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return ref.substr(0, colon);
  return ref;
}

bool has_digest(const std::string& ref) {
  return ref.find('@') != std::string::npos;
}

bool match_repo_digest_or_exact(const std::string& image, const std::string& sig) {
  if (has_digest(image)) return name_part(image) == name_part(sig);
  return image == sig;
}

std::string normalise(const std::string& ref) {
  try {
    return image::parse_reference(ref).str();
  } catch (const Error&) {
    return {};
  }
}

std::string normalise_name(const std::string& name) {
  try {
    return image::parse_reference(name).name();
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

std::string user_policy_file() {
  const char* x = std::getenv("XDG_CONFIG_HOME");
  std::string base = x && *x ? std::string(x) : home_dir() + "/.config";
  return base + "/containers/policy.json";
}

std::string policy_file(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    if (!path_exists(explicit_path))
      throw Error(Errc::not_found, "signature policy " + explicit_path + " does not exist");
    return explicit_path;
  }
  if (std::string u = user_policy_file(); path_exists(u)) return u;
  if (path_exists(kSystemPolicy)) return kSystemPolicy;
  return {};
}

Policy Policy::parse(const std::string& text, const std::string& path) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw bad(path, std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) throw bad(path, "the top level must be an object");
  check_fields(doc, path, "top level", {"default", "transports"});
  if (!doc.contains("default")) throw bad(path, "\"default\" is missing");
  check_requirements(doc["default"], path, "default");
  if (doc.contains("transports")) {
    const json& ts = doc["transports"];
    if (!ts.is_object()) throw bad(path, "\"transports\" must be an object");
    for (auto t = ts.begin(); t != ts.end(); ++t) {
      if (!t->is_object()) throw bad(path, "transports." + t.key() + " must be an object");
      for (auto s = t->begin(); s != t->end(); ++s) {
        std::string where = "transports." + t.key() + "[" + quote(s.key()) + "]";
        if (t.key() == "docker" && !s.key().empty() && !starts_with(s.key(), "*.") &&
            s.key().find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ ") != std::string::npos)
          throw bad(path, where + ": invalid scope");
        check_requirements(*s, path, where);
      }
    }
  }
  Policy p;
  p.path_ = path;
  p.doc_ = std::move(doc);
  return p;
}

Policy Policy::load(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) throw Error(Errc::not_found, "signature policy " + path + " does not exist");
  return parse(*text, path);
}

Policy::Match Policy::requirements_for(const std::string& transport,
                                       const std::vector<std::string>& scopes) const {
  if (auto ts = doc_.find("transports"); ts != doc_.end()) {
    if (auto t = ts->find(transport); t != ts->end()) {
      for (const auto& s : scopes)
        if (auto it = t->find(s); it != t->end())
          return {s, "transports." + transport + "[" + quote(s) + "]", *it};
      if (auto it = t->find(""); it != t->end())
        return {"", "transports." + transport + "[\"\"]", *it};
    }
  }
  return {"default", "default", doc_["default"]};
}

std::vector<std::string> docker_scopes(const std::string& reference) {
  std::vector<std::string> out{reference};
  std::string name = name_part(reference);
  // Repository, then each namespace upward, then the host.
  for (std::string s = name;;) {
    if (s != reference) out.push_back(s);
    auto slash = s.rfind('/');
    if (slash == std::string::npos) break;
    s = s.substr(0, slash);
  }
  // Wildcards: *.example.com, then *.com, for host a.example.com.
  std::string host = name.substr(0, name.find('/'));
  host = host.substr(0, host.find(':'));
  for (auto dot = host.find('.'); dot != std::string::npos; dot = host.find('.', dot + 1))
    out.push_back("*" + host.substr(dot));
  return out;
}

std::vector<std::string> path_scopes(const std::string& path) {
  std::vector<std::string> out;
  if (path.empty()) return out;
  std::string p = path;
  if (p[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr) throw_errno("getcwd");
    p = path_join(cwd, p);
  }
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  for (;;) {
    out.push_back(p);
    if (p == "/") break;
    auto slash = p.rfind('/');
    p = slash == 0 ? "/" : p.substr(0, slash);
  }
  return out;
}

void check_local_policy(const std::string& explicit_path, const std::string& transport,
                        const std::string& path) {
  std::string file = policy_file(explicit_path);
  if (file.empty()) return;
  Policy p = Policy::load(file);
  std::vector<std::string> scopes = path_scopes(path);
  Policy::Match m = p.requirements_for(transport, scopes);
  std::string name = transport + ":" + (path.empty() ? "-" : scopes.front());
  for (const auto& r : m.requirements) {
    std::string t = json_str(r, "type");
    if (t == "insecureAcceptAnything") continue;
    throw Error(Errc::permission,
                "Source image rejected: " +
                    (t == "reject" ? "Running image " + name + " is rejected by policy."
                                   : std::string("A signature was required, but no signature "
                                                 "exists")),
                "refused by the requirement " + m.where + " of " + file);
  }
}

bool identity_matches(const json& id, const std::string& image_ref,
                      const std::string& signature_ref) {
  std::string sig = normalise(signature_ref);
  if (sig.empty()) return false;
  std::string t =
      id.is_object() ? json_str(id, "type", "matchRepoDigestOrExact") : "matchRepoDigestOrExact";
  if (t == "matchRepoDigestOrExact") return match_repo_digest_or_exact(image_ref, sig);
  if (t == "matchExact") return image_ref == sig;
  if (t == "matchRepository") return name_part(image_ref) == name_part(sig);
  if (t == "exactReference") return normalise(json_str(id, "dockerReference")) == sig;
  if (t == "exactRepository")
    return normalise_name(json_str(id, "dockerRepository")) == name_part(sig);
  if (t == "remapIdentity") {
    std::string prefix = json_str(id, "prefix"), signed_prefix = json_str(id, "signedPrefix");
    std::string img = image_ref;
    // The prefix matches whole components: "example.com/a" is a prefix of
    // "example.com/a/b" and "example.com/a:tag", not of "example.com/ab".
    if (starts_with(img, prefix) && (img.size() == prefix.size() || img[prefix.size()] == '/' ||
                                     img[prefix.size()] == ':' || img[prefix.size()] == '@')) {
      std::string remapped = normalise(signed_prefix + img.substr(prefix.size()));
      if (!remapped.empty()) img = remapped;
    }
    return match_repo_digest_or_exact(img, sig);
  }
  throw Error(Errc::invalid, "unknown signedIdentity type " + quote(t));
}

std::vector<TrustRow> trust_rows(const Policy& p) {
  auto type_of = [](const json& reqs) {
    std::string t = reqs.empty() ? "" : json_str(reqs[0], "type");
    if (t == "insecureAcceptAnything") return std::string("accept");
    if (t == "signedBy") return std::string("signed");
    return t;
  };
  auto ids_of = [](const json& reqs) {
    std::vector<std::string> ids;
    for (const auto& r : reqs) {
      if (r.contains("keyPath")) ids.push_back(json_str(r, "keyPath"));
      for (const auto& k : r.value("keyPaths", json::array()))
        if (k.is_string()) ids.push_back(k.get<std::string>());
      if (r.contains("keyData")) ids.push_back("(keyData)");
    }
    return join(ids, ", ");
  };
  std::vector<TrustRow> rows;
  const json& d = p.document()["default"];
  rows.push_back({"all", "default", type_of(d), ids_of(d), ""});
  const json transports = p.document().value("transports", json::object());
  for (const auto& [transport, scopes] : transports.items()) {
    std::string tname = transport == "docker" ? "repository" : transport;
    // The transport's default first, then the scopes in the file's order.
    if (auto it = scopes.find(""); it != scopes.end())
      rows.push_back({tname, "", type_of(*it), ids_of(*it), ""});
    for (const auto& [scope, reqs] : scopes.items())
      if (!scope.empty()) rows.push_back({tname, scope, type_of(reqs), ids_of(reqs), ""});
  }
  return rows;
}

void trust_set(const std::string& path, const std::string& scope, const std::string& type,
               const std::vector<std::string>& pubkeys) {
  json doc;
  if (auto text = read_file_if_exists(path)) {
    doc = Policy::parse(*text, path).document();
  } else {
    doc = {{"default", json::array({{{"type", "insecureAcceptAnything"}}})}};
  }
  json reqs = json::array();
  if (type == "accept") {
    reqs.push_back({{"type", "insecureAcceptAnything"}});
  } else if (type == "reject") {
    reqs.push_back({{"type", "reject"}});
  } else if (type == "signedBy") {
    if (pubkeys.empty())
      throw Error(Errc::usage, "at least one public key must be defined for type 'signedBy'",
                  "name the key files with --pubkeysfile");
    for (const auto& k : pubkeys)
      reqs.push_back({{"type", "signedBy"}, {"keyType", "GPGKeys"}, {"keyPath", k}});
  } else {
    throw Error(Errc::usage, "invalid trust type " + quote(type), "use accept, reject or signedBy");
  }
  if (type != "signedBy" && !pubkeys.empty())
    throw Error(Errc::usage, "--pubkeysfile is only for --type signedBy");
  if (scope == "default") {
    doc["default"] = reqs;
  } else {
    if (scope.empty() || scope.find_first_of(" \t") != std::string::npos)
      throw Error(Errc::usage, "invalid registry scope " + quote(scope));
    doc["transports"]["docker"][scope] = reqs;
  }
  // Checked as a whole before it replaces the file.
  Policy::parse(doc.dump(), path);
  make_dirs(dirname_of(path), 0700);
  atomic_write(path, doc.dump(4) + "\n", 0644);
}

}  // namespace tug::registry
