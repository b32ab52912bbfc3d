#include "network/netlink.hpp"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "network/networks.hpp"
#include "util/error.hpp"

namespace tug::network::netlink {

namespace {

// A request under construction: header, family struct, attributes (nested
// ones through begin/end).
class Message {
 public:
  Message(uint16_t type, uint16_t flags) {
    buf_.resize(NLMSG_HDRLEN);
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK);
  }
  template <typename T>
  void put(const T& body) {
    append(&body, sizeof body);
  }
  void attr(uint16_t type, const void* data, size_t len) {
    struct rtattr a = {};
    a.rta_type = type;
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    append(&a, sizeof a);
    append(data, len);
  }
  void attr(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
  size_t begin(uint16_t type) {
    size_t at = buf_.size();
    attr(type, nullptr, 0);
    return at;
  }
  void end(size_t at) {
    reinterpret_cast<struct rtattr*>(buf_.data() + at)->rta_len =
        static_cast<unsigned short>(buf_.size() - at);
  }
  std::string finish(uint32_t seq) {
    hdr()->nlmsg_seq = seq;
    hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return buf_;
  }

 private:
  struct nlmsghdr* hdr() {
    return reinterpret_cast<struct nlmsghdr*>(buf_.data());
  }
  void append(const void* data, size_t len) {
    if (len) buf_.append(static_cast<const char*>(data), len);
    buf_.resize(NLMSG_ALIGN(buf_.size()));
  }
  std::string buf_;
};

struct ifinfomsg link_header(int index = 0) {
  struct ifinfomsg i = {};
  i.ifi_family = AF_UNSPEC;
  i.ifi_index = index;
  return i;
}

}  // namespace

Socket::Socket() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
  if (!fd_) throw_errno("opening a netlink socket");
  struct sockaddr_nl sa = {};
  sa.nl_family = AF_NETLINK;
  if (::bind(fd_.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0)
    throw_errno("binding a netlink socket");
}

int Socket::request(const std::string& msg) {
  if (::send(fd_.get(), msg.data(), msg.size(), 0) < 0) return -errno;
  uint32_t seq = reinterpret_cast<const struct nlmsghdr*>(msg.data())->nlmsg_seq;
  alignas(struct nlmsghdr) char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    size_t len = static_cast<size_t>(n);
    for (auto* h = reinterpret_cast<struct nlmsghdr*>(buf); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) continue;
      return static_cast<struct nlmsgerr*>(NLMSG_DATA(h))->error;
    }
  }
}

int Socket::index(const std::string& ifname) {
  // Asked over the netlink socket, so the answer is for its namespace,
  // whichever the caller is in now.
  Message m(RTM_GETLINK, 0);
  m.put(link_header());
  m.attr(IFLA_IFNAME, ifname);
  std::string msg = m.finish(++seq_);
  // A GETLINK with an ack returns the link, then the ack.
  if (::send(fd_.get(), msg.data(), msg.size(), 0) < 0) throw_errno("netlink GETLINK");
  alignas(struct nlmsghdr) char buf[16384];
  int found = 0;
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("netlink GETLINK");
    }
    size_t len = static_cast<size_t>(n);
    for (auto* h = reinterpret_cast<struct nlmsghdr*>(buf); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq_) continue;
      if (h->nlmsg_type == RTM_NEWLINK)
        found = static_cast<struct ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
      if (h->nlmsg_type == NLMSG_ERROR) return found;
    }
  }
}

void Socket::create_bridge(const std::string& name, int mtu) {
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.put(link_header());
  m.attr(IFLA_IFNAME, name);
  if (mtu > 0) m.attr_u32(IFLA_MTU, static_cast<uint32_t>(mtu));
  size_t info = m.begin(IFLA_LINKINFO);
  m.attr(IFLA_INFO_KIND, std::string("bridge"));
  m.end(info);
  int rc = request(m.finish(++seq_));
  if (rc != 0 && rc != -EEXIST)
    throw Error(Errc::io, "creating bridge " + name + ": " + std::strerror(-rc));
}

void Socket::create_veth(const std::string& name, const std::string& master, int peer_netns_fd,
                         const std::string& peer_name, int mtu) {
  int master_index = index(master);
  if (master_index == 0) throw Error(Errc::not_found, "no bridge " + master);
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.put(link_header());
  m.attr(IFLA_IFNAME, name);
  m.attr_u32(IFLA_MASTER, static_cast<uint32_t>(master_index));
  if (mtu > 0) m.attr_u32(IFLA_MTU, static_cast<uint32_t>(mtu));
  size_t info = m.begin(IFLA_LINKINFO);
  m.attr(IFLA_INFO_KIND, std::string("veth"));
  size_t data = m.begin(IFLA_INFO_DATA);
  size_t peer = m.begin(VETH_INFO_PEER);
  m.put(link_header());
  m.attr(IFLA_IFNAME, peer_name);
  m.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  if (mtu > 0) m.attr_u32(IFLA_MTU, static_cast<uint32_t>(mtu));
  m.end(peer);
  m.end(data);
  m.end(info);
  int rc = request(m.finish(++seq_));
  if (rc != 0)
    throw Error(Errc::io,
                "creating veth pair " + name + "/" + peer_name + ": " + std::strerror(-rc));
}

