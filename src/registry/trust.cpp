// Image trust: the policy's requirements checked against signatures, and
// signatures made on push. See trust.hpp for the two signature kinds.
#include "registry/trust.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <set>
#include <variant>

#include "build_info.hpp"
#include "config/paths.hpp"
#include "registry/auth.hpp"
#include "registry/internal.hpp"
#include "registry/manifest.hpp"
#include "util/crypto.hpp"
#include "util/curl.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/gpgme.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::registry::detail {

namespace {

constexpr const char* kSimpleSigningType = "atomic container signature";
constexpr const char* kCosignType = "cosign container image signature";
constexpr const char* kCosignLayerType = "application/vnd.dev.cosign.simplesigning.v1+json";
constexpr const char* kCosignAnnotation = "dev.cosignproject.cosign/signature";

// ---- registries.d: where simple signatures are kept ----

struct LookasideConf {
  std::string read;   // lookaside (or sigstore, its older name)
  std::string write;  // lookaside-staging (or sigstore-staging), else read
};

std::string registries_d() {
  const char* x = std::getenv("XDG_CONFIG_HOME");
  std::string user =
      (x && *x ? std::string(x) : home_dir() + "/.config") + "/containers/registries.d";
  // As containers/image: the user's directory, when it exists, replaces the
  // system's.
  if (is_directory(user)) return user;
  return "/etc/containers/registries.d";
}

LookasideConf conf_of(const YAML::Node& n) {
  LookasideConf c;
  auto get = [&](const char* k) {
    return n[k] && n[k].IsScalar() ? n[k].as<std::string>() : std::string();
  };
  c.read = get("lookaside");
  if (c.read.empty()) c.read = get("sigstore");
  c.write = get("lookaside-staging");
  if (c.write.empty()) c.write = get("sigstore-staging");
  if (c.write.empty()) c.write = c.read;
  return c;
}

// The registries.d entry for reference: the most specific docker scope,
// else default-docker.
std::optional<LookasideConf> lookaside_conf(const std::string& reference) {
  std::string dir = registries_d();
  if (!is_directory(dir)) return std::nullopt;
  std::map<std::string, LookasideConf> scopes;
  std::optional<LookasideConf> deflt;
  std::vector<std::string> names = list_dir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (!ends_with(n, ".yaml")) continue;
    std::string path = dir + "/" + n;
    YAML::Node doc;
    try {
      doc = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
      throw Error(Errc::invalid, "parsing " + path + ": " + e.what());
    }
    if (!doc.IsMap()) continue;
    if (doc["default-docker"] && doc["default-docker"].IsMap()) {
      if (deflt) throw Error(Errc::invalid, path + ": default-docker is defined more than once");
      deflt = conf_of(doc["default-docker"]);
    }
    if (doc["docker"] && doc["docker"].IsMap())
      for (const auto& kv : doc["docker"]) {
        std::string scope = kv.first.as<std::string>();
        if (scopes.count(scope))
          throw Error(Errc::invalid, path + ": docker scope " + quote(scope) +
                                         " is defined more than once in " + dir);
        scopes[scope] = conf_of(kv.second);
      }
  }
  for (const auto& s : docker_scopes(reference))
    if (auto it = scopes.find(s); it != scopes.end()) return it->second;
  return deflt;
}

// URL/REPO@sha256=HEX/signature-N (N from 1): containers/image's layout.
std::string signature_url(const std::string& base, const image::Reference& ref,
                          const std::string& digest, int n) {
  std::string b = base;
  while (ends_with(b, "/")) b.pop_back();
  return b + "/" + ref.repository + "@sha256=" + digest_hex(digest) + "/signature-" +
         std::to_string(n);
}

std::string file_path_of(const std::string& url) {
  if (!starts_with(url, "file://"))
    throw Error(Errc::unsupported, "signature store " + url + " is not a file:// URL",
                "tug writes signatures only to local directories (lookaside-staging: file:///...)");
  return url.substr(7);
}

