// tug push: every blob the manifest names (skipped when the registry has it,
// mounted from another repository of the same registry when possible,
// otherwise uploaded: in one PUT, or above the chunk size as PATCHes of
// chunk-size pieces and a closing PUT; a failed request resumes from what
// the registry says it holds), then the manifest, exactly as stored so its
// digest is the image's.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <thread>

#include "image/reference.hpp"
#include "registry/internal.hpp"
#include "registry/manifest.hpp"
#include "registry/progress.hpp"
#include "registry/trust.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::registry {

using namespace detail;

namespace {

std::string absolute(Client& c, const std::string& location) {
  if (starts_with(location, "http://") || starts_with(location, "https://")) return location;
  return c.base_url() + (starts_with(location, "/") ? "" : "/") + location;
}

std::string with_query(const std::string& url, const std::string& q) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + q;
}

// Blobs larger than this go up in chunks of this size. Some registries and
// proxies in front of them cap one request's body (nginx's
// client_max_body_size, 100 MB on some hosted ones); TUG_PUSH_CHUNK_SIZE
// (bytes, 0 = never chunk) adjusts it.
constexpr int64_t kDefaultChunk = int64_t{64} << 20;

int64_t chunk_size() {
  const char* env = std::getenv("TUG_PUSH_CHUNK_SIZE");
  if (env == nullptr || *env == '\0') return kDefaultChunk;
  char* end = nullptr;
  long long v = std::strtoll(env, &end, 10);
  if (*end != '\0' || v < 0)
    throw Error(Errc::invalid, std::string("TUG_PUSH_CHUNK_SIZE=") + env +
                                   ": expected a number of bytes (0: no chunked uploads)");
  return v;
}

// How many failed requests in a row one blob's upload survives (each
// followed by a look at where the registry's session stands).
constexpr int kMaxUploadFailures = 5;

// "0-N", the registry's Range for an upload session, -> N + 1 bytes held.
// Distribution writes "0-0" for an empty session as for one byte: taken as
// empty (a wrong guess is answered 416, and the registry asked again).
std::optional<int64_t> held_bytes(const std::string& range) {
  if (range.empty()) return int64_t{0};
  size_t dash = range.find('-');
  if (dash == std::string::npos) return std::nullopt;
  char* end = nullptr;
  long long last = std::strtoll(range.c_str() + dash + 1, &end, 10);
  if (*end != '\0' || last < 0) return std::nullopt;
  return last == 0 ? 0 : static_cast<int64_t>(last) + 1;
}

struct UploadStatus {
  int64_t held = 0;
  std::string location;
};

// GET on the upload session: how many bytes the registry holds and where to
// go on. nullopt when the session is gone (a registry restarted with another
// secret, or one that expired it): the upload starts over. The GET is
// retried while the registry cannot be reached (while it restarts).
std::optional<UploadStatus> upload_status(Client& c, const std::string& location,
                                          const std::string& scope) {
  Request g;
  g.path = absolute(c, location);
  g.scope = scope;
  Response r = c.perform(g);
  if (r.status != 204 && r.status != 200) return std::nullopt;
  auto held = held_bytes(r.header("range"));
  if (!held) return std::nullopt;
  return UploadStatus{*held, r.header("location").empty() ? location : r.header("location")};
}

// Sends size bytes of fd as blob digest of repo, starting in the upload
// session at location. Above chunk bytes (chunk > 0), PATCHes of chunk bytes
// with their Content-Range and a closing PUT without a body; else one PUT.
// A request that fails does not start the blob over: the registry is asked
// how much arrived and the upload goes on from there (the rest of a
// monolithic upload in the closing PUT), or from a new session
// (start_session) when the registry lost this one.
void upload(Client& c, std::string location, const std::string& repo, const std::string& digest,
            int fd, int64_t size, int64_t chunk,
            const std::function<std::string()>& start_session) {
  const std::string scope = push_scope(repo);
  const bool chunked = chunk > 0 && size > chunk;
  int64_t off = 0;
  int failures = 0;
  for (;;) {
    Request req;
    req.scope = scope;
    req.retry = false;  // a cut request may have left bytes behind: ask first
    req.headers = {"Content-Type: application/octet-stream"};
    int64_t n = size - off;
    if (chunked && off < size) {
      n = std::min(chunk, size - off);
      req.method = "PATCH";
      req.path = absolute(c, location);
      req.headers.push_back("Content-Range: " + std::to_string(off) + "-" +
                            std::to_string(off + n - 1));
    } else {
      req.method = "PUT";
      req.path = with_query(absolute(c, location), "digest=" + digest);
    }
    if (n > 0) {
      req.upload_fd = fd;
      req.upload_offset = off;
      req.upload_size = n;
    }
    std::string what = "uploading bytes " + std::to_string(off) + "-" +
                       std::to_string(off + n - 1) + " of blob " + digest;
    std::optional<Error> failed;
    try {
      Response r = c.perform(req);
      if (req.method == "PUT" && r.status == 201) return;
      if (req.method == "PATCH" && r.status == 202) {
        if (!r.header("location").empty()) location = r.header("location");
        auto held = held_bytes(r.header("range"));
        if (!held || *held == off + n) {
          off += n;
          failures = 0;
          continue;
        }
        failed = Error(Errc::io, "registry " + c.registry() + " holds bytes " + r.header("range") +
                                     " of blob " + digest + " after " + what);
      } else if (r.status >= 500 || r.status == 429 || r.status == 416) {
        failed = c.error_of(r, what);
      } else {
        throw c.error_of(r, "uploading blob " + digest);
      }
    } catch (const Error& e) {
      if (e.code() != Errc::io) throw;
      failed = e;
    }
    if (++failures >= kMaxUploadFailures) throw *failed;
    log_debug(std::string(failed->what()) + "; asking the registry how much arrived");
    std::this_thread::sleep_for(std::chrono::milliseconds(250 << failures));
    if (req.method == "PUT") {
      // The PUT may have been applied and only its answer lost.
      Request head;
      head.method = "HEAD";
      head.path = "/v2/" + repo + "/blobs/" + digest;
      head.scope = scope;
      try {
        if (c.perform(head).status == 200) return;
      } catch (const Error&) {
      }
    }
    auto st = upload_status(c, location, scope);
    if (!st || st->held > size) {
      log_debug("the registry lost the upload of blob " + digest + "; starting it again");
      location = start_session();
      off = 0;
    } else {
      location = st->location;
      off = st->held;
    }
  }
}

}  // namespace

