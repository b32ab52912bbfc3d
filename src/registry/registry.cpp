// Registry operations other than pull and push: manifests, login, search.
#include "registry/registry.hpp"

#include <algorithm>

#include "registry/internal.hpp"
#include "registry/manifest.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::registry {

namespace detail {

std::unique_ptr<Client> make_client(const std::string& host, bool insecure, const Options& o,
                                    const RegistriesConf& conf, const std::string& repository) {
  ClientOptions co;
  co.repository = repository;
  co.tls_verify = o.tls_verify;
  co.insecure_config = insecure || conf.insecure(host);
  co.cert_dir = o.cert_dir;
  co.authfile = o.authfile;
  if (!o.creds.empty()) co.creds = parse_creds(o.creds);
  return std::make_unique<Client>(host, co);
}

std::string manifest_ref(const image::Reference& r) {
  return r.digest.empty() ? r.tag : r.digest;
}

Fetched get_manifest(Client& c, const std::string& repo, const std::string& ref,
                     const std::string& what) {
  Request req;
  req.path = "/v2/" + repo + "/manifests/" + ref;
  req.headers = {manifest_accept()};
  req.scope = pull_scope(repo);
  Response r = c.perform(req);
  if (r.status != 200) throw c.error_of(r, "reading manifest " + what);
  Fetched f{r.body, r.header("content-type"), "sha256:" + sha256_hex(r.body)};
  if (starts_with(ref, "sha256:") && f.digest != ref)
    throw Error(Errc::corrupt,
                "manifest " + ref + ": digest mismatch: received content is " + f.digest);
  if (!starts_with(ref, "sha256:") && ref.find(':') != std::string::npos)
    throw Error(Errc::unsupported, "unsupported digest algorithm in " + quote(ref));
  return f;
}

}  // namespace detail

using namespace detail;

std::string registry_reference(const std::string& text) {
  std::string t = text;
  if (starts_with(t, "docker://")) t = t.substr(9);
  for (const char* other :
       {"docker-archive:", "oci-archive:", "oci:", "dir:", "containers-storage:", "docker-daemon:"})
    if (starts_with(t, other))
      throw Error(Errc::unsupported,
                  "transport " +
                      quote(std::string(other).substr(0, std::string(other).size() - 1)) +
                      " is not supported here");
  return t;
}

std::optional<std::string> remote_digest(const std::string& text, const Options& o) {
  auto conf = RegistriesConf::load();
  auto cands = conf.candidates(registry_reference(text));
  for (const auto& ref : cands) {
    for (const auto& ep : conf.endpoints(ref, true)) {
      auto client = make_client(ep.registry, ep.insecure, o, conf, ep.repository);
      Request req;
      req.method = "HEAD";
      req.path = "/v2/" + ep.repository + "/manifests/" + manifest_ref(ref);
      req.headers = {manifest_accept()};
      req.scope = pull_scope(ep.repository);
      Response r = client->perform(req);
      if (r.status == 200) {
        std::string d = r.header("docker-content-digest");
        if (!d.empty()) return d;
        // No digest header: read the manifest to hash it.
        return get_manifest(*client, ep.repository, manifest_ref(ref), ref.str()).digest;
      }
      if (r.status != 404) throw client->error_of(r, "checking " + ref.str());
    }
  }
  return std::nullopt;
}

RawManifest fetch_manifest(const std::string& text, const Options& o) {
  auto conf = RegistriesConf::load();
  auto cands = conf.candidates(registry_reference(text));
  std::optional<Error> last;
  for (const auto& ref : cands) {
    for (const auto& ep : conf.endpoints(ref, true)) {
      try {
        auto client = make_client(ep.registry, ep.insecure, o, conf, ep.repository);
        Fetched f = get_manifest(*client, ep.repository, manifest_ref(ref), ref.str());
        RawManifest m{f.bytes, "", f.digest};
        json doc = parse_json(f.bytes, "manifest of " + ref.str());
        manifest_kind(f.content_type, doc, &m.media_type);
        return m;
      } catch (const Error& e) {
        if (e.code() == Errc::corrupt) throw;
        last = e;
      }
    }
  }
  if (last) throw *last;
  throw Error(Errc::not_found, text + ": no registry to look in");
}

void login(const std::string& registry, const Credentials& c, const Options& o) {
  auto conf = RegistriesConf::load();
  std::string host = registry.substr(0, registry.find('/'));
  // The file the login goes to must be readable before the registry is
  // asked (podman reads it first too).
  AuthFile(o.authfile).lookup(host, "");
  Options with = o;
  with.creds = c.username + ":" + c.password;
  auto client = make_client(host, false, with, conf);
  client->check_login();
  AuthFile(o.authfile).store(registry, c);
}

std::optional<Credentials> stored_credentials(const std::string& registry, const Options& o) {
  std::string host = registry.substr(0, registry.find('/'));
  std::string repo =
      registry.find('/') == std::string::npos ? "" : registry.substr(registry.find('/') + 1);
  return AuthFile(o.authfile).lookup(host, repo);
}

bool logout(const std::string& registry, const Options& o) {
  return AuthFile(o.authfile).remove(registry);
}

bool logout_all(const Options& o) {
  return AuthFile(o.authfile).remove_all();
}

std::vector<SearchHit> search(const std::string& term, int limit, const Options& o) {
  auto conf = RegistriesConf::load();
  std::vector<std::string> hosts;
  std::string words = term;
  size_t slash = term.find('/');
  if (slash != std::string::npos) {
    std::string head = term.substr(0, slash);
    if (head.find_first_of(".:") != std::string::npos || head == "localhost") {
      hosts.push_back(head);
      words = term.substr(slash + 1);
    }
  }
  if (hosts.empty()) hosts = conf.unqualified_search;
  if (hosts.empty()) hosts.push_back("docker.io");
  std::vector<SearchHit> out;
  for (const auto& host : hosts) {
    auto client = make_client(host, false, o, conf);
    Request v1;
    v1.path = "/v1/search?q=" + words + "&n=" + std::to_string(limit);
    Response r = client->perform(v1);
    if (r.status == 200) {
      json j = parse_json(r.body, "search results of " + host);
      for (const auto& res : j.value("results", json::array())) {
        SearchHit h;
        h.name = host + "/" + json_str(res, "name");
        h.description = json_str(res, "description");
        h.stars = res.value("star_count", 0);
        h.official = res.value("is_official", false);
        h.automated = res.value("is_automated", false);
        out.push_back(h);
      }
      continue;
    }
    // Registries without v1 search (the distribution registry) may list
    // their repositories; filter that list by the term.
    Request cat;
    cat.path = "/v2/_catalog?n=1000";
    Response rc = client->perform(cat);
    if (rc.status != 200)
      throw Error(Errc::unsupported, "registry " + host +
                                         " does not offer search (v1 search: HTTP " +
                                         std::to_string(r.status) + ", v2 catalog: HTTP " +
                                         std::to_string(rc.status) + ")");
    json j = parse_json(rc.body, "catalog of " + host);
    for (const auto& repo : j.value("repositories", json::array())) {
      if (!repo.is_string()) continue;
      std::string name = repo.get<std::string>();
      if (name.find(words) == std::string::npos) continue;
      SearchHit h;
      h.name = host + "/" + name;
      out.push_back(h);
    }
  }
  if (limit > 0 && static_cast<int>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

}  // namespace tug::registry