size_t collect(char* p, size_t sz, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, sz * n);
  return sz * n;
}

// The body of an http(s) URL; nullopt for a 404.
std::optional<std::string> http_get(const std::string& url) {
  CURL* h = dl::curl_easy_init();
  if (!h) throw Error(Errc::io, "cannot initialise libcurl");
  ScopeExit cleanup([&] { dl::curl_easy_cleanup(h); });
  std::string body;
  dl::curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  dl::curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  dl::curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
  dl::curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  dl::curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  CURLcode rc = dl::curl_easy_perform(h);
  if (rc != CURLE_OK)
    throw Error(Errc::io, "reading signature " + url + ": " + dl::curl_easy_strerror(rc));
  long status = 0;
  dl::curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status == 404) return std::nullopt;
  if (status != 200)
    throw Error(Errc::io, "reading signature " + url + ": HTTP status " + std::to_string(status));
  return body;
}

// Every signature the lookaside store holds for the image, in order.
std::vector<std::string> lookaside_signatures(const image::Reference& ref,
                                              const std::string& digest) {
  std::vector<std::string> out;
  auto conf = lookaside_conf(ref.str());
  if (!conf || conf->read.empty()) return out;
  for (int n = 1;; ++n) {
    std::string url = signature_url(conf->read, ref, digest, n);
    std::optional<std::string> sig;
    if (starts_with(url, "file://"))
      sig = read_file_if_exists(url.substr(7));
    else if (starts_with(url, "http://") || starts_with(url, "https://"))
      sig = http_get(url);
    else
      throw Error(Errc::unsupported, "lookaside " + conf->read + ": unsupported URL scheme");
    if (!sig) break;
    out.push_back(std::move(*sig));
  }
  return out;
}

// ---- payloads ----

std::string make_payload(const char* type, const image::Reference& ref, const std::string& digest) {
  json p = {{"critical",
             {{"type", type},
              {"image", {{"docker-manifest-digest", digest}}},
              {"identity", {{"docker-reference", ref.str()}}}}},
            {"optional",
             {{"creator", std::string("tug ") + TUG_VERSION},
              {"timestamp", static_cast<int64_t>(std::time(nullptr))}}}};
  return p.dump();
}

// Checks a verified payload's type, digest and identity; the refusal text
// when it does not fit.
std::optional<std::string> payload_problem(const std::string& payload, const char* want_type,
                                           const std::string& manifest_digest,
                                           const std::string& image_ref, const json& identity) {
  json p;
  try {
    p = json::parse(payload);
  } catch (const json::parse_error&) {
    return "Invalid signature format: the payload is not JSON";
  }
  if (!p.is_object() || !p.contains("critical") || !p["critical"].is_object())
    return "Invalid signature format: no critical section";
  const json& c = p["critical"];
  if (json_str(c, "type") != want_type)
    return "Unrecognized signature type " + quote(json_str(c, "type"));
  std::string dig = json_str(c.value("image", json::object()), "docker-manifest-digest");
  if (dig != manifest_digest)
    return "Signature for docker-manifest-digest " + quote(dig) + " does not match " +
           manifest_digest;
  std::string who = json_str(c.value("identity", json::object()), "docker-reference");
  if (!identity_matches(identity, image_ref, who))
    return "Signature for identity " + quote(who) + " is not accepted";
  return std::nullopt;
}

// The bytes of a requirement's keys: keyPath, keyPaths or keyData.
std::vector<std::string> key_material(const json& r, const std::string& where) {
  std::vector<std::string> keys;
  auto from_file = [&](const std::string& f) {
    auto k = read_file_if_exists(f);
    if (!k) throw Error(Errc::not_found, where + ": key file " + f + " does not exist");
    keys.push_back(*k);
  };
  if (r.contains("keyPath")) from_file(json_str(r, "keyPath"));
  for (const auto& p : r.value("keyPaths", json::array())) from_file(p.get<std::string>());
  if (r.contains("keyData")) keys.push_back(base64_decode(json_str(r, "keyData")));
  return keys;
}