std::string detail::push_blob(Client& c, const std::string& repo, const std::string& digest,
                              const std::string& path, const std::vector<std::string>& mount_from) {
  std::string scope = push_scope(repo);
  Request head;
  head.method = "HEAD";
  head.path = "/v2/" + repo + "/blobs/" + digest;
  head.scope = scope;
  Response h = c.perform(head);
  if (h.status == 200) return "skipped: already exists";
  if (h.status != 404) throw c.error_of(h, "checking blob " + digest);

  std::string location;
  for (const auto& from : mount_from) {
    Request m;
    m.method = "POST";
    m.path = "/v2/" + repo + "/blobs/uploads/?mount=" + digest + "&from=" + from;
    m.scope = scope;
    Response r = c.perform(m);
    if (r.status == 201) return "skipped: mounted from " + from;
    if (r.status == 202) {
      location = r.header("location");  // not mountable: an upload session instead
      break;
    }
  }
  auto start_session = [&] {
    Request start;
    start.method = "POST";
    start.path = "/v2/" + repo + "/blobs/uploads/";
    start.scope = scope;
    Response r = c.perform(start);
    if (r.status != 202) throw c.error_of(r, "starting the upload of blob " + digest);
    std::string loc = r.header("location");
    if (loc.empty())
      throw Error(Errc::invalid, "registry " + c.registry() + " gave no upload location");
    return loc;
  };
  if (location.empty()) location = start_session();
  UniqueFd fd =
      with_context("blob " + digest, [&] { return open_or_throw(path, O_RDONLY | O_CLOEXEC); });
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + path);
  upload(c, location, repo, digest, fd.get(), st.st_size, chunk_size(), start_session);
  return "done";
}

PushResult push(image::Store& store, const std::string& source, const std::string& dest,
                const Options& o) {
  image::Image img = store.get(source);
  if (!img.squashfs.empty())
    throw Error(Errc::unsupported,
                "pushing the squashfs-backed image " + source + " is not implemented",
                "its file is the image: copy " + img.squashfs);
  std::string target = registry_reference(dest.empty() ? source : dest);
  image::Reference ref = image::parse_reference(target);
  auto conf = RegistriesConf::load();
  std::vector<Endpoint> eps = conf.endpoints(ref, false);
  const Endpoint& ep = eps.back();
  return with_context("pushing " + ref.str(), [&] {
    auto client = make_client(ep.registry, ep.insecure, o, conf, ep.repository);
    Progress prog(o.quiet);
    std::string man = store.manifest(img);
    json mj = parse_json(man, "manifest of image " + img.id.substr(0, 12));
    std::string mt = json_str(mj, "mediaType", kOciManifest);

    // Other repositories of this registry that hold the image: its blobs
    // can be mounted from there instead of uploaded again.
    std::vector<std::string> mount_from;
    for (const auto& n : img.names) {
      try {
        image::Reference r = image::parse_reference(n);
        if (r.registry == ep.registry && r.repository != ep.repository &&
            std::find(mount_from.begin(), mount_from.end(), r.repository) == mount_from.end())
          mount_from.push_back(r.repository);
      } catch (const Error&) {
      }
    }
    prog.message("Getting image source signatures");
    for (const auto& l : mj.value("layers", json::array())) {
      std::string d = json_str(l, "digest");
      int bar =
          prog.add("Copying blob " + digest_hex(d).substr(0, 12), l.value("size", int64_t{-1}));
      prog.finish(bar, push_blob(*client, ep.repository, d, store.blob_path(d), mount_from));
    }
    std::string cfg = json_str(mj.value("config", json::object()), "digest");
    int bar = prog.add("Copying config " + digest_hex(cfg).substr(0, 12), -1);
    prog.finish(bar, push_blob(*client, ep.repository, cfg, store.blob_path(cfg), mount_from));

    prog.message("Writing manifest to image destination");
    Request put;
    put.method = "PUT";
    put.path = "/v2/" + ep.repository + "/manifests/" + manifest_ref(ref);
    put.scope = push_scope(ep.repository);
    put.headers = {"Content-Type: " + mt};
    put.body = man;
    Response r = client->perform(put);
    if (r.status != 201 && r.status != 200) throw client->error_of(r, "writing manifest");
    std::string digest = "sha256:" + sha256_hex(man);
    SignOptions so{o.sign_by, o.sign_by_sigstore_key, o.sign_passphrase_file};
    if (!so.gpg_key.empty()) {
      prog.message("Signing manifest using simple signing");
      std::string at = sign_to_lookaside(ref, digest, so);
      log_debug("signature written to " + at);
    }
    if (!so.sigstore_key.empty()) {
      prog.message("Creating signature: Signing image using a sigstore signature");
      sign_to_sigstore_tag(*client, ep.repository, ref, digest, so);
    }
    return PushResult{digest};
  });
}

}  // namespace tug::registry
