#include "network/networks.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include "config/paths.hpp"
#include "network/dns.hpp"
#include "network/mode.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace tug;

namespace {

// A query for `name` (type A), as a resolver sends it.
std::string query(uint16_t id, const std::string& name, uint16_t type = network::dns::kTypeA) {
  std::string q = {
      static_cast<char>(id >> 8), static_cast<char>(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  for (const auto& label :
       {name.substr(0, name.find('.')),
        name.find('.') == std::string::npos ? std::string() : name.substr(name.find('.') + 1)}) {
    if (label.empty()) continue;
    q.push_back(static_cast<char>(label.size()));
    q += label;
  }
  q.push_back(0);
  q += {0, static_cast<char>(type), 0, 1};
  return q;
}

struct TempRoot {
  Paths paths;
  TempRoot() {
    char tmpl[] = "/tmp/tug-networks-test-XXXXXX";
    paths.data = ::mkdtemp(tmpl);
    paths.run = paths.data + "/run";
    make_dirs(paths.containers());
  }
  ~TempRoot() { remove_tree(paths.data); }
};

}  // namespace

TEST_CASE("user-defined network names select the bridge mode") {
  auto m = network::parse_mode("front,back");
  CHECK(m.kind == network::Mode::Kind::bridge);
  CHECK(m.networks == std::vector<std::string>{"front", "back"});
  CHECK(network::to_string(m) == "front,back");
  CHECK(m.own_namespace());
  CHECK_THROWS_AS(network::parse_mode("bad/name"), Error);
}

TEST_CASE("DNS: a query's question is parsed and answered with A records") {
  std::string q = query(0x1234, "Web.app");
  auto parsed = network::dns::parse_query(q);
  REQUIRE(parsed);
  CHECK(parsed->id == 0x1234);
  CHECK(parsed->name == "web.app");
  CHECK(parsed->type == network::dns::kTypeA);
  std::string a = network::dns::answer(q, *parsed, {"10.89.1.2", "10.89.1.3"});
  CHECK(a.size() == q.size() + 2 * 16);
  CHECK((static_cast<uint8_t>(a[2]) & 0x80) != 0);  // a response
  CHECK(a[7] == 2);                                 // two answers
  CHECK(a.substr(a.size() - 4) == std::string("\x0a\x59\x01\x03", 4));
  std::string nx = network::dns::error_response(q, *parsed, network::dns::kNxDomain);
  CHECK((nx[3] & 0x0f) == network::dns::kNxDomain);
  CHECK(network::dns::message_id(network::dns::with_id(q, 7)) == 7);
  // Responses, truncated packets and compressed names are not queries.
  CHECK_FALSE(network::dns::parse_query(a));
  CHECK_FALSE(network::dns::parse_query(q.substr(0, q.size() - 3)));
  CHECK_FALSE(network::dns::parse_query("short"));
}

TEST_CASE("networks: subnets, gateways and addresses handed out once") {
  TempRoot root;
  network::NetworkStore nets(root.paths);
  network::CreateRequest req;
  req.name = "app";
  auto app = nets.create(req);
  CHECK(app.subnet == "10.89.1.0/24");
  CHECK(app.gateway == "10.89.1.1");
  CHECK(app.interface == "tug1");
  req.name = "db";
  auto db = nets.create(req);
  CHECK(db.subnet == "10.89.2.0/24");
  CHECK(db.interface == "tug2");
  CHECK_THROWS_AS(nets.create(req), Error);  // the name is taken
  req.name = "wide";
  req.subnet = "10.89.0.0/16";
  CHECK_THROWS_AS(nets.create(req), Error);  // overlaps both

  // A container is its directory with its record in it.
  auto container = [&](const std::string& id) {
    make_dirs(root.paths.containers() + "/" + id);
    write_file(root.paths.containers() + "/" + id + "/config.json", "{}");
  };
  container("c1");
  container("c2");
  CHECK(nets.allocate("app", "c1") == "10.89.1.2");
  CHECK(nets.allocate("app", "c1") == "10.89.1.2");  // asked again: the same
  CHECK(nets.allocate("app", "c2", "10.89.1.9") == "10.89.1.9");
  CHECK_THROWS_AS(nets.allocate("app", "c3", "10.89.1.9"), Error);
  CHECK_THROWS_AS(nets.allocate("app", "c3", "10.89.2.9"), Error);
  CHECK_THROWS_AS(nets.remove("app"), Error);  // in use
  CHECK(nets.users(*nets.find("app")).size() == 2);
  // A directory without its record, its lock free, is what a killed rm
  // left: no longer a user.
  ::unlink((root.paths.containers() + "/c2/config.json").c_str());
  CHECK(nets.users(*nets.find("app")) == std::vector<std::string>{"c1"});
  write_file(root.paths.containers() + "/c2/config.json", "{}");
  // A container that is gone gives its address back.
  remove_tree(root.paths.containers() + "/c1");
  container("c3");
  CHECK(nets.allocate("app", "c3") == "10.89.1.2");
  nets.release("app", "c2");
  nets.release("app", "c3");
  nets.remove("app");
  CHECK_FALSE(nets.find("app"));
  CHECK(nets.find(db.id.substr(0, 6))->name == "db");
}

TEST_CASE("networks: a write sweeps the temp files of writers that were killed") {
  TempRoot root;
  network::NetworkStore nets(root.paths);
  network::CreateRequest req;
  req.name = "app";
  nets.create(req);
  // pid 999999999 is above any pid_max: its process is gone. Ours lives.
  std::string dead = root.paths.networks() + "/app.json.tmp-999999999";
  std::string live = root.paths.networks() + "/other.json.tmp-" + std::to_string(::getpid());
  write_file(dead, "{");
  write_file(live, "{");
  make_dirs(root.paths.containers() + "/c1");
  nets.allocate("app", "c1");
  CHECK_FALSE(path_exists(dead));
  CHECK(path_exists(live));
  ::unlink(live.c_str());
  write_file(dead, "");
  nets.release("app", "c1");
  remove_tree(root.paths.containers() + "/c1");
  write_file(dead, "");
  nets.remove("app");
  CHECK_FALSE(path_exists(dead));
}

TEST_CASE("the default network podman has podman's id and describes slirp4netns") {
  tug::network::Network n = tug::network::default_network();
  CHECK(n.name == "podman");
  CHECK(n.id == "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9");
  CHECK(n.subnet == "10.0.2.0/24");
  CHECK(n.gateway == "10.0.2.2");
}
