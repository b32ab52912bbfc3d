// tug pull: manifest, platform, config, then the layers: downloaded in
// parallel (bounded), each hashed while it streams, extracted in order as
// they complete, and recorded as an image only when everything matched.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <optional>
#include <thread>

#include "image/layer.hpp"
#include "registry/internal.hpp"
#include "registry/manifest.hpp"
#include "registry/policy.hpp"
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

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = -1;
};

Descriptor descriptor_of(const json& d, const std::string& what) {
  Descriptor out;
  out.media_type = json_str(d, "mediaType");
  out.digest = json_str(d, "digest");
  if (d.contains("size") && d["size"].is_number_integer()) out.size = d["size"].get<int64_t>();
  if (!is_sha256_digest(out.digest))
    throw Error(Errc::unsupported, what + ": unsupported or malformed digest " + quote(out.digest));
  if (d.contains("urls"))
    log_debug(what + " " + out.digest + " lists foreign URLs; fetching it from the registry");
  return out;
}

void check_layer_media_type(const std::string& mt, const std::string& digest) {
  static const char* ok[] = {
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+zstd",
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
      "application/vnd.docker.image.rootfs.diff.tar.gzip",
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
      "application/vnd.docker.image.rootfs.diff.tar.zstd",
      "application/vnd.docker.image.rootfs.diff.tar",
  };
  if (mt.empty()) return;
  for (const char* m : ok)
    if (mt == m) return;
  throw Error(Errc::unsupported, "layer " + digest + ": unsupported media type " + quote(mt));
}

std::string short_hex(const std::string& digest) {
  return digest_hex(digest).substr(0, 12);
}

// The error for a blob whose bytes hash to got instead of d.digest.
Error digest_mismatch(const Descriptor& d, const std::string& got) {
  return Error(Errc::corrupt,
               "blob " + d.digest + ": digest mismatch: received content hashes to " + got,
               "the registry holds a corrupt copy, or something between it and you altered it");
}

