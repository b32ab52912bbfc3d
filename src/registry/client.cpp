#include "registry/client.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "build_info.hpp"
#include "config/paths.hpp"
#include "util/curl.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::registry {

namespace {

struct CurlGlobal {
  CurlGlobal() { dl::curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void curl_init_once() {
  static CurlGlobal g;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string status_text(long s) {
  switch (s) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

std::string status_str(long s) {
  std::string t = status_text(s);
  return "HTTP " + std::to_string(s) + (t.empty() ? "" : " " + t);
}

struct ReadState {
  const Request* req;
  size_t off = 0;
};

size_t on_read(char* buf, size_t size, size_t nitems, void* p) {
  auto* st = static_cast<ReadState*>(p);
  size_t want = size * nitems;
  if (st->req->upload_fd >= 0) {
    // pread from the request's own window: a retried request, or the next
    // chunk of a chunked upload, starts where it should whatever ran before.
    auto left = static_cast<size_t>(st->req->upload_size) - st->off;
    ssize_t n;
    do
      n = ::pread(st->req->upload_fd, buf, std::min(want, left),
                  static_cast<off_t>(st->req->upload_offset + static_cast<int64_t>(st->off)));
    while (n < 0 && errno == EINTR);
    if (n < 0) return CURL_READFUNC_ABORT;
    st->off += static_cast<size_t>(n);
    return static_cast<size_t>(n);
  }
  size_t n = std::min(want, st->req->body.size() - st->off);
  std::copy_n(st->req->body.data() + st->off, n, buf);
  st->off += n;
  return n;
}

struct WriteState {
  CURL* curl;
  const Request* req;
  Transport::Result* res;
  bool sink_failed = false;
};

size_t on_write(char* data, size_t size, size_t nmemb, void* p) {
  auto* st = static_cast<WriteState*>(p);
  size_t n = size * nmemb;
  long code = 0;
  dl::curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &code);
  if (st->req->sink && code >= 200 && code < 300) {
    if (!st->req->sink(code, data, n)) {
      st->sink_failed = true;
      return 0;
    }
    st->res->streamed += static_cast<int64_t>(n);
    return n;
  }
  // Error bodies are short JSON; do not let a misbehaving server fill memory.
  if (st->res->resp.body.size() < (8 << 20)) st->res->resp.body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t nitems, void* p) {
  auto* resp = static_cast<Response*>(p);
  size_t n = size * nitems;
  std::string line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (starts_with(line, "HTTP/")) {
    resp->headers.clear();  // a new answer (after a redirect or 100-continue)
    return n;
  }
  size_t colon = line.find(':');
  if (colon != std::string::npos)
    resp->headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
  return n;
}

int64_t retry_after_ms(const Response& r) {
  std::string v = r.header("retry-after");
  if (v.empty() || !std::all_of(v.begin(), v.end(), ::isdigit)) return -1;
  return std::min<int64_t>(std::atoll(v.c_str()), 60) * 1000;
}

void sleep_ms(int64_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::string user_config_dir() {
  const char* x = std::getenv("XDG_CONFIG_HOME");
  if (x && *x) return std::string(x) + "/containers";
  return home_dir() + "/.config/containers";
}

}  // namespace

bool transient_curl_error(int code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

// ---- Transport --------------------------------------------------------------

Transport::Transport(const Client& c) : curl_(nullptr), client_(c) {
  curl_init_once();
  curl_ = dl::curl_easy_init();
  if (!curl_) throw Error(Errc::io, "cannot initialise libcurl");
}

Transport::~Transport() {
  dl::curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Transport::Result Transport::once(const std::string& url, const Request& req,
                                  const std::string& auth) {
  CURL* c = static_cast<CURL*>(curl_);
  // reset keeps the connection cache: later requests reuse connections.
  dl::curl_easy_reset(c);
  Result res;
  char errbuf[CURL_ERROR_SIZE] = {0};
  dl::curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  dl::curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  dl::curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  dl::curl_easy_setopt(c, CURLOPT_USERAGENT, "tug/" TUG_VERSION);
  dl::curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  dl::curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled transfer (under 1 byte/s for 60 s) counts as a timeout.
  dl::curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  dl::curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  dl::curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
  dl::curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  dl::curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, client_.verify_ ? 1L : 0L);
  dl::curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, client_.verify_ ? 2L : 0L);
  curl_blob ca{};
  if (!client_.ca_blob_.empty()) {
    ca.data = const_cast<char*>(client_.ca_blob_.data());
    ca.len = client_.ca_blob_.size();
    ca.flags = CURL_BLOB_NOCOPY;
    dl::curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
  }
  if (!client_.client_cert_.empty()) {
    dl::curl_easy_setopt(c, CURLOPT_SSLCERT, client_.client_cert_.c_str());
    dl::curl_easy_setopt(c, CURLOPT_SSLKEY, client_.client_key_.c_str());
  }

  curl_slist* hdrs = nullptr;
  ScopeExit free_hdrs([&] { dl::curl_slist_free_all(hdrs); });
  for (const auto& h : req.headers) hdrs = dl::curl_slist_append(hdrs, h.c_str());
  if (!auth.empty()) hdrs = dl::curl_slist_append(hdrs, auth.c_str());
  hdrs = dl::curl_slist_append(hdrs, "Expect:");  // no 100-continue round trip

  ReadState rs{&req};
  bool has_body = req.upload_fd >= 0 || !req.body.empty();
  if (req.method == "HEAD") {
    dl::curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    dl::curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    dl::curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    dl::curl_easy_setopt(c, CURLOPT_READDATA, &rs);
    curl_off_t size =
        req.upload_fd >= 0 ? req.upload_size : static_cast<curl_off_t>(req.body.size());
    dl::curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size);
    if (req.method != "PUT") dl::curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method == "POST") {
    dl::curl_easy_setopt(c, CURLOPT_POST, 1L);
    dl::curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    dl::curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
  } else if (req.method != "GET") {
    dl::curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method == "PUT" || req.method == "PATCH") {
      dl::curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      dl::curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      dl::curl_easy_setopt(c, CURLOPT_READDATA, &rs);
      dl::curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(0));
    }
  }
  dl::curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  // Blobs: larger reads from the socket, fewer calls into the sink.
  if (req.sink) dl::curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
  WriteState ws{c, &req, &res};
  dl::curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  dl::curl_easy_setopt(c, CURLOPT_WRITEDATA, &ws);
  dl::curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  dl::curl_easy_setopt(c, CURLOPT_HEADERDATA, &res.resp);

