// GET /containers/{id}/logs: the records `tug logs` reads
// (container/logs.hpp), in docker's stream encoding.
#include "container/logs.hpp"

#include "api/handlers.hpp"
#include "api/streams.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::api {

Response container_logs(Context& ctx, const Target& t, const std::string& id) {
  container::Store store(ctx.paths, ctx.mapping);
  auto found = store.find(id);
  if (!found) throw ApiError(404, "No such container: " + id);
  container::Record rec = *found;
  bool out = query_bool(t, "stdout"), err = query_bool(t, "stderr");
  if (!out && !err) throw ApiError(400, "Bad parameters: you must choose at least one stream");
  auto q_of = [&](const char* key) {
    auto it = t.query.find(key);
    return it == t.query.end() ? std::string() : it->second;
  };
  container::LogQuery q;
  try {
    q.since =
        container::parse_log_time(q_of("since") == "0" ? "" : q_of("since"), "since", INT64_MIN);
    q.until =
        container::parse_log_time(q_of("until") == "0" ? "" : q_of("until"), "until", INT64_MAX);
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
  std::string tail = q_of("tail");
  if (!tail.empty() && tail != "all") {
    if (tail.find_first_not_of("0123456789") != std::string::npos || tail.size() > 9)
      throw ApiError(400, "invalid value for tail: " + quote(tail));
    q.tail = std::stol(tail);
  }
  q.follow = query_bool(t, "follow");
  bool timestamps = query_bool(t, "timestamps");
  const std::string& driver = rec.spec.log_driver;
  if (driver == "none" || driver == "passthrough")
    throw ApiError(501, "configured logging driver does not support reading: container " +
                            rec.name + " uses the " + driver + " log driver");
  bool raw = rec.spec.tty;
  Response r;
  r.content_type = raw ? kRawStream : kMultiplexedStream;
  r.stream = [paths = ctx.paths, mapping = ctx.mapping, rec, q, out, err, timestamps, raw](
                 UniqueFd sock, std::string) {
    container::Store s(paths, mapping);
    bool at_line_start = true;
    int fd = sock.get();
    container::read_logs(
        s, rec, q,
        [&](const container::LogRecord& l) {
          bool line_start = at_line_start;
          at_line_start = l.full;
          if (l.err ? !err : !out) return true;
          std::string text;
          if (timestamps && line_start) text = l.time + " ";
          text += l.text;
          if (l.full) text += "\n";
          return send_output(fd, raw, l.err ? 2 : 1, text.data(), text.size());
        },
        [fd] { return !client_gone(fd, false); });
  };
  return r;
}

}  // namespace tug::api
