#include <doctest/doctest.h>

#include "network/mode.hpp"
#include "network/ports.hpp"
#include "network/setup.hpp"
#include "util/error.hpp"

using namespace tug;
using network::Mode;
using network::PortMapping;

TEST_CASE("--network modes parse to their canonical spelling") {
  CHECK(network::parse_mode("").kind == Mode::Kind::slirp4netns);
  CHECK(network::parse_mode("bridge").kind == Mode::Kind::slirp4netns);
  // podman's default network is tug's default mode.
  CHECK(network::to_string(network::parse_mode("podman")) == "slirp4netns");
  CHECK(network::to_string(network::parse_mode("default")) == "slirp4netns");
  CHECK(network::to_string(network::parse_mode("none")) == "none");
  CHECK(network::to_string(network::parse_mode("host")) == "host");
  Mode m =
      network::parse_mode("slirp4netns:port_handler=slirp4netns,mtu=1500,allow_host_loopback=true");
  CHECK(m.port_handler == "slirp4netns");
  CHECK(m.mtu == 1500);
  CHECK(m.allow_host_loopback);
  CHECK(network::to_string(m) ==
        "slirp4netns:allow_host_loopback=true,port_handler=slirp4netns,mtu=1500");
  CHECK(network::to_string(network::parse_mode(network::to_string(m))) == network::to_string(m));
  CHECK(network::parse_mode("slirp4netns:port_handler=rootlesskit").port_handler == "builtin");
  Mode p = network::parse_mode("pasta:--ipv4-only,-a,10.9.0.2");
  CHECK(p.kind == Mode::Kind::pasta);
  CHECK(p.pasta_options == std::vector<std::string>{"--ipv4-only", "-a", "10.9.0.2"});
  CHECK(network::parse_mode("container:web").target == "web");
  CHECK(network::parse_mode("ns:/proc/1/ns/net").kind == Mode::Kind::ns);
  CHECK_FALSE(network::parse_mode("container:x").own_namespace());
  CHECK(network::parse_mode("none").own_namespace());
  CHECK_THROWS_AS(network::parse_mode("ns:relative"), Error);
  CHECK_THROWS_AS(network::parse_mode("container:"), Error);
  CHECK_THROWS_AS(network::parse_mode("slirp4netns:mtu=10"), Error);
  CHECK_THROWS_AS(network::parse_mode("slirp4netns:bogus=1"), Error);
  CHECK_THROWS_AS(network::parse_mode("slirp4netns:port_handler=magic"), Error);
  CHECK(network::parse_mode("mynet").kind == Mode::Kind::bridge);  // a user-defined network
  CHECK_THROWS_AS(network::parse_mode("my/net"), Error);
}

TEST_CASE("slirp4netns addresses follow the cidr") {
  auto a = network::slirp_addresses("10.0.2.0/24");
  CHECK(a.container == "10.0.2.100");
  CHECK(a.gateway == "10.0.2.2");
  CHECK(a.dns == "10.0.2.3");
  auto b = network::slirp_addresses("172.20.5.7/16");
  CHECK(b.network == "172.20.0.0/16");
  CHECK(b.container == "172.20.0.100");
  CHECK_THROWS_AS(network::slirp_addresses("10.0.2.0/30"), Error);
  CHECK_THROWS_AS(network::slirp_addresses("nonsense"), Error);
  CHECK(network::container_address(network::parse_mode("slirp4netns:cidr=10.5.0.0/24")) ==
        "10.5.0.100");
  CHECK(network::nameservers(network::parse_mode("")) == std::vector<std::string>{"10.0.2.3"});
  CHECK(network::nameservers(network::parse_mode("pasta")).empty());
}

TEST_CASE("-p forms") {
  auto one = network::parse_publish("8080:80");
  REQUIRE(one.size() == 1);
  CHECK(one[0] == PortMapping{"", 8080, 80, "tcp"});
  CHECK(network::parse_publish("80")[0] == PortMapping{"", 0, 80, "tcp"});
  CHECK(network::parse_publish(":80")[0] == PortMapping{"", 0, 80, "tcp"});
  CHECK(network::parse_publish("127.0.0.1:5353:53/udp")[0] ==
        PortMapping{"127.0.0.1", 5353, 53, "udp"});
  CHECK(network::parse_publish("127.0.0.1::80")[0] == PortMapping{"127.0.0.1", 0, 80, "tcp"});
  CHECK(network::parse_publish("[::1]:8080:80")[0] == PortMapping{"::1", 8080, 80, "tcp"});
  auto range = network::parse_publish("8000-8002:9000-9002");
  REQUIRE(range.size() == 3);
  CHECK(range[2] == PortMapping{"", 8002, 9002, "tcp"});
  auto rnd = network::parse_publish("9000-9001");
  REQUIRE(rnd.size() == 2);
  CHECK(rnd[1] == PortMapping{"", 0, 9001, "tcp"});
  for (const char* bad : {"", "abc", "0:80", "8080:70000", "8000-8001:80", "80/sctp", "1:2:3:4",
                          "300.1.1.1:80:80", "[::1:80:80", "9-8:9-8"})
    CHECK_THROWS_AS(network::parse_publish(bad), Error);
}

TEST_CASE("-P publishes every exposed port") {
  auto all = network::publish_exposed({"80/tcp", "53/udp", "8080", "9000-9001/tcp", "132/sctp"});
  REQUIRE(all.size() == 5);
  CHECK(all[0] == PortMapping{"", 0, 80, "tcp"});
  CHECK(all[1] == PortMapping{"", 0, 53, "udp"});
  CHECK(all[2] == PortMapping{"", 0, 8080, "tcp"});
  CHECK(all[4] == PortMapping{"", 0, 9001, "tcp"});
}

TEST_CASE("published ports round-trip through their description") {
  for (const PortMapping& p :
       {PortMapping{"", 8080, 80, "tcp"}, PortMapping{"127.0.0.1", 1, 2, "udp"},
        PortMapping{"::1", 8443, 443, "tcp"}}) {
    std::string d = network::describe(p);
    auto back = network::parse_described(d);
    REQUIRE(back);
    CHECK(*back == p);
  }
  CHECK(network::describe({"", 8080, 80, "tcp"}) == "0.0.0.0:8080->80/tcp");
  CHECK(network::describe({"::1", 1, 2, "udp"}) == "[::1]:1->2/udp");
  CHECK_FALSE(network::parse_described("garbage"));
}

TEST_CASE("binding published ports: a free port is chosen, a taken one is refused") {
  auto ls = network::bind_ports({PortMapping{"127.0.0.1", 0, 80, "tcp"}});
  REQUIRE(ls.size() == 1);
  CHECK(ls[0].mapping.host_port > 0);
  CHECK(ls[0].fd);
  try {
    network::bind_ports({PortMapping{"127.0.0.1", ls[0].mapping.host_port, 80, "tcp"}});
    FAIL("a taken port was bound twice");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("already in use") != std::string::npos);
  }
  CHECK_THROWS_AS(network::bind_ports({PortMapping{"203.0.113.7", 0, 80, "tcp"}}), Error);
}