std::string file_digest(const std::string& path) {
  UniqueFd fd = open_or_throw(path, O_RDONLY | O_CLOEXEC);
  Sha256 h;
  std::vector<char> buf(size_t{1} << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("reading " + path);
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  return "sha256:" + h.hex();
}

// Downloads one blob into dest (created), resuming with a Range request after
// a broken connection. Throws Error(corrupt) naming the blob when the
// registry sends more than its size. The digest is not checked here: the
// extraction that reads the bytes measures it (one hash per byte, not two),
// and the caller compares. on_bytes(n) follows the file's length;
// on_bytes(-1) says it was truncated to start over. Not fsynced: the file
// is verified again whenever it is reused (see pull_one), and the extracted
// layer is no more durable than it.
void download_blob(Client& c, Transport& t, const std::string& repo, const Descriptor& d,
                   const std::string& dest, const std::atomic<bool>& cancel, Progress& prog,
                   int bar, const std::function<void(int64_t)>& on_bytes) {
  UniqueFd fd = open_or_throw(dest, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int64_t got = 0;
  const int max_attempts = 5;
  for (int attempt = 1;; ++attempt) {
    Request req;
    req.path = "/v2/" + repo + "/blobs/" + d.digest;
    req.scope = pull_scope(repo);
    req.retry = false;
    if (got > 0) req.headers.push_back("Range: bytes=" + std::to_string(got) + "-");
    bool first = true;
    bool too_big = false;
    // The sink runs inside libcurl, which an exception must not cross: a
    // failed write (a full disk) is kept and thrown once curl returns.
    std::optional<Error> write_error;
    req.sink = [&](long status, const char* p, size_t n) {
      if (cancel) return false;
      try {
        if (first) {
          first = false;
          if (got > 0 && status == 200) {
            // The server ignored the range: start over.
            if (::ftruncate(fd.get(), 0) != 0 || ::lseek(fd.get(), 0, SEEK_SET) < 0)
              throw_errno("truncating " + dest);
            got = 0;
            on_bytes(-1);
          }
        }
        if (d.size >= 0 && got + static_cast<int64_t>(n) > d.size) {
          too_big = true;
          return false;
        }
        with_context("blob " + d.digest + ": writing " + dest, [&] { write_all(fd.get(), p, n); });
      } catch (const Error& e) {
        write_error = e;
        return false;
      }
      got += static_cast<int64_t>(n);
      prog.update(bar, got);
      on_bytes(got);
      return true;
    };
    std::optional<Error> transient;
    try {
      Response r = c.perform(req, &t);
      if (write_error) throw *write_error;
      if (too_big)
        throw Error(Errc::corrupt, "blob " + d.digest + ": registry sent more than the " +
                                       std::to_string(d.size) + " bytes the manifest lists");
      if (cancel) throw Error(Errc::generic, "cancelled");
      if (r.status == 200 || r.status == 206) {
        if (d.size < 0 || got == d.size) break;
        transient =
            Error(Errc::io, "blob " + d.digest + ": transfer ended after " + std::to_string(got) +
                                " of " + std::to_string(d.size) + " bytes");
      } else if (r.status >= 500 || r.status == 429) {
        transient = c.error_of(r, "fetching blob " + d.digest);
      } else {
        throw c.error_of(r, "fetching blob " + d.digest);
      }
    } catch (const Error& e) {
      if (write_error) throw *write_error;
      if (too_big || cancel) throw;
      if (e.code() != Errc::io) throw;
      transient = e;
    }
    if (attempt >= max_attempts) throw *transient;
    log_debug(std::string(transient->what()) + "; resuming at byte " + std::to_string(got));
    std::this_thread::sleep_for(std::chrono::milliseconds(250 << attempt));
  }
}

// Parallel blob downloads for one image; the puller waits for each in turn.
class Downloads {
 public:
  struct Item {
    Descriptor desc;
    std::string dest;
    int bar = -1;
    bool done = false;
    std::exception_ptr error;
    int64_t written = 0;      // bytes in dest so far
    bool restarted = false;   // dest was truncated to start over
    bool unfollowed = false;  // nobody waits for its bytes any more
  };

  struct Written {
    int64_t bytes = 0;
    bool done = false;
    bool restarted = false;
  };

  Downloads(Client& c, std::string repo, Progress& prog, int workers)
      : client_(c), repo_(std::move(repo)), prog_(prog), workers_(std::max(1, workers)) {}

  ~Downloads() {
    cancel_ = true;
    for (auto& th : threads_)
      if (th.joinable()) th.join();
  }

  size_t add(const Descriptor& d, const std::string& dest, int bar) {
    items_.push_back({d, dest, bar});
    return items_.size() - 1;
  }

  void start() {
    size_t n = std::min<size_t>(static_cast<size_t>(workers_), items_.size());
    for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
  }

  // Blocks until item i is downloaded; rethrows its error.
  void wait(size_t i) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return items_[i].done; });
    if (items_[i].error) std::rethrow_exception(items_[i].error);
  }

  // Blocks until item i has more than `have` bytes in its file, is done
  // (or failed), restarted, or stop_following(i) was called.
  Written await_bytes(size_t i, int64_t have) {
    std::unique_lock<std::mutex> l(mu_);
    const Item& it = items_[i];
    cv_.wait(l, [&] { return it.done || it.restarted || it.written > have || it.unfollowed; });
    return {it.unfollowed ? have : it.written, it.done || it.unfollowed, it.restarted};
  }

  void stop_following(size_t i) {
    {
      std::lock_guard<std::mutex> l(mu_);
      items_[i].unfollowed = true;
    }
    cv_.notify_all();
  }

 private:
  void work() {
    std::unique_ptr<Transport> t;
    try {
      t = client_.make_transport();
    } catch (...) {
    }
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (next_ >= items_.size() || cancel_) return;
        i = next_++;
      }
      Item& it = items_[i];
      std::exception_ptr err;
      try {
        if (!t) throw Error(Errc::io, "cannot initialise libcurl");
        download_blob(client_, *t, repo_, it.desc, it.dest, cancel_, prog_, it.bar, [&](int64_t n) {
          {
            std::lock_guard<std::mutex> l(mu_);
            if (n < 0)
              it.restarted = true;
            else
              it.written = n;
          }
          cv_.notify_all();
        });
      } catch (...) {
        err = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        it.done = true;
        it.error = err;
      }
      cv_.notify_all();
    }
  }

  Client& client_;
  std::string repo_;
  Progress& prog_;
  int workers_;
  std::vector<Item> items_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t next_ = 0;
  std::atomic<bool> cancel_{false};
};