// ---- GPG (libgpgme) ----

std::string gpg_error(gpgme_error_t e) {
  return dl::gpgme_strerror(e);
}

// A gpgme context, optionally on its own home directory.
class Gpg {
 public:
  explicit Gpg(const std::string& home = {}) {
    dl::gpgme_check_version_internal(nullptr, offsetof(struct _gpgme_signature, validity));
    if (auto e = dl::gpgme_new(&ctx_))
      throw Error(Errc::generic, "initialising gpgme: " + gpg_error(e));
    dl::gpgme_set_protocol(ctx_, GPGME_PROTOCOL_OpenPGP);
    if (!home.empty())
      if (auto e =
              dl::gpgme_ctx_set_engine_info(ctx_, GPGME_PROTOCOL_OpenPGP, nullptr, home.c_str()))
        throw Error(Errc::generic, "setting the GnuPG home " + home + ": " + gpg_error(e));
  }
  ~Gpg() { dl::gpgme_release(ctx_); }
  Gpg(const Gpg&) = delete;
  Gpg& operator=(const Gpg&) = delete;
  gpgme_ctx_t get() { return ctx_; }

 private:
  gpgme_ctx_t ctx_ = nullptr;
};

struct Data {
  gpgme_data_t d = nullptr;
  Data() {
    if (auto e = dl::gpgme_data_new(&d)) throw Error(Errc::generic, gpg_error(e));
  }
  explicit Data(const std::string& bytes) {
    if (auto e = dl::gpgme_data_new_from_mem(&d, bytes.data(), bytes.size(), 1))
      throw Error(Errc::generic, gpg_error(e));
  }
  ~Data() {
    if (d) dl::gpgme_data_release(d);
  }
  Data(const Data&) = delete;
  Data& operator=(const Data&) = delete;
  std::string take() {
    size_t n = 0;
    char* p = dl::gpgme_data_release_and_get_mem(d, &n);
    d = nullptr;
    std::string out(p ? p : "", p ? n : 0);
    if (p) dl::gpgme_free(p);
    return out;
  }
};

// A throw-away GnuPG home for the policy's keys, so that the user's keyring
// never decides what is trusted. Short path: gpg-agent's socket lives in it.
class TempGnupgHome {
 public:
  TempGnupgHome() : dir_("/tmp", "tug-gpg-") {}
  ~TempGnupgHome() {
    // An agent that gpg started for this home would outlive it.
    if (path_exists(dir_.path() + "/S.gpg-agent")) {
      try {
        run_command({"gpgconf", "--homedir", dir_.path(), "--kill", "all"});
      } catch (...) {
      }
    }
  }
  const std::string& path() const { return dir_.path(); }

 private:
  TempDir dir_;
};

// Imports keys; returns the fingerprints of the primary keys imported.
std::set<std::string> import_keys(Gpg& g, const std::vector<std::string>& keys,
                                  const std::string& where) {
  std::set<std::string> fprs;
  for (const auto& k : keys) {
    Data d(k);
    if (auto e = dl::gpgme_op_import(g.get(), d.d))
      throw Error(Errc::invalid, where + ": importing its GPG key: " + gpg_error(e));
    gpgme_import_result_t r = dl::gpgme_op_import_result(g.get());
    for (auto* i = r ? r->imports : nullptr; i; i = i->next)
      if (i->result == 0 && i->fpr) fprs.insert(i->fpr);
  }
  if (fprs.empty()) throw Error(Errc::invalid, where + ": no GPG key could be read from its keys");
  return fprs;
}

struct Verified {
  std::string payload;
  std::string fingerprint;
};