  CURLcode rc = dl::curl_easy_perform(c);
  if (ws.sink_failed) {
    res.curl_code = CURLE_WRITE_ERROR;
    res.curl_error = "aborted by the receiver";
    return res;
  }
  if (rc != CURLE_OK) {
    res.curl_code = rc;
    res.curl_error = errbuf[0] ? errbuf : dl::curl_easy_strerror(rc);
    return res;
  }
  dl::curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res.resp.status);
  return res;
}

// ---- Client -----------------------------------------------------------------

Client::Client(std::string registry, ClientOptions opts)
    : registry_(std::move(registry)), opts_(std::move(opts)) {
  api_host_ = registry_ == "docker.io" ? "registry-1.docker.io" : registry_;
  verify_ = opts_.tls_verify.value_or(!opts_.insecure_config);
  creds_ = opts_.creds;
  creds_loaded_ = opts_.creds.has_value();
  // Read now, as podman does before its first request: a malformed auth
  // file fails every pull, push and search, not only those a registry
  // challenges.
  if (!creds_loaded_) {
    std::string file, key;
    creds_ = AuthFile(opts_.authfile).lookup(registry_, opts_.repository, &file, &key);
    if (creds_) creds_origin_ = "the credentials of " + quote(key) + " in " + file;
    creds_loaded_ = true;
  }

  std::vector<std::string> dirs;
  if (!opts_.cert_dir.empty())
    dirs.push_back(opts_.cert_dir);
  else
    dirs = {user_config_dir() + "/certs.d/" + registry_, "/etc/containers/certs.d/" + registry_,
            "/etc/docker/certs.d/" + registry_};
  for (const auto& d : dirs) {
    if (!is_directory(d)) {
      if (!opts_.cert_dir.empty())
        throw Error(Errc::not_found, "certificate directory " + d + " does not exist");
      continue;
    }
    std::string cas;
    auto names = list_dir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string p = path_join(d, n);
      if (ends_with(n, ".crt")) cas += read_file(p) + "\n";
      if (ends_with(n, ".cert")) {
        std::string key = p.substr(0, p.size() - 5) + ".key";
        if (!path_exists(key))
          throw Error(Errc::not_found, "client certificate " + p + " has no key " + key);
        client_cert_ = p;
        client_key_ = key;
      }
    }
    if (!cas.empty()) {
      // The cert dir adds to the system's CAs, as podman's does.
      ca_blob_ =
          read_file_if_exists("/etc/ssl/certs/ca-certificates.crt").value_or("") + "\n" + cas;
    }
    break;
  }
  own_ = std::make_unique<Transport>(*this);
}