void Socket::add_address(const std::string& ifname, const std::string& address, int prefix) {
  int idx = index(ifname);
  if (idx == 0) throw Error(Errc::not_found, "no network device " + ifname);
  struct in_addr a;
  if (::inet_pton(AF_INET, address.c_str(), &a) != 1)
    throw Error(Errc::invalid, "not an IPv4 address: " + address);
  Message m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  struct ifaddrmsg ia = {};
  ia.ifa_family = AF_INET;
  ia.ifa_prefixlen = static_cast<unsigned char>(prefix);
  ia.ifa_index = static_cast<unsigned>(idx);
  m.put(ia);
  m.attr(IFA_LOCAL, &a, sizeof a);
  m.attr(IFA_ADDRESS, &a, sizeof a);
  if (prefix > 0 && prefix < 31) {
    // The subnet's broadcast address, as `ip addr add A/N brd +` (and
    // podman's netavark) give it: `ip addr` shows brd, broadcasts reach
    // the bridge.
    struct in_addr b;
    b.s_addr = htonl(ntohl(a.s_addr) | (0xffffffffU >> prefix));
    m.attr(IFA_BROADCAST, &b, sizeof b);
  }
  int rc = request(m.finish(++seq_));
  if (rc != 0)
    throw Error(Errc::io,
                "adding address " + address + " to " + ifname + ": " + std::strerror(-rc));
}

void Socket::set_up(const std::string& ifname) {
  Message m(RTM_NEWLINK, 0);
  struct ifinfomsg i = link_header();
  i.ifi_flags = IFF_UP;
  i.ifi_change = IFF_UP;
  m.put(i);
  m.attr(IFLA_IFNAME, ifname);
  int rc = request(m.finish(++seq_));
  if (rc != 0) throw Error(Errc::io, "bringing " + ifname + " up: " + std::strerror(-rc));
}

namespace {

Message unreachable_route(uint16_t type, uint16_t flags, const std::string& subnet, uint32_t* dst) {
  auto [net, prefix] = parse_subnet(subnet);
  *dst = htonl(net);
  Message m(type, flags);
  struct rtmsg r = {};
  r.rtm_family = AF_INET;
  r.rtm_dst_len = static_cast<unsigned char>(prefix);
  r.rtm_table = RT_TABLE_MAIN;
  r.rtm_protocol = RTPROT_STATIC;
  r.rtm_scope = RT_SCOPE_NOWHERE;
  r.rtm_type = RTN_UNREACHABLE;
  m.put(r);
  m.attr(RTA_DST, dst, sizeof *dst);
  return m;
}

}  // namespace

void Socket::add_unreachable_route(const std::string& subnet) {
  uint32_t dst;
  Message m = unreachable_route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, subnet, &dst);
  int rc = request(m.finish(++seq_));
  if (rc != 0)
    throw Error(Errc::io, "adding an unreachable route to " + subnet + ": " + std::strerror(-rc));
}

void Socket::delete_unreachable_route(const std::string& subnet) {
  uint32_t dst;
  Message m = unreachable_route(RTM_DELROUTE, 0, subnet, &dst);
  int rc = request(m.finish(++seq_));
  if (rc != 0 && rc != -ESRCH)
    throw Error(Errc::io,
                "removing the unreachable route to " + subnet + ": " + std::strerror(-rc));
}

bool Socket::add_default_route(const std::string& gateway) {
  uint32_t gw;
  if (::inet_pton(AF_INET, gateway.c_str(), &gw) != 1)
    throw Error(Errc::invalid, "invalid gateway " + gateway);
  Message m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg r = {};
  r.rtm_family = AF_INET;
  r.rtm_table = RT_TABLE_MAIN;
  r.rtm_protocol = RTPROT_STATIC;
  r.rtm_scope = RT_SCOPE_UNIVERSE;
  r.rtm_type = RTN_UNICAST;
  m.put(r);
  m.attr(RTA_GATEWAY, &gw, sizeof gw);
  int rc = request(m.finish(++seq_));
  if (rc == -EEXIST) return false;
  if (rc != 0)
    throw Error(Errc::io, "adding the default route via " + gateway + ": " + std::strerror(-rc));
  return true;
}

void Socket::delete_link(const std::string& ifname) {
  Message m(RTM_DELLINK, 0);
  m.put(link_header());
  m.attr(IFLA_IFNAME, ifname);
  int rc = request(m.finish(++seq_));
  if (rc != 0 && rc != -ENODEV)
    throw Error(Errc::io, "removing " + ifname + ": " + std::strerror(-rc));
}

}  // namespace tug::network::netlink