// Verifies an opaque OpenPGP signed message; the refusal text when invalid.
std::variant<Verified, std::string> gpg_verify(Gpg& g, const std::set<std::string>& trusted,
                                               const std::string& sig) {
  Data in(sig), plain;
  if (auto e = dl::gpgme_op_verify(g.get(), in.d, nullptr, plain.d))
    return "Invalid GPG signature: " + gpg_error(e);
  gpgme_verify_result_t vr = dl::gpgme_op_verify_result(g.get());
  if (!vr || !vr->signatures) return std::string("Invalid GPG signature: no signature found");
  gpgme_signature_t s = vr->signatures;
  if (s->next) return std::string("Invalid GPG signature: more than one signature");
  std::string fpr = s->fpr ? s->fpr : "";
  if (gpgme_err_code(s->status) == GPG_ERR_NO_PUBKEY)
    return "Signature by key " + fpr + " is not accepted";
  if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR)
    return "Invalid GPG signature: " + gpg_error(s->status);
  if (s->validity == GPGME_VALIDITY_NEVER || s->wrong_key_usage)
    return "Invalid GPG signature by key " + fpr;
  // A subkey's signature counts for its primary key.
  std::string primary = fpr;
  gpgme_key_t key = nullptr;
  if (dl::gpgme_get_key(g.get(), fpr.c_str(), &key, 0) == 0 && key) {
    if (key->subkeys && key->subkeys->fpr) primary = key->subkeys->fpr;
    dl::gpgme_key_unref(key);
  }
  if (!trusted.count(primary) && !trusted.count(fpr))
    return "Signature by key " + fpr + " is not accepted";
  return Verified{plain.take(), primary};
}

gpgme_error_t passphrase_cb(void* hook, const char*, const char*, int prev_was_bad, int fd) {
  if (prev_was_bad) return gpgme_error(GPG_ERR_BAD_PASSPHRASE);
  const std::string& p = *static_cast<const std::string*>(hook);
  std::string line = p + "\n";
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return gpgme_error(GPG_ERR_EIO);
    off += static_cast<size_t>(n);
  }
  return 0;
}

