#pragma once
// DNS messages as the network responder needs them (RFC 1035): the
// question of a query, and answers built from it. Pure functions; the
// responder that serves user-defined networks is in libexec/tug-netns.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tug::network::dns {

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kClassIN = 1;
inline constexpr int kServFail = 2;
inline constexpr int kNxDomain = 3;

struct Question {
  uint16_t id = 0;
  std::string name;  // lower case, without the trailing dot
  uint16_t type = 0;
  uint16_t klass = 0;
  size_t end = 0;  // offset just past the question in the query
};

// The first question of a standard query; nullopt for anything else
// (responses, truncated packets, compressed or oversized names).
std::optional<Question> parse_query(std::string_view packet);

// The response to query `packet` (parsed as q): one A record per address
// (an empty list is a NOERROR answer without records, right for the other
// record types of a name that exists).
std::string answer(std::string_view packet, const Question& q, const std::vector<std::string>& ipv4,
                   uint32_t ttl = 60);

// An error response (kServFail, kNxDomain) to query `packet`.
std::string error_response(std::string_view packet, const Question& q, int rcode);

// The id field of a DNS message (0 if too short) and a copy with another id,
// for relaying a query upstream and its answer back.
uint16_t message_id(std::string_view packet);
std::string with_id(std::string_view packet, uint16_t id);

}  // namespace tug::network::dns
