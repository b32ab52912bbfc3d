// The transport of the Engine API: Boost.Asio accepts on one socket, Beast
// parses and writes HTTP/1.1, router.cpp answers. One thread: handlers read
// the store (milliseconds) and no request waits on another.
#include "api/server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include "build_info.hpp"
#include "config/hostinfo.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Protocol = asio::generic::stream_protocol;

std::string default_socket(const Paths& paths) {
  return "unix://" + hostinfo::api_socket(paths);
}

namespace {

// systemd's first passed fd (sd_listen_fds(3)).
constexpr int kListenFdsStart = 3;

// Seconds a connection may wait before (or between) requests;
// TUG_API_CONNECTION_TIMEOUT overrides it (tests).
int connection_timeout() {
  const char* env = std::getenv("TUG_API_CONNECTION_TIMEOUT");
  int v = env ? std::atoi(env) : 0;
  return v > 0 ? v : kConnectionTimeout;
}

class Server;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Protocol::socket sock, Server& server);
  ~Session();
  void start() { read(); }

 private:
  void read();
  void on_read(beast::error_code ec);
  void reply(const Response& r, unsigned version, bool keep_alive, bool head);
  void hand_over(Response r);
  void close() {
    beast::error_code ignored;
    sock_.shutdown(Protocol::socket::shutdown_both, ignored);
    sock_.close(ignored);
  }

  Protocol::socket sock_;
  Server& server_;
  asio::steady_timer idle_;  // a connection that sends no request in time is closed
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
};

class Server {
 public:
  Server(Context& ctx, const ServeOptions& o)
      : ctx_(ctx),
        idle_seconds_(o.idle_seconds),
        acceptor_(io_),
        timer_(io_),
        signals_(io_, SIGINT, SIGTERM) {}

  // Binds the URI (or takes systemd's fd) and serves until idle or a signal.
  void run(const std::string& uri);

  Context& ctx() { return ctx_; }
  void opened() {
    ++active_;
    timer_.cancel();
  }
  void closed() {
    if (--active_ == 0 && !stopping_) arm_idle();
  }

 private:
  void accept();
  void arm_idle();
  bool take_activated_fd();
  void listen_unix(const std::string& path);
  void listen_tcp(const std::string& hostport);

  Context& ctx_;
  int idle_seconds_;
  asio::io_context io_{1};
  asio::basic_socket_acceptor<Protocol> acceptor_;
  asio::steady_timer timer_;
  asio::signal_set signals_;
  int active_ = 0;
  bool stopping_ = false;   // sessions destroyed with io_ must not re-arm the timer
  std::string bound_path_;  // a socket file this process made (removed at exit)
};

Session::Session(Protocol::socket sock, Server& server)
    : sock_(std::move(sock)), server_(server), idle_(sock_.get_executor()) {
  server_.opened();
}

Session::~Session() {
  server_.closed();
}