// Moves the bytes [off, end) of in to the pipe w: splice(2) hands the page
// cache's pages to the pipe without copying them through user space (the
// fallback copies). False when the reader is gone.
bool feed_pipe(int in, int w, int64_t off, int64_t end, std::vector<char>& buf) {
  while (off < end) {
    loff_t at = off;
    ssize_t n = ::splice(in, &at, w, nullptr, static_cast<size_t>(end - off), SPLICE_F_MORE);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL) {
      if (buf.empty()) buf.resize(size_t{1} << 17);
      size_t want = static_cast<size_t>(std::min<int64_t>(end - off, buf.size()));
      n = ::pread(in, buf.data(), want, off);
      if (n <= 0) return false;
      for (ssize_t done = 0; done < n;) {
        ssize_t m = ::write(w, buf.data() + done, static_cast<size_t>(n - done));
        if (m < 0 && errno == EINTR) continue;
        if (m <= 0) return false;
        done += m;
      }
    }
    if (n <= 0) return false;
    off += n;
  }
  return true;
}

// Extracts download i of dl while it arrives: a thread moves what is in its
// file so far into a pipe that the extraction reads, so unpacking overlaps
// the transfer instead of following it. nullopt when the download had to
// start over (the extraction saw the start of two transfers): the caller
// extracts the finished file instead. Download errors take precedence over
// what the truncated stream did to the extraction, and a digest mismatch
// over what corrupt bytes did to it.
std::optional<image::Layer> extract_while_downloading(image::Staging& st, Downloads& dl, size_t i,
                                                      const std::string& file,
                                                      const std::string& blob, const Descriptor& d,
                                                      const std::string& diff_id) {
  Pipe p = Pipe::make();
  // A larger pipe: fewer wake-ups of the extraction per megabyte. The
  // default (64 KiB) still works when the limit is lower.
  (void)::fcntl(p.write.get(), F_SETPIPE_SZ, 1 << 20);
  image::Staging::BlobStream stream{p.read.get(), p.write.get()};
  bool restarted = false;
  std::thread follower([&, w = std::move(p.write)] {
    // The extraction may fail and close its end: EPIPE, not SIGPIPE.
    sigset_t pipe_sig;
    sigemptyset(&pipe_sig);
    sigaddset(&pipe_sig, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_sig, nullptr);
    UniqueFd in;
    std::vector<char> buf;
    int64_t off = 0;
    for (;;) {
      Downloads::Written got = dl.await_bytes(i, off);
      if (got.restarted) {
        restarted = true;
        return;
      }
      if (got.bytes <= off && got.done) return;
      if (!in) {
        in = UniqueFd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
        if (!in) return;
      }
      if (!feed_pipe(in.get(), w.get(), off, got.bytes, buf)) return;
      off = got.bytes;
    }
  });
  std::optional<image::Layer> l;
  std::exception_ptr extract_error;
  try {
    l = st.add_layer(blob, d.media_type, diff_id, &stream);
  } catch (...) {
    extract_error = std::current_exception();
  }
  // No reader left: a follower blocked on a full pipe gets EPIPE.
  p.read.reset();
  dl.stop_following(i);
  follower.join();
  dl.wait(i);
  if (restarted) return std::nullopt;
  if (extract_error) {
    // Corrupt bytes can break the tar before the digest is known: the
    // digest is what names the fault.
    if (std::string got = file_digest(file); got != d.digest) throw digest_mismatch(d, got);
    std::rethrow_exception(extract_error);
  }
  return l;
}

// A layer record of an image already in the store with this blob digest.
std::optional<image::Layer> stored_layer(const image::Store& store, const std::string& digest,
                                         const std::string& diff_id) {
  if (!store.has_layer(diff_id) || !path_exists(store.blob_path(digest))) return std::nullopt;
  for (const auto& img : store.list())
    for (const auto& l : img.layers)
      if (l.digest == digest && l.diff_id == diff_id) return l;
  return std::nullopt;
}