std::string read_passphrase(const std::string& file) {
  if (file.empty()) return {};
  auto p = read_file_if_exists(file);
  if (!p) throw Error(Errc::not_found, "passphrase file " + file + " does not exist");
  std::string s = *p;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// ---- OpenSSL public keys (sigstore) ----

std::string openssl_error() {
  unsigned long e = dl::ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  dl::ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

struct PKey {
  EVP_PKEY* k = nullptr;
  ~PKey() {
    if (k) dl::EVP_PKEY_free(k);
  }
};

// ECDSA and RSA keys sign a SHA-256 digest; Ed25519 signs the message.
const EVP_MD* md_for(EVP_PKEY* k) {
  return dl::EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? nullptr : dl::EVP_sha256();
}

void read_public_key(PKey& out, const std::string& pem, const std::string& where) {
  BIO* b = dl::BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  out.k = dl::PEM_read_bio_PUBKEY(b, nullptr, nullptr, nullptr);
  dl::BIO_free(b);
  if (!out.k)
    throw Error(Errc::invalid, where + ": cannot read the public key: " + openssl_error());
}

bool ossl_verify(EVP_PKEY* k, const std::string& data, const std::string& sig) {
  EVP_MD_CTX* ctx = dl::EVP_MD_CTX_new();
  ScopeExit free_ctx([&] { dl::EVP_MD_CTX_free(ctx); });
  if (dl::EVP_DigestVerifyInit(ctx, nullptr, md_for(k), nullptr, k) != 1) return false;
  int rc = dl::EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                reinterpret_cast<const unsigned char*>(data.data()), data.size());
  while (dl::ERR_get_error() != 0) {
  }
  return rc == 1;
}

std::string ossl_sign(const std::string& key_file, const std::string& passphrase,
                      const std::string& data) {
  auto pem = read_file_if_exists(key_file);
  if (!pem) throw Error(Errc::not_found, "private key " + key_file + " does not exist");
  BIO* b = dl::BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
  PKey k;
  // With a null callback OpenSSL takes the last argument as the passphrase.
  std::string pass = passphrase;
  k.k = dl::PEM_read_bio_PrivateKey(b, nullptr, nullptr,
                                    pass.empty() ? nullptr : static_cast<void*>(pass.data()));
  dl::BIO_free(b);
  if (!k.k)
    throw Error(Errc::invalid, "reading the private key " + key_file + ": " + openssl_error(),
                "a PEM private key (openssl genpkey); give its passphrase with "
                "--sign-passphrase-file");
  EVP_MD_CTX* ctx = dl::EVP_MD_CTX_new();
  ScopeExit free_ctx([&] { dl::EVP_MD_CTX_free(ctx); });
  size_t len = 0;
  if (dl::EVP_DigestSignInit(ctx, nullptr, md_for(k.k), nullptr, k.k) != 1 ||
      dl::EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                         data.size()) != 1)
    throw Error(Errc::generic, "signing with " + key_file + ": " + openssl_error());
  std::string sig(len, '\0');
  if (dl::EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    throw Error(Errc::generic, "signing with " + key_file + ": " + openssl_error());
  sig.resize(len);
  return sig;
}

// ---- sigstore attachments ----

std::string sig_tag(const std::string& digest) {
  return "sha256-" + digest_hex(digest) + ".sig";
}

// The .sig manifest of the image, if the registry has one.
std::optional<json> sigstore_manifest(Client& c, const std::string& repo,
                                      const std::string& digest) {
  try {
    Fetched f = get_manifest(c, repo, sig_tag(digest), repo + ":" + sig_tag(digest));
    return parse_json(f.bytes, "signature manifest " + sig_tag(digest));
  } catch (const Error& e) {
    if (e.code() == Errc::not_found) return std::nullopt;
    throw;
  }
}

std::string fetch_blob(Client& c, const std::string& repo, const std::string& digest) {
  Request req;
  req.path = "/v2/" + repo + "/blobs/" + digest;
  req.scope = pull_scope(repo);
  Response r = c.perform(req);
  if (r.status != 200) throw c.error_of(r, "fetching signature blob " + digest);
  if ("sha256:" + sha256_hex(r.body) != digest)
    throw Error(Errc::corrupt, "signature blob " + digest + ": digest mismatch");
  return r.body;
}

std::string image_name(const image::Reference& ref) {
  return "docker://" + ref.str();
}

Error rejected(const std::string& why, const Policy& p, const Policy::Match& m) {
  return Error(Errc::permission, kRejected + why,
               "refused by the requirement " + m.where + " of " + p.path());
}

// signedBy: one signature in the lookaside store, valid by one of the keys,
// for this digest and an accepted identity.
std::optional<std::string> check_signed_by(const json& r, const std::string& where,
                                           const image::Reference& ref, const std::string& digest) {
  std::vector<std::string> sigs = lookaside_signatures(ref, digest);
  if (sigs.empty()) return std::string("A signature was required, but no signature exists");
  TempGnupgHome home;
  Gpg g(home.path());
  std::set<std::string> trusted = import_keys(g, key_material(r, where), where);
  json identity = r.value("signedIdentity", json::object());
  std::string last;
  for (const auto& s : sigs) {
    auto v = gpg_verify(g, trusted, s);
    if (auto* why = std::get_if<std::string>(&v)) {
      last = *why;
      continue;
    }
    auto& ok = std::get<Verified>(v);
    auto problem = payload_problem(ok.payload, kSimpleSigningType, digest, ref.str(), identity);
    if (!problem) return std::nullopt;
    last = *problem;
  }
  return last;
}

std::optional<std::string> check_sigstore(const json& r, const std::string& where, Client& c,
                                          const std::string& repo, const image::Reference& ref,
                                          const std::string& digest) {
  auto man = sigstore_manifest(c, repo, digest);
  if (!man) return std::string("A signature was required, but no signature exists");
  std::vector<std::string> keys = key_material(r, where);
  PKey key;
  read_public_key(key, keys.at(0), where);
  json identity = r.value("signedIdentity", json::object());
  std::string last = "A signature was required, but no signature exists";
  for (const auto& l : man->value("layers", json::array())) {
    if (json_str(l, "mediaType") != kCosignLayerType) continue;
    std::string b64 = json_str(l.value("annotations", json::object()), kCosignAnnotation);
    if (b64.empty()) {
      last = "Invalid signature format: the layer has no " + std::string(kCosignAnnotation);
      continue;
    }
    std::string payload = fetch_blob(c, repo, json_str(l, "digest"));
    if (!ossl_verify(key.k, payload, base64_decode(b64))) {
      last = "cryptographic signature verification failed";
      continue;
    }
    auto problem = payload_problem(payload, kCosignType, digest, ref.str(), identity);
    if (!problem) return std::nullopt;
    last = *problem;
  }
  return last;
}

}  // namespace