void Session::read() {
  // A client that holds a connection without asking anything would keep
  // the service from its idle exit for ever.
  idle_.expires_after(std::chrono::seconds(connection_timeout()));
  idle_.async_wait([weak = std::weak_ptr<Session>(shared_from_this())](beast::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->close();
  });
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(kBodyLimit);
  http::async_read(
      sock_, buf_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

void Session::on_read(beast::error_code ec) {
  idle_.cancel();
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == http::error::partial_message || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted)
    return close();
  if (ec) {
    // Malformed or oversized: answer once, then hang up (the rest of the
    // stream cannot be trusted to frame a next request).
    int status = ec == http::error::header_limit ? 431 : ec == http::error::body_limit ? 413 : 400;
    std::string what =
        status == 431
            ? "request headers larger than " + std::to_string(kHeaderLimit / 1024) + " KiB"
        : status == 413
            ? "request body larger than " + std::to_string(kBodyLimit / (1024 * 1024)) + " MiB"
            : "malformed HTTP request: " + ec.message();
    return reply(error_response(status, what), 11, false, false);
  }
  auto& req = parser_->get();
  Request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.body = std::move(req.body());
  r.upgrade = beast::iequals(req[http::field::upgrade], "tcp");
  Response res = handle(server_.ctx(), r);
  unsigned version = req.version();
  bool keep_alive = req.keep_alive(), head = req.method() == http::verb::head;
  if (res.stream) return hand_over(std::move(res));
  if (!res.deferred) return reply(res, version, keep_alive, head);
  // The session stays open (and the service busy) until the answer is
  // posted back to the serving thread.
  std::thread([self = shared_from_this(), fn = std::move(res.deferred), version, keep_alive, head] {
    auto done = std::make_shared<Response>(fn());
    asio::post(self->sock_.get_executor(), [self, done, version, keep_alive, head] {
      self->reply(*done, version, keep_alive, head);
    });
  }).detach();
}

void Session::reply(const Response& r, unsigned version, bool keep_alive, bool head) {
  res_ = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status),
                                                             version);
  // docker's headers on every answer; clients read Api-Version from the
  // ping to negotiate, and OSType to pick the platform.
  res_->set(http::field::server, std::string("tug/") + TUG_VERSION + " (linux)");
  res_->set("Api-Version", kApiVersion);
  res_->set("Docker-Experimental", "false");
  res_->set("Ostype", "linux");
  res_->set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res_->set(k, v);
  res_->keep_alive(keep_alive);
  if (!head) res_->body() = r.body;
  res_->prepare_payload();
  http::async_write(sock_, *res_,
                    [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                      if (ec || !keep_alive) return self->close();
                      self->read();
                    });
}

// The head of a streamed answer, written by hand: Beast's serializer would
// want the body up front, and after a 101 the bytes are no longer HTTP.
std::string stream_head(const Response& r) {
  std::string reason =
      r.status == 101 ? "UPGRADED"
                      : std::string(http::obsolete_reason(static_cast<http::status>(r.status)));
  std::string h = "HTTP/1.1 " + std::to_string(r.status) + " " + reason + "\r\n";
  h += "Content-Type: " + r.content_type + "\r\n";
  h += std::string("Server: tug/") + TUG_VERSION + " (linux)\r\n";
  h += std::string("Api-Version: ") + kApiVersion +
       "\r\nDocker-Experimental: false\r\nOstype: linux\r\n";
  for (const auto& [k, v] : r.headers) h += k + ": " + v + "\r\n";
  h += r.status == 101 ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n";
  return h + "\r\n";
}

// The connection leaves Asio: its fd goes, blocking, to a thread that
// writes the head and runs the stream. The session lives on with it (the
// service is busy while a stream is open) and is let go on the serving
// thread, where its destructor's bookkeeping belongs.
void Session::hand_over(Response r) {
  std::string early(static_cast<const char*>(buf_.data().data()), buf_.size());
  buf_.consume(buf_.size());
  beast::error_code ec;
  int fd = sock_.release(ec);
  if (ec || fd < 0) return close();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::thread([self = shared_from_this(), fd, r = std::move(r),
               early = std::move(early)]() mutable {
    UniqueFd sock(fd);
    std::string head = stream_head(r);
    if (send(sock.get(), head.data(), head.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(head.size())) {
      try {
        r.stream(std::move(sock), std::move(early));
      } catch (const std::exception& e) {
        log_debug(std::string("api: stream: ") + e.what());
      }
    }
    auto ex = self->sock_.get_executor();
    asio::post(ex, [s = std::move(self)] {});
  }).detach();
}

void Server::arm_idle() {
  if (idle_seconds_ <= 0) return;
  timer_.expires_after(std::chrono::seconds(idle_seconds_));
  timer_.async_wait([this](beast::error_code ec) {
    if (!ec && active_ == 0) io_.stop();
  });
}

void Server::accept() {
  acceptor_.async_accept([this](beast::error_code ec, Protocol::socket sock) {
    if (!ec) {
      // Accepted fds must not leak into what a handler runs.
      ::fcntl(sock.native_handle(), F_SETFD, FD_CLOEXEC);
      std::make_shared<Session>(std::move(sock), *this)->start();
    } else if (ec == asio::error::operation_aborted) {
      return;
    } else {
      log_warn("service: accept: " + ec.message());
    }
    accept();
  });
}

// systemd socket activation: LISTEN_PID names us and LISTEN_FDS >= 1.
bool Server::take_activated_fd() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (!pid || !fds || std::atol(pid) != static_cast<long>(::getpid()) || std::atoi(fds) < 1)
    return false;
  // Not for the children of handlers.
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  int fd = kListenFdsStart;
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  struct sockaddr_storage ss {};
  socklen_t len = sizeof ss;
  int type = 0;
  socklen_t tlen = sizeof type;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 ||
      ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM)
    throw Error(Errc::invalid, "LISTEN_FDS is set but fd 3 is not a listening stream socket",
                "check the ListenStream= of the socket unit");
  acceptor_.assign(Protocol(ss.ss_family, SOCK_STREAM), fd);
  return true;
}