Client::~Client() = default;

std::unique_ptr<Transport> Client::make_transport() const {
  return std::make_unique<Transport>(*this);
}

std::string Client::base_url() {
  std::lock_guard<std::mutex> l(mu_);
  if (scheme_.empty()) decide_scheme(*own_);
  return scheme_ + "://" + api_host_;
}

void Client::decide_scheme(Transport& t) {
  if (verify_) {
    scheme_ = "https";
    return;
  }
  // Without verification, podman tries TLS first and falls back to plain
  // HTTP when the server does not speak TLS.
  Request ping;
  ping.path = "/v2/";
  auto r = t.once("https://" + api_host_ + "/v2/", ping, "");
  if (r.curl_code == 0) {
    scheme_ = "https";
    return;
  }
  log_debug("https://" + api_host_ + ": " + r.curl_error + "; trying plain HTTP");
  scheme_ = "http";
}

std::string Client::auth_header(const std::string& scope) {
  if (auth_scheme_ == "basic" && creds_)
    return "Authorization: Basic " + base64_encode(creds_->username + ":" + creds_->password);
  if (auth_scheme_ == "bearer") {
    auto it = tokens_.find(scope);
    if (it != tokens_.end() && !it->second.empty()) return "Authorization: Bearer " + it->second;
  }
  return "";
}

bool Client::authorize(const Response& resp, const std::string& scope, Transport& t) {
  auto challenges = parse_www_authenticate(resp.header("www-authenticate"));
  const Challenge* pick = nullptr;
  for (const auto& c : challenges)
    if (c.scheme == "bearer") pick = &c;
  if (!pick)
    for (const auto& c : challenges)
      if (c.scheme == "basic") pick = &c;
  if (!pick) return false;
  if (!creds_loaded_) {
    std::string file, key;
    creds_ = AuthFile(opts_.authfile).lookup(registry_, opts_.repository, &file, &key);
    if (creds_) creds_origin_ = "the credentials of " + quote(key) + " in " + file;
    creds_loaded_ = true;
  }
  if (pick->scheme == "basic") {
    if (!creds_ || auth_scheme_ == "basic") return false;
    auth_scheme_ = "basic";
    return true;
  }
  std::string realm = pick->param("realm");
  if (realm.empty()) throw Error(Errc::invalid, registry_ + ": Bearer challenge without a realm");
  // A token refused later (it expired during a long pull): fetch a new one;
  // perform() bounds how often this may happen for one request.
  tokens_.erase(scope);
  std::string url = realm;
  std::string sep = realm.find('?') == std::string::npos ? "?" : "&";
  CURL* esc = dl::curl_easy_init();
  ScopeExit free_esc([&] { dl::curl_easy_cleanup(esc); });
  auto escape = [&](const std::string& s) {
    char* e = dl::curl_easy_escape(esc, s.c_str(), static_cast<int>(s.size()));
    std::string out = e ? e : "";
    dl::curl_free(e);
    return out;
  };
  if (!pick->param("service").empty()) {
    url += sep + "service=" + escape(pick->param("service"));
    sep = "&";
  }
  std::string want = scope.empty() ? pick->param("scope") : scope;
  if (!want.empty()) url += sep + "scope=" + escape(want);
  Request tr;
  std::string basic;
  if (creds_)
    basic = "Authorization: Basic " + base64_encode(creds_->username + ":" + creds_->password);
  Transport::Result r;
  for (int attempt = 1;; ++attempt) {
    r = t.once(url, tr, basic);
    bool transient = r.curl_code ? transient_curl_error(r.curl_code) : r.resp.status >= 500;
    if (!transient || attempt >= opts_.max_attempts) break;
    sleep_ms(250 << attempt);
  }
  if (r.curl_code) throw Error(Errc::io, "getting a token from " + realm + ": " + r.curl_error);
  if (r.resp.status == 401 || r.resp.status == 403)
    throw Error(Errc::permission,
                "authenticating to " + registry_ + ": " +
                    (creds_ ? "invalid username/password" : "authentication required") + " (" +
                    status_str(r.resp.status) + ")",
                creds_ ? "check the credentials, or run tug login " + registry_
                       : "run tug login " + registry_);
  if (r.resp.status != 200)
    throw Error(Errc::io, "getting a token from " + realm + ": " + status_str(r.resp.status));
  json j = parse_json(r.resp.body, "token from " + realm);
  std::string token = json_str(j, "token", json_str(j, "access_token"));
  if (token.empty()) throw Error(Errc::invalid, "token service " + realm + " returned no token");
  tokens_[scope] = token;
  auth_scheme_ = "bearer";
  return true;
}