void check_policy_early(const Policy& p, const image::Reference& ref) {
  Policy::Match m = p.requirements_for("docker", docker_scopes(ref.str()));
  for (const auto& r : m.requirements)
    if (json_str(r, "type") == "reject")
      throw rejected("Running image " + image_name(ref) + " is rejected by policy.", p, m);
}

void enforce_policy(const Policy& p, Client& c, const std::string& repo,
                    const image::Reference& ref, const std::string& manifest_digest) {
  Policy::Match m = p.requirements_for("docker", docker_scopes(ref.str()));
  for (const auto& r : m.requirements) {
    std::string t = json_str(r, "type");
    std::optional<std::string> why;
    if (t == "reject") {
      why = "Running image " + image_name(ref) + " is rejected by policy.";
    } else if (t == "signedBy" && json_str(r, "keyType") != "GPGKeys") {
      why =
          "keyType " + quote(json_str(r, "keyType")) + " is not implemented by tug (only GPGKeys)";
    } else if (t == "sigstoreSigned" && (r.contains("fulcio") || r.contains("rekorPublicKeyPath") ||
                                         r.contains("rekorPublicKeyData"))) {
      why = std::string(
          "sigstoreSigned with fulcio or rekor is not implemented by tug (only "
          "public keys)");
    } else if (t == "signedBy") {
      why = check_signed_by(r, m.where + " of " + p.path(), ref, manifest_digest);
    } else if (t == "sigstoreSigned") {
      why = check_sigstore(r, m.where + " of " + p.path(), c, repo, ref, manifest_digest);
    }
    if (why) throw rejected(*why, p, m);
  }
}

std::string sign_to_lookaside(const image::Reference& dest, const std::string& manifest_digest,
                              const SignOptions& o) {
  auto conf = lookaside_conf(dest.str());
  if (!conf || conf->write.empty())
    throw Error(Errc::invalid,
                "no signature store is configured for " + dest.str() + " in " + registries_d(),
                "add a lookaside-staging: file:///DIR (or lookaside) entry for the registry "
                "in a registries.d YAML file");
  std::string payload = make_payload(kSimpleSigningType, dest, manifest_digest);
  Gpg g;
  gpgme_key_t key = nullptr;
  if (auto e = dl::gpgme_get_key(g.get(), o.gpg_key.c_str(), &key, 1); e || !key)
    throw Error(Errc::not_found, "signing key " + o.gpg_key + " not found in the GnuPG keyring" +
                                     (e ? ": " + gpg_error(e) : std::string()));
  ScopeExit unref([&] { dl::gpgme_key_unref(key); });
  dl::gpgme_signers_add(g.get(), key);
  std::string pass = read_passphrase(o.passphrase_file);
  if (!o.passphrase_file.empty()) {
    dl::gpgme_set_pinentry_mode(g.get(), GPGME_PINENTRY_MODE_LOOPBACK);
    dl::gpgme_set_passphrase_cb(g.get(), &passphrase_cb, &pass);
  }
  dl::gpgme_set_armor(g.get(), 0);
  Data in(payload), out;
  if (auto e = dl::gpgme_op_sign(g.get(), in.d, out.d, GPGME_SIG_MODE_NORMAL))
    throw Error(Errc::generic, "signing with key " + o.gpg_key + ": " + gpg_error(e));
  std::string sig = out.take();
  // The next free signature-N: the image's other signatures stay.
  for (int n = 1;; ++n) {
    std::string path = file_path_of(signature_url(conf->write, dest, manifest_digest, n));
    if (path_exists(path)) {
      if (read_file_if_exists(path) == sig) return path;
      continue;
    }
    make_dirs(dirname_of(path), 0755);
    atomic_write(path, sig, 0644);
    return path;
  }
}