void Server::listen_unix(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    throw Error(Errc::usage, "socket path too long: " + path);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw Error(Errc::exists, path + " exists and is not a socket");
    // A socket someone answers on is another service's; a dead one is a
    // leftover of a killed service.
    asio::local::stream_protocol::socket probe(io_);
    beast::error_code ec;
    probe.connect(asio::local::stream_protocol::endpoint(path), ec);
    if (!ec)
      throw Error(Errc::exists, "another service is listening on " + path,
                  "stop it, or give another URI");
    ::unlink(path.c_str());
  }
  Protocol::endpoint ep{asio::local::stream_protocol::endpoint(path)};
  acceptor_.open(ep.protocol());
  // The socket is the user's alone from its first instant (no chmod race).
  mode_t old = ::umask(0177);
  beast::error_code ec;
  acceptor_.bind(ep, ec);
  ::umask(old);
  if (ec) throw Error(Errc::io, "cannot bind " + path + ": " + ec.message());
  ::chmod(path.c_str(), 0600);
  bound_path_ = path;
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Server::listen_tcp(const std::string& hostport) {
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) throw Error(Errc::usage, "tcp:// needs HOST:PORT");
  std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) throw Error(Errc::usage, "tcp:// needs a numeric address, not " + quote(host));
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5 || std::atoi(port.c_str()) > 65535)
    throw Error(Errc::usage, "invalid port " + quote(port));
  log_warn("serving the API on tcp://" + hostport +
           " without TLS or authentication: anyone who can reach this port has your rights "
           "(every container and image of this user, and a shell as you through them)");
  Protocol::endpoint ep{
      asio::ip::tcp::endpoint(addr, static_cast<uint16_t>(std::atoi(port.c_str())))};
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (ec) throw Error(Errc::io, "cannot listen on " + hostport + ": " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Server::run(const std::string& uri) {
  if (uri.empty() && take_activated_fd()) {
    log_debug("service: socket activated (fd 3)");
  } else {
    std::string u = uri.empty() ? default_socket(ctx_.paths) : uri;
    if (u.rfind("unix://", 0) == 0)
      listen_unix(u.substr(7));
    else if (u.rfind("tcp://", 0) == 0)
      listen_tcp(u.substr(6));
    else
      throw Error(Errc::usage, "unsupported URI " + quote(u),
                  "use unix:///path/to/socket or tcp://127.0.0.1:PORT");
  }
  ::fcntl(acceptor_.native_handle(), F_SETFD, FD_CLOEXEC);
  signals_.async_wait([this](beast::error_code ec, int) {
    if (!ec) io_.stop();
  });
  accept();
  arm_idle();
  io_.run();
  stopping_ = true;
  if (!bound_path_.empty()) ::unlink(bound_path_.c_str());
}

}  // namespace

void serve(Context& ctx, const ServeOptions& o) {
  // No SIGPIPE to ignore: Asio sends with MSG_NOSIGNAL, and an ignored
  // SIGPIPE would be inherited by the containers the service starts.
  Server s(ctx, o);
  s.run(o.uri);
}

}  // namespace tug::api
