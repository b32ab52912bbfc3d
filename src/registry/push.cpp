// tug push: every blob the manifest names (skipped when the registry has it,
// mounted from another repository of the same registry when possible,
// otherwise uploaded: in one PUT, or above the chunk size as PATCHes of
// chunk-size pieces and a closing PUT), then the manifest, exactly as
// stored so its digest is the image's.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "image/reference.hpp"
#include "registry/internal.hpp"
#include "registry/manifest.hpp"
#include "registry/progress.hpp"
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

// PATCHes size bytes of fd to the upload session at location, chunk bytes at
// a time, each with its Content-Range; returns the session's location after
// the last one (the registry may move it with every answer).
std::string upload_chunks(Client& c, std::string location, const std::string& scope,
                          const std::string& digest, int fd, int64_t size, int64_t chunk) {
  for (int64_t off = 0; off < size; off += chunk) {
    int64_t n = std::min(chunk, size - off);
    std::string range = std::to_string(off) + "-" + std::to_string(off + n - 1);
    Request p;
    p.method = "PATCH";
    p.path = absolute(c, location);
    p.scope = scope;
    p.headers = {"Content-Type: application/octet-stream", "Content-Range: " + range};
    p.upload_fd = fd;
    p.upload_offset = off;
    p.upload_size = n;
    Response r = c.perform(p);
    if (r.status != 202) throw c.error_of(r, "uploading bytes " + range + " of blob " + digest);
    // The registry's Range says what it holds; anything but all we sent
    // means the session lost data, and the digest check would fail anyway.
    std::string held = r.header("range");
    if (!held.empty() && held != "0-" + std::to_string(off + n - 1))
      throw Error(Errc::io, "registry " + c.registry() + " holds bytes " + held + " of blob " +
                                digest + " after bytes " + range + " were sent");
    if (!r.header("location").empty()) location = r.header("location");
  }
  return location;
}

// Uploads the file at path as blob digest of repo; returns the status word
// for the progress line.
std::string push_blob(Client& c, const std::string& repo, const std::string& digest,
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
  if (location.empty()) {
    Request start;
    start.method = "POST";
    start.path = "/v2/" + repo + "/blobs/uploads/";
    start.scope = scope;
    Response r = c.perform(start);
    if (r.status != 202) throw c.error_of(r, "starting the upload of blob " + digest);
    location = r.header("location");
    if (location.empty())
      throw Error(Errc::invalid, "registry " + c.registry() + " gave no upload location");
  }
  UniqueFd fd =
      with_context("blob " + digest, [&] { return open_or_throw(path, O_RDONLY | O_CLOEXEC); });
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + path);
  Request put;
  put.method = "PUT";
  put.scope = scope;
  put.headers = {"Content-Type: application/octet-stream"};
  int64_t chunk = chunk_size();
  if (chunk > 0 && st.st_size > chunk) {
    location = upload_chunks(c, location, scope, digest, fd.get(), st.st_size, chunk);
  } else {
    put.upload_fd = fd.get();
    put.upload_size = st.st_size;
  }
  put.path = with_query(absolute(c, location), "digest=" + digest);
  Response r = c.perform(put);
  if (r.status != 201) throw c.error_of(r, "uploading blob " + digest);
  return "done";
}

}  // namespace

PushResult push(image::Store& store, const std::string& source, const std::string& dest,
                const Options& o) {
  image::Image img = store.get(source);
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
    return PushResult{"sha256:" + sha256_hex(man)};
  });
}

}  // namespace tug::registry
