#include "network/dns.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace tug::network::dns {

namespace {

constexpr size_t kHeader = 12;

uint16_t get16(std::string_view p, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[at]) << 8) |
                               static_cast<uint8_t>(p[at + 1]));
}

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void set16(std::string& out, size_t at, uint16_t v) {
  out[at] = static_cast<char>(v >> 8);
  out[at + 1] = static_cast<char>(v & 0xff);
}

// Header and question of the query, turned into a response header with
// `answers` records to follow and no other sections.
std::string response_head(std::string_view packet, const Question& q, int rcode, uint16_t answers) {
  std::string out(packet.substr(0, q.end));
  uint16_t flags = get16(packet, 2);
  uint16_t rd = flags & 0x0100;
  // QR, authoritative, RD copied, RA, rcode.
  set16(out, 2, static_cast<uint16_t>(0x8000 | 0x0400 | rd | 0x0080 | (rcode & 0xf)));
  set16(out, 4, 1);
  set16(out, 6, answers);
  set16(out, 8, 0);
  set16(out, 10, 0);
  return out;
}

}  // namespace

std::optional<Question> parse_query(std::string_view p) {
  if (p.size() < kHeader) return std::nullopt;
  uint16_t flags = get16(p, 2);
  if (flags & 0x8000) return std::nullopt;              // a response
  if (((flags >> 11) & 0xf) != 0) return std::nullopt;  // not a standard query
  if (get16(p, 4) < 1) return std::nullopt;
  Question q;
  q.id = get16(p, 0);
  size_t at = kHeader;
  for (;;) {
    if (at >= p.size()) return std::nullopt;
    auto len = static_cast<uint8_t>(p[at++]);
    if (len == 0) break;
    if (len > 63 || at + len > p.size()) return std::nullopt;  // compression or truncation
    if (!q.name.empty()) q.name.push_back('.');
    for (size_t i = 0; i < len; ++i)
      q.name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(p[at + i]))));
    at += len;
    if (q.name.size() > 253) return std::nullopt;
  }
  if (at + 4 > p.size()) return std::nullopt;
  q.type = get16(p, at);
  q.klass = get16(p, at + 2);
  q.end = at + 4;
  return q;
}

std::string answer(std::string_view packet, const Question& q, const std::vector<std::string>& ipv4,
                   uint32_t ttl) {
  std::vector<struct in_addr> addrs;
  for (const auto& a : ipv4) {
    struct in_addr in;
    if (::inet_pton(AF_INET, a.c_str(), &in) == 1) addrs.push_back(in);
  }
  std::string out = response_head(packet, q, 0, static_cast<uint16_t>(addrs.size()));
  for (const auto& in : addrs) {
    put16(out, 0xc000 | kHeader);  // the name: a pointer to the question's
    put16(out, kTypeA);
    put16(out, kClassIN);
    put16(out, static_cast<uint16_t>(ttl >> 16));
    put16(out, static_cast<uint16_t>(ttl & 0xffff));
    put16(out, 4);
    out.append(reinterpret_cast<const char*>(&in), 4);
  }
  return out;
}

std::string error_response(std::string_view packet, const Question& q, int rcode) {
  return response_head(packet, q, rcode, 0);
}

uint16_t message_id(std::string_view packet) {
  return packet.size() < 2 ? 0 : get16(packet, 0);
}

std::string with_id(std::string_view packet, uint16_t id) {
  std::string out(packet);
  if (out.size() >= 2) set16(out, 0, id);
  return out;
}

}  // namespace tug::network::dns