void sign_to_sigstore_tag(Client& c, const std::string& repo, const image::Reference& dest,
                          const std::string& manifest_digest, const SignOptions& o) {
  std::string payload = make_payload(kCosignType, dest, manifest_digest);
  std::string sig = ossl_sign(o.sigstore_key, read_passphrase(o.passphrase_file), payload);
  json layers = json::array();
  if (auto old = sigstore_manifest(c, repo, manifest_digest))
    for (const auto& l : old->value("layers", json::array())) layers.push_back(l);
  std::string pd = "sha256:" + sha256_hex(payload);
  layers.push_back({{"mediaType", kCosignLayerType},
                    {"digest", pd},
                    {"size", payload.size()},
                    {"annotations", {{kCosignAnnotation, base64_encode(sig)}}}});
  json diff_ids = json::array();
  for (const auto& l : layers) diff_ids.push_back(json_str(l, "digest"));
  json cfg_doc = {{"architecture", ""},
                  {"os", ""},
                  {"config", json::object()},
                  {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  std::string cfg = cfg_doc.dump();
  std::string cd = "sha256:" + sha256_hex(cfg);
  json man = {{"schemaVersion", 2},
              {"mediaType", kOciManifest},
              {"config",
               {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                {"digest", cd},
                {"size", cfg.size()}}},
              {"layers", layers}};
  TempDir tmp(std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp"), "tug-sig-");
  write_file(tmp.path() + "/payload", payload, 0600);
  write_file(tmp.path() + "/config", cfg, 0600);
  push_blob(c, repo, pd, tmp.path() + "/payload", {});
  push_blob(c, repo, cd, tmp.path() + "/config", {});
  Request put;
  put.method = "PUT";
  put.path = "/v2/" + repo + "/manifests/" + sig_tag(manifest_digest);
  put.scope = push_scope(repo);
  put.headers = {std::string("Content-Type: ") + kOciManifest};
  put.body = man.dump();
  Response r = c.perform(put);
  if (r.status != 201 && r.status != 200)
    throw c.error_of(r, "writing signature manifest " + sig_tag(manifest_digest));
}

std::vector<std::string> gpg_key_identities(const std::string& key_file) {
  std::vector<std::string> ids;
  try {
    auto k = read_file_if_exists(key_file);
    if (!k) return ids;
    TempGnupgHome home;
    Gpg g(home.path());
    for (const auto& fpr : import_keys(g, {*k}, key_file)) {
      gpgme_key_t key = nullptr;
      if (dl::gpgme_get_key(g.get(), fpr.c_str(), &key, 0) != 0 || !key) continue;
      for (auto* u = key->uids; u; u = u->next) {
        std::string id = u->email && *u->email ? u->email : (u->name ? u->name : "");
        if (!id.empty()) ids.push_back(id);
      }
      dl::gpgme_key_unref(key);
    }
  } catch (const Error& e) {
    log_debug(std::string("reading key ") + key_file + ": " + e.what());
  }
  return ids;
}

std::string lookaside_for(const std::string& reference) {
  try {
    auto c = lookaside_conf(reference);
    return c ? c->read : std::string();
  } catch (const Error&) {
    return {};
  }
}

}  // namespace tug::registry::detail