PullResult pull_one(image::Store& store, const image::Reference& ref, const Endpoint& ep,
                    const Options& o, const RegistriesConf& conf, const Policy* policy,
                    Progress& prog) {
  if (policy) check_policy_early(*policy, ref);
  auto client = make_client(ep.registry, ep.insecure, o, conf, ep.repository);
  const std::string& repo = ep.repository;
  Fetched top = get_manifest(*client, repo, manifest_ref(ref), ref.str());
  // The signatures are of the manifest the reference names (an index for a
  // multi-platform image): checked before anything is stored.
  if (policy) enforce_policy(*policy, *client, repo, ref, top.digest);
  json doc = parse_json(top.bytes, "manifest of " + ref.str());
  std::string mt;
  ManifestKind kind = manifest_kind(top.content_type, doc, &mt);
  Fetched man = top;
  if (kind == ManifestKind::list) {
    Platform want = o.platform.empty() ? host_platform() : parse_platform(o.platform);
    const json manifests = doc.value("manifests", json::array());
    const json* d = select_platform(manifests, want);  // points into manifests
    if (!d)
      throw Error(Errc::not_found,
                  ref.str() + ": no image for platform " + want.str() + " (the list has " +
                      list_platforms(manifests) + ")",
                  "choose one with --platform");
    Descriptor sub = descriptor_of(*d, "manifest list entry");
    man = get_manifest(*client, repo, sub.digest, ref.name() + "@" + sub.digest);
    doc = parse_json(man.bytes, "manifest " + sub.digest);
    kind = manifest_kind(man.content_type.empty() ? sub.media_type : man.content_type, doc, &mt);
    if (kind != ManifestKind::image)
      throw Error(Errc::unsupported,
                  "manifest list entry " + sub.digest + " is not an image manifest");
  }
  if (kind == ManifestKind::schema1)
    throw Error(Errc::unsupported,
                ref.str() + " has a Docker schema 1 manifest, which tug does not support",
                "push the image again with a current docker, podman or skopeo");
  if (!doc.contains("config") || !doc["config"].is_object())
    throw Error(Errc::invalid, "manifest " + man.digest + " has no config");

  prog.message("Getting image source signatures");
  Descriptor cfg_desc = descriptor_of(doc["config"], "config");
  std::string cfg_bytes;
  if (auto local = read_file_if_exists(store.blob_path(cfg_desc.digest));
      local && "sha256:" + sha256_hex(*local) == cfg_desc.digest) {
    cfg_bytes = *local;
  } else {
    Request req;
    req.path = "/v2/" + repo + "/blobs/" + cfg_desc.digest;
    req.scope = pull_scope(repo);
    Response r = client->perform(req);
    if (r.status != 200) throw client->error_of(r, "fetching config " + cfg_desc.digest);
    cfg_bytes = r.body;
    std::string got = "sha256:" + sha256_hex(cfg_bytes);
    if (got != cfg_desc.digest)
      throw Error(Errc::corrupt, "config blob " + cfg_desc.digest +
                                     ": digest mismatch: received content hashes to " + got);
  }
  json config = parse_json(cfg_bytes, "image config " + cfg_desc.digest);
  std::vector<std::string> diff_ids;
  if (auto rf = config.find("rootfs"); rf != config.end() && rf->is_object())
    for (const auto& d : rf->value("diff_ids", json::array()))
      if (d.is_string()) diff_ids.push_back(d.get<std::string>());
  auto layers_j = doc.value("layers", json::array());
  if (layers_j.size() != diff_ids.size())
    throw Error(Errc::invalid, "manifest " + man.digest + " lists " +
                                   std::to_string(layers_j.size()) + " layers, its config " +
                                   std::to_string(diff_ids.size()));
  if (!o.platform.empty() && kind == ManifestKind::image && top.digest == man.digest) {
    Platform want = parse_platform(o.platform);
    if (json_str(config, "architecture") != want.architecture)
      log_warn("image platform (" + json_str(config, "os") + "/" +
               json_str(config, "architecture") + ") does not match the expected platform (" +
               want.str() + ")");
  }

  image::Staging st(store);
  std::vector<Descriptor> descs;
  for (const auto& lj : layers_j) {
    descs.push_back(descriptor_of(lj, "layer"));
    check_layer_media_type(descs.back().media_type, descs.back().digest);
  }
  std::vector<std::optional<image::Layer>> reused(descs.size());
  std::vector<size_t> dl_index(descs.size(), SIZE_MAX);
  std::vector<int> bars(descs.size(), -1);
  Downloads downloads(*client, repo, prog, o.parallel);
  for (size_t i = 0; i < descs.size(); ++i) {
    const Descriptor& d = descs[i];
    bars[i] = prog.add("Copying blob " + short_hex(d.digest), d.size);
    if ((reused[i] = stored_layer(store, d.digest, diff_ids[i]))) {
      prog.finish(bars[i], "skipped: already exists");
      continue;
    }
    if (std::string left = store.blob_path(d.digest); path_exists(left)) {
      // Left by an earlier pull that failed later: verified then, but not
      // fsynced, so checked again (a crash may have cut it).
      if (file_digest(left) == d.digest) continue;
      log_warn("blob " + d.digest + " in the store is damaged; fetching it again");
      ::unlink(left.c_str());
    }
    bool dup = false;
    for (size_t j = 0; j < i; ++j) dup |= descs[j].digest == d.digest && dl_index[j] != SIZE_MAX;
    if (dup) continue;
    dl_index[i] = downloads.add(d, st.dir() + "/" + digest_hex(d.digest) + ".blob", bars[i]);
  }
  downloads.start();

  std::vector<image::Layer> layers;
  for (size_t i = 0; i < descs.size(); ++i) {
    const Descriptor& d = descs[i];
    if (reused[i]) {
      layers.push_back(*reused[i]);
      continue;
    }
    std::string blob = store.blob_path(d.digest);
    std::string what = "layer " + std::to_string(i + 1) + " (" + d.digest + ")";
    std::optional<image::Layer> streamed;
    if (dl_index[i] != SIZE_MAX) {
      std::string tmp = st.dir() + "/" + digest_hex(d.digest) + ".blob";
      streamed = with_context(what, [&] {
        return extract_while_downloading(st, downloads, dl_index[i], tmp, blob, d, diff_ids[i]);
      });
      if (!streamed) {
        // The download started over: extract the finished file.
        streamed = with_context(what, [&] { return st.add_layer(tmp, d.media_type, diff_ids[i]); });
      }
      if (streamed->digest != d.digest) throw digest_mismatch(d, streamed->digest);
      // Verified: keep it in the store so an interrupted pull resumes here.
      if (!path_exists(blob) && ::rename(tmp.c_str(), blob.c_str()) != 0)
        throw_errno("rename " + tmp + " to " + blob);
    }
    image::Layer l = streamed ? *streamed : with_context(what, [&] {
      return st.add_layer(blob, d.media_type, diff_ids[i]);
    });
    if (l.digest != d.digest) throw digest_mismatch(d, l.digest);
    if (l.diff_id != diff_ids[i])
      throw Error(Errc::corrupt, what + ": diff_id mismatch: layer content is " + l.diff_id +
                                     ", config says " + diff_ids[i]);
    if (dl_index[i] == SIZE_MAX)
      prog.finish(bars[i], "skipped: already exists");
    else
      prog.finish(bars[i], "done");
    layers.push_back(l);
  }
  int cbar = prog.add("Copying config " + short_hex(cfg_desc.digest), cfg_desc.size);
  prog.finish(cbar, "done");
  prog.message("Writing manifest to image destination");
  st.add_image(cfg_bytes, man.bytes, layers, {ref.str()});
  auto imgs = st.commit();
  return {imgs.at(0).id, ref.str()};
}

}  // namespace