Response Client::perform(const Request& req, Transport* t) {
  Transport& tr = t ? *t : *own_;
  std::string base = base_url();
  std::string url = starts_with(req.path, "http://") || starts_with(req.path, "https://")
                        ? req.path
                        : base + req.path;
  int auth_rounds = 0;
  for (int attempt = 1;;) {
    std::string auth;
    {
      std::lock_guard<std::mutex> l(mu_);
      auth = auth_header(req.scope);
    }
    Transport::Result r = tr.once(url, req, auth);
    if (r.curl_code) {
      if (req.retry && transient_curl_error(r.curl_code) && attempt < opts_.max_attempts) {
        log_debug(req.method + " " + url + ": " + r.curl_error + "; retrying");
        sleep_ms(250LL << attempt);
        ++attempt;
        continue;
      }
      Error e(Errc::io, req.method + " " + url + ": " + r.curl_error);
      if (r.curl_code == CURLE_SSL_CONNECT_ERROR || r.curl_code == CURLE_PEER_FAILED_VERIFICATION)
        e.set_hint(
            "for a registry without TLS or with a certificate you do not trust, use "
            "--tls-verify=false or --cert-dir DIR");
      throw e;
    }
    if (r.resp.status == 401 && auth_rounds < 2) {
      ++auth_rounds;
      bool again;
      {
        std::lock_guard<std::mutex> l(mu_);
        again = authorize(r.resp, req.scope, tr);
      }
      if (again) continue;
      return r.resp;
    }
    bool transient = r.resp.status >= 500 || r.resp.status == 429;
    if (transient && req.retry && r.streamed == 0 && attempt < opts_.max_attempts) {
      int64_t wait = retry_after_ms(r.resp);
      if (wait < 0) wait = 250LL << attempt;
      log_debug(req.method + " " + url + ": " + status_str(r.resp.status) + "; retrying");
      sleep_ms(wait);
      ++attempt;
      continue;
    }
    return r.resp;
  }
}

void Client::check_login() {
  Request req;
  req.path = "/v2/";
  Response r = perform(req);
  if (r.status == 200) return;
  if (r.status == 401)
    throw Error(Errc::permission,
                "logging in to " + registry_ + ": " +
                    (creds_ ? "invalid username/password" : "authentication required") + " (" +
                    status_str(401) + ")");
  throw error_of(r, "logging in to " + registry_);
}

Error Client::error_of(const Response& r, const std::string& what) const {
  std::string detail;
  try {
    json j = json::parse(r.body);
    for (const auto& e : j.value("errors", json::array())) {
      std::string code = json_str(e, "code"), msg = json_str(e, "message");
      if (!detail.empty()) detail += "; ";
      detail += code.empty() ? msg : code + ": " + msg;
    }
  } catch (const json::exception&) {
  }
  std::string msg =
      what + ": " + (detail.empty() ? "" : detail + " ") + "(" + status_str(r.status) + ")";
  Errc c = Errc::io;
  std::string hint;
  if (r.status == 404) c = Errc::not_found;
  if (r.status == 401 || r.status == 403) {
    c = Errc::permission;
    hint = "run tug login " + registry_ + ", or check that the repository exists";
    std::lock_guard<std::mutex> l(mu_);
    if (r.status == 401 && auth_scheme_ == "basic" && creds_) {
      // Basic credentials were sent and refused: say whose they were.
      msg += ": invalid username/password (" +
             (creds_origin_.empty() ? std::string("given with --creds") : creds_origin_) + ")";
      hint = "check the credentials, or run tug login " + registry_ +
             (opts_.repository.empty() ? "" : "/" + opts_.repository);
    }
  }
  return Error(c, msg, hint);
}

}  // namespace tug::registry