PullResult pull(image::Store& store, const std::string& text, const Options& o) {
  auto conf = RegistriesConf::load();
  std::optional<Policy> policy;
  if (std::string file = policy_file(o.signature_policy); !file.empty())
    policy = Policy::load(file);
  std::string t = registry_reference(text);
  auto cands = conf.candidates(t);
  Progress prog(o.quiet);
  std::vector<std::string> failures;
  std::optional<Error> only;
  for (const auto& ref : cands) {
    std::vector<Endpoint> eps;
    try {
      eps = conf.endpoints(ref, true);
    } catch (const Error& e) {
      failures.push_back(e.what());
      only = e;
      continue;
    }
    for (const auto& ep : eps) {
      prog.message("Trying to pull " + ref.str() + "...");
      try {
        return pull_one(store, ref, ep, o, conf, policy ? &*policy : nullptr, prog);
      } catch (Error& e) {
        // Bad content is never hidden behind another candidate's answer,
        // nor is the policy's refusal.
        if (e.code() == Errc::corrupt) throw e.add_context("pulling " + ref.str());
        if (starts_with(e.what(), kRejected)) throw;
        std::string where = ep.mirror ? " (mirror " + ep.registry + ")" : "";
        e.add_context("pulling " + ref.str() + where);
        failures.push_back(e.what());
        only = e;
      }
    }
  }
  if (failures.size() == 1 && only) throw *only;
  throw Error(only ? only->code() : Errc::not_found,
              "pulling " + text + ": every candidate failed: " + join(failures, "; "),
              only ? only->hint() : "");
}

}  // namespace tug::registry
