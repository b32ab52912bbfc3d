#include "cli/format.hpp"

#include <strings.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

[[noreturn]] void fail(const std::string& msg) {
  throw Error(Errc::usage, "template: " + msg);
}

[[noreturn]] void fail_at(int line, const std::string& msg) {
  fail(":" + std::to_string(line) + ": " + msg);
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

size_t display_width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;  // count UTF-8 lead bytes only
  return w;
}

// Docker and podman replace the two-character sequences \t and \n in a
// --format before parsing it, so shells need no $'...' quoting.
std::string unescape_format(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 't' || s[i + 1] == 'n')) {
      out += s[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Docker trims spaces (only spaces) around a format.
std::string trim_spaces(const std::string& s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

// ---- lexing one action ------------------------------------------------------

enum class Tok {
  field,
  var,
  string,
  number,
  boolean,
  nil,
  ident,
  pipe,
  lparen,
  rparen,
  comma,
  declare,
  assign
};

struct Token {
  Tok kind;
  std::string text;       // field ".A.B", var "$x.A", identifier, decoded string, number
  bool attached = false;  // no blank before it: a field chain on a preceding ")"
};

// Decodes a Go interpreted string literal starting at s[i] == '"'.
std::string lex_string(const std::string& s, size_t& i, int line) {
  std::string out;
  for (++i; i < s.size() && s[i] != '"'; ++i) {
    char c = s[i];
    if (c == '\n') fail_at(line, "unterminated quoted string");
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) break;
    switch (s[i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case '\'':
        out += '\'';
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : 8;
        if (i + n >= s.size()) fail_at(line, "bad escape in quoted string");
        std::string hex = s.substr(i + 1, n);
        if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
          fail_at(line, "bad escape in quoted string");
        auto v = static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));
        if (n == 2)
          out += static_cast<char>(v);
        else
          append_utf8(out, v);
        i += n;
        break;
      }
      default:
        fail_at(line, "unknown escape sequence \\" + std::string(1, s[i]));
    }
  }
  if (i >= s.size()) fail_at(line, "unterminated quoted string");
  ++i;
  return out;
}

std::vector<Token> lex_action(const std::string& s, int line) {
  std::vector<Token> toks;
  size_t i = 0;
  bool blank = true;
  while (i < s.size()) {
    char c = s[i];
    if (is_space(c)) {
      blank = true;
      ++i;
      continue;
    }
    Token t{Tok::ident, "", !blank};
    blank = false;
    if (c == '"') {
      t.kind = Tok::string;
      t.text = lex_string(s, i, line);
    } else if (c == '`') {
      size_t j = s.find('`', i + 1);
      if (j == std::string::npos) fail_at(line, "unterminated raw quoted string");
      t.kind = Tok::string;
      t.text = s.substr(i + 1, j - i - 1);
      i = j + 1;
    } else if (c == '\'') {
      // A character constant is a number in Go.
      size_t j = s.find('\'', i + 1);
      if (j == std::string::npos || j == i + 1) fail_at(line, "unterminated character constant");
      std::string body = s.substr(i + 1, j - i - 1);
      t.kind = Tok::number;
      t.text = std::to_string(static_cast<unsigned char>(body[0]));
      i = j + 1;
    } else if (c == '|' || c == '(' || c == ')' || c == ',') {
      t.kind = c == '|' ? Tok::pipe : c == '(' ? Tok::lparen : c == ')' ? Tok::rparen : Tok::comma;
      ++i;
    } else if (c == ':' && i + 1 < s.size() && s[i + 1] == '=') {
      t.kind = Tok::declare;
      i += 2;
    } else if (c == '=') {
      t.kind = Tok::assign;
      ++i;
    } else if (c == '$' || (c == '.' && !(i + 1 < s.size() && std::isdigit(s[i + 1])))) {
      // $var.A.B and .A.B; a lone "." is dot itself.
      size_t j = i + 1;
      while (j < s.size() && is_ident_char(s[j])) ++j;
      while (j + 1 < s.size() && s[j] == '.' && is_ident_char(s[j + 1])) {
        ++j;
        while (j < s.size() && is_ident_char(s[j])) ++j;
      }
      if (j < s.size() && s[j] == '.')
        fail_at(line, "unexpected . after term " + quote(s.substr(i, j - i)));
      t.kind = c == '$' ? Tok::var : Tok::field;
      t.text = s.substr(i, j - i);
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               ((c == '-' || c == '+' || c == '.') && i + 1 < s.size() &&
                (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '.'))) {
      size_t j = i + 1;
      while (j < s.size() && (is_ident_char(s[j]) || s[j] == '.' ||
                              ((s[j] == '+' || s[j] == '-') && std::strchr("eEpP", s[j - 1]))))
        ++j;
      t.kind = Tok::number;
      t.text = s.substr(i, j - i);
      i = j;
    } else if (is_ident_char(c)) {
      size_t j = i;
      while (j < s.size() && is_ident_char(s[j])) ++j;
      t.text = s.substr(i, j - i);
      t.kind = t.text == "true" || t.text == "false" ? Tok::boolean
               : t.text == "nil"                     ? Tok::nil
                                                     : Tok::ident;
      i = j;
    } else {
      fail_at(line, "unexpected \"" + std::string(1, c) + "\" in command");
    }
    toks.push_back(std::move(t));
  }
  return toks;
}

json parse_number(const std::string& text, int line) {
  std::string t;
  for (char c : text)
    if (c != '_') t += c;
  const char* b = t.c_str();
  char* end = nullptr;
  bool is_float = t.find_first_of(".eEpP") != std::string::npos &&
                  !(t.size() > 2 && (t[1] == 'x' || t[1] == 'X' || t[2] == 'x' || t[2] == 'X'));
  if (!is_float) {
    errno = 0;
    long long v = std::strtoll(b, &end, 0);
    if (*end == '\0' && errno == 0) return json(static_cast<int64_t>(v));
  }
  double d = std::strtod(b, &end);
  if (*end != '\0' || t.empty()) fail_at(line, "bad number syntax: " + quote(text));
  return json(d);
}

// ---- syntax tree ------------------------------------------------------------

struct Pipe;

struct Arg {
  enum class Kind { field, var, literal, sub, function } kind = Kind::field;
  std::string name;                 // variable ("$", "$x") or function name
  std::vector<std::string> fields;  // field chain applied to the value
  json value;                       // literal
  std::shared_ptr<Pipe> sub;        // (pipeline)
};

struct Cmd {
  std::vector<Arg> args;  // args[0] is the function, if any
};

struct Pipe {
  std::vector<std::string> decl;  // $x := / $k, $v := / $x =
  bool assign = false;
  std::vector<Cmd> cmds;
};

struct Node {
  enum class Kind { text, action, if_, range, with, break_, continue_ } kind = Kind::text;
  std::string text;
  Pipe pipe;
  std::vector<Node> body, alt;
};

// The template split into text and actions before parsing the actions.
struct Item {
  bool action = false;
  std::string text;  // text, or the action's inner source
  int line = 1;
};

std::vector<Item> split_items(const std::string& s) {
  std::vector<Item> items;
  size_t pos = 0;
  int line = 1;
  bool trim_next = false;
  auto add_text = [&](std::string text) {
    if (trim_next) {
      size_t b = 0;
      while (b < text.size() && is_space(text[b])) ++b;
      text.erase(0, b);
      trim_next = false;
    }
    if (!text.empty()) items.push_back({false, text, line});
  };
  while (pos < s.size()) {
    size_t open = s.find("{{", pos);
    if (open == std::string::npos) {
      add_text(s.substr(pos));
      break;
    }
    std::string text = s.substr(pos, open - pos);
    size_t start = open + 2;
    // "{{- " trims the white space before the action.
    bool trim_left = start + 1 < s.size() && s[start] == '-' && is_space(s[start + 1]);
    if (trim_left) {
      while (!text.empty() && is_space(text.back())) text.pop_back();
      start += 2;
    }
    add_text(text);
    line += static_cast<int>(
        std::count(s.begin() + static_cast<long>(pos), s.begin() + static_cast<long>(open), '\n'));
    int action_line = line;
    // Find the closing "}}", skipping quoted strings and comments.
    size_t i = start;
    while (i < s.size() && is_space(s[i])) ++i;
    bool comment = s.compare(i, 2, "/*") == 0;
    if (comment) {
      size_t e = s.find("*/", i + 2);
      if (e == std::string::npos) fail_at(action_line, "unclosed comment");
      i = e + 2;
    }
    size_t close = std::string::npos;
    for (; i + 1 < s.size(); ++i) {
      char c = s[i];
      if (comment && !is_space(c) && c != '-' && c != '}')
        fail_at(action_line, "comment ends before closing delimiter");
      if (c == '"' || c == '`' || c == '\'') {
        size_t j = i + 1;
        while (j < s.size() && s[j] != c) j += (c != '`' && s[j] == '\\') ? 2 : 1;
        if (j >= s.size())
          fail_at(action_line, c == '"'   ? "unterminated quoted string"
                               : c == '`' ? "unterminated raw quoted string"
                                          : "unterminated character constant");
        i = j;
        continue;
      }
      if (c == '}' && s[i + 1] == '}') {
        close = i;
        break;
      }
    }
    if (close == std::string::npos) fail_at(action_line, "unclosed action");
    std::string inner = s.substr(start, close - start);
    // " -}}" trims the white space after the action.
    if (inner.size() >= 2 && inner.back() == '-' && is_space(inner[inner.size() - 2])) {
      inner.resize(inner.size() - 2);
      trim_next = true;
    }
    line += static_cast<int>(std::count(inner.begin(), inner.end(), '\n'));
    if (!comment) items.push_back({true, inner, action_line});
    pos = close + 2;
  }
  return items;
}

const char* const kFunctions[] = {
    "and",   "or",    "not",   "eq",    "ne",     "lt",      "le",      "gt",       "ge",
    "len",   "index", "slice", "print", "printf", "println", "html",    "urlquery", "json",
    "upper", "lower", "title", "split", "join",   "pad",     "truncate"};

bool is_function(const std::string& name) {
  for (const char* f : kFunctions)
    if (name == f) return true;
  return false;
}

class Parser {
 public:
  explicit Parser(std::vector<Item> items) : items_(std::move(items)) {}

  std::vector<Node> parse() {
    std::string stop;
    auto nodes = parse_list(&stop);
    if (!stop.empty()) fail_at(line_, "unexpected {{" + stop + "}}");
    return nodes;
  }

 private:
  std::vector<Item> items_;
  size_t idx_ = 0;
  int line_ = 1;
  std::vector<std::string> vars_{"$"};  // declared variables in scope
  int range_depth_ = 0;
  // Set when a list stops at "else": the tokens after "else" (else if/with).
  std::vector<Token> else_rest_;

  std::vector<Token> toks_;
  size_t pos_ = 0;

  // Parses nodes until {{end}} or {{else}} (its name goes to *stop) or the end.
  std::vector<Node> parse_list(std::string* stop) {
    std::vector<Node> out;
    stop->clear();
    while (idx_ < items_.size()) {
      const Item& it = items_[idx_++];
      line_ = it.line;
      if (!it.action) {
        Node n;
        n.text = it.text;
        out.push_back(std::move(n));
        continue;
      }
      toks_ = lex_action(it.text, it.line);
      pos_ = 0;
      if (toks_.empty()) fail_at(line_, "missing value for command");
      const Token& head = toks_[0];
      std::string word = head.kind == Tok::ident ? head.text : "";
      if (word == "end" || word == "else") {
        if (word == "end" && toks_.size() > 1) fail_at(line_, "unexpected tokens after {{end}}");
        *stop = word;
        else_rest_.assign(toks_.begin() + 1, toks_.end());
        return out;
      }
      if (word == "if" || word == "range" || word == "with") {
        pos_ = 1;
        out.push_back(parse_control(word));
      } else if (word == "break" || word == "continue") {
        if (range_depth_ == 0) fail_at(line_, "{{" + word + "}} outside {{range}}");
        if (toks_.size() > 1) fail_at(line_, "unexpected tokens after {{" + word + "}}");
        Node n;
        n.kind = word == "break" ? Node::Kind::break_ : Node::Kind::continue_;
        out.push_back(std::move(n));
      } else if (word == "define" || word == "template" || word == "block") {
        fail_at(line_, "{{" + word + "}} is not supported");
      } else {
        Node n;
        n.kind = Node::Kind::action;
        n.pipe = parse_pipe(true, false);
        out.push_back(std::move(n));
      }
    }
    return out;
  }

  // toks_/pos_ hold the pipeline after the keyword.
  Node parse_control(const std::string& word) {
    Node n;
    n.kind = word == "if"      ? Node::Kind::if_
             : word == "range" ? Node::Kind::range
                               : Node::Kind::with;
    size_t mark = vars_.size();
    int start_line = line_;
    n.pipe = parse_pipe(true, n.kind == Node::Kind::range);
    if (n.kind == Node::Kind::range) ++range_depth_;
    std::string stop;
    n.body = parse_list(&stop);
    if (n.kind == Node::Kind::range) --range_depth_;
    if (stop == "else") {
      if (!else_rest_.empty()) {
        // {{else if P}} / {{else with P}}: a nested control sharing our {{end}}.
        std::vector<Token> rest = else_rest_;
        if (rest[0].kind != Tok::ident || (rest[0].text != "if" && rest[0].text != "with"))
          fail_at(line_, "unexpected tokens after {{else}}");
        toks_ = rest;
        pos_ = 1;
        n.alt.push_back(parse_control(rest[0].text));
      } else {
        n.alt = parse_list(&stop);
        if (stop != "end") fail_at(start_line, "missing {{end}} for {{" + word + "}}");
      }
    } else if (stop != "end") {
      fail_at(start_line, "missing {{end}} for {{" + word + "}}");
    }
    vars_.resize(mark);
    return n;
  }

  bool at_end() const { return pos_ >= toks_.size(); }
  const Token& peek() const { return toks_[pos_]; }

  Pipe parse_pipe(bool allow_decl, bool range) {
    Pipe p;
    if (allow_decl && !at_end() && peek().kind == Tok::var &&
        peek().text.find('.') == std::string::npos) {
      // Look for "$x :=", "$x =" or (range only) "$k, $v :=".
      size_t save = pos_;
      std::vector<std::string> names{toks_[pos_++].text};
      if (range && !at_end() && peek().kind == Tok::comma) {
        ++pos_;
        if (at_end() || peek().kind != Tok::var)
          fail_at(line_, "range can only initialize variables");
        names.push_back(toks_[pos_++].text);
      }
      if (!at_end() && (peek().kind == Tok::declare || peek().kind == Tok::assign)) {
        p.assign = peek().kind == Tok::assign;
        ++pos_;
        p.decl = names;
      } else {
        if (names.size() > 1) fail_at(line_, "too many declarations");
        pos_ = save;
      }
    }
    p.cmds = parse_cmds(false);
    if (!at_end()) fail_at(line_, "unexpected " + describe(peek()) + " in command");
    if (p.assign) {
      for (const auto& v : p.decl)
        if (std::find(vars_.begin(), vars_.end(), v) == vars_.end())
          fail_at(line_, "undefined variable " + quote(v));
    } else {
      vars_.insert(vars_.end(), p.decl.begin(), p.decl.end());
    }
    return p;
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::rparen:
        return "\")\"";
      case Tok::lparen:
        return "\"(\"";
      case Tok::comma:
        return "\",\"";
      case Tok::declare:
        return "\":=\"";
      case Tok::assign:
        return "\"=\"";
      case Tok::pipe:
        return "\"|\"";
      default:
        return quote(t.text);
    }
  }

  std::vector<Cmd> parse_cmds(bool in_parens) {
    std::vector<Cmd> cmds;
    while (true) {
      Cmd c;
      while (!at_end() && peek().kind != Tok::pipe && peek().kind != Tok::rparen)
        c.args.push_back(parse_arg(c.args.empty()));
      if (c.args.empty()) fail_at(line_, "missing value for command");
      if (c.args[0].kind != Arg::Kind::function) {
        if (c.args.size() > 1) fail_at(line_, "can't give argument to non-function");
        if (!cmds.empty())
          fail_at(line_,
                  "non executable command in pipeline stage " + std::to_string(cmds.size() + 1));
      }
      cmds.push_back(std::move(c));
      if (at_end() || peek().kind == Tok::rparen) break;
      ++pos_;  // "|"
      if (at_end()) fail_at(line_, "missing command after |");
    }
    if (!in_parens && !at_end() && peek().kind == Tok::rparen) fail_at(line_, "unexpected \")\"");
    return cmds;
  }

  static std::vector<std::string> chain(const std::string& text) {
    std::vector<std::string> parts = split(text, '.');
    return std::vector<std::string>(parts.begin() + 1, parts.end());
  }

  Arg parse_arg(bool first) {
    const Token t = toks_[pos_++];
    Arg a;
    switch (t.kind) {
      case Tok::field:
        a.kind = Arg::Kind::field;
        if (t.text != ".") a.fields = chain(t.text);
        return a;
      case Tok::var: {
        a.kind = Arg::Kind::var;
        auto parts = split(t.text, '.');
        a.name = parts[0];
        a.fields.assign(parts.begin() + 1, parts.end());
        if (std::find(vars_.begin(), vars_.end(), a.name) == vars_.end())
          fail_at(line_, "undefined variable " + quote(a.name));
        return a;
      }
      case Tok::string:
        a.kind = Arg::Kind::literal;
        a.value = t.text;
        return a;
      case Tok::number:
        a.kind = Arg::Kind::literal;
        a.value = parse_number(t.text, line_);
        return a;
      case Tok::boolean:
        a.kind = Arg::Kind::literal;
        a.value = t.text == "true";
        return a;
      case Tok::nil:
        if (first) fail_at(line_, "nil is not a command");
        a.kind = Arg::Kind::literal;
        return a;
      case Tok::lparen: {
        a.kind = Arg::Kind::sub;
        a.sub = std::make_shared<Pipe>();
        a.sub->cmds = parse_cmds(true);
        if (at_end() || peek().kind != Tok::rparen) fail_at(line_, "unclosed left paren");
        ++pos_;
        if (!at_end() && peek().kind == Tok::field && peek().attached && peek().text != ".")
          a.fields = chain(toks_[pos_++].text);
        return a;
      }
      case Tok::ident:
        if (!is_function(t.text)) fail_at(line_, "function " + quote(t.text) + " not defined");
        if (!first)
          fail_at(line_, "function " + quote(t.text) + " needs parentheses as an argument");
        a.kind = Arg::Kind::function;
        a.name = t.text;
        return a;
      default:
        fail_at(line_, "unexpected " + describe(t) + " in operand");
    }
  }
};

// ---- values -----------------------------------------------------------------

// Go's %v for floats: shortest digits that round-trip; exponent form when the
// exponent is < -4 or >= 6 (strconv's 'g' with precision -1: 1e+06).
std::string go_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  char buf[64];
  for (int p = 0; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*e", p, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::string s = buf;
  bool neg = s[0] == '-';
  if (neg) s.erase(0, 1);
  size_t e = s.find('e');
  int exp = std::atoi(s.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i)
    if (s[i] != '.') digits += s[i];
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string r = neg ? "-" : "";
  if (exp < -4 || exp >= 6) {
    r += digits.substr(0, 1);
    if (digits.size() > 1) r += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return r + eb;
  }
  if (exp < 0) return r + "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  auto ip = static_cast<size_t>(exp) + 1;
  if (digits.size() <= ip) return r + digits + std::string(ip - digits.size(), '0');
  return r + digits.substr(0, ip) + "." + digits.substr(ip);
}

// Go's fmt %v for the JSON shapes (nil prints "<nil>").
std::string go_print(const json& v) {
  if (v.is_null()) return "<nil>";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return go_float(v.get<double>());
  std::vector<std::string> parts;
  if (v.is_array()) {
    for (const auto& e : v) parts.push_back(go_print(e));
    return "[" + join(parts, " ") + "]";
  }
  for (auto it = v.begin(); it != v.end(); ++it) parts.push_back(it.key() + ":" + go_print(*it));
  return "map[" + join(parts, " ") + "]";
}

std::string go_type(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "<nil>";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "int";
    case json::value_t::number_float:
      return "float64";
    case json::value_t::array:
      return "[]interface {}";
    default:
      return "map[string]interface {}";
  }
}

// Go's strconv.Quote for the common cases.
std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// Compact JSON like Go's encoder without HTML escaping (docker's json
// function); invalid UTF-8 is replaced rather than failing the listing.
std::string dump_json(const json& v, int indent = -1) {
  return v.dump(indent, ' ', false, json::error_handler_t::replace);
}

bool truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();
}

// The text of a string argument; numbers and booleans print as %v, null is empty.
std::string text_of(const json& v) {
  return v.is_null() ? "" : go_print(v);
}

bool integral(const json& v) {
  return v.is_number_integer() ||
         (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
}

int64_t int_of(const json& v, const char* fn) {
  if (!v.is_number()) fail(std::string(fn) + ": expected an integer, got " + go_type(v));
  return v.is_number_integer() ? v.get<int64_t>() : static_cast<int64_t>(v.get<double>());
}

// ---- printf -----------------------------------------------------------------

std::string pad_to(const std::string& s, int width, bool left) {
  size_t w = display_width(s);
  if (width <= 0 || w >= static_cast<size_t>(width)) return s;
  std::string fill(static_cast<size_t>(width) - w, ' ');
  return left ? s + fill : fill + s;
}

std::string utf8_prefix(const std::string& s, size_t chars) {
  size_t n = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == chars) break;
      ++n;
    }
  }
  return s.substr(0, i);
}

std::string go_sprintf(const std::string& fmt, const std::vector<json>& args) {
  std::string out;
  size_t ai = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    size_t j = i + 1;
    std::string flags;
    while (j < fmt.size() && std::strchr("-+# 0", fmt[j])) flags += fmt[j++];
    int width = 0;
    while (j < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[j])))
      width = width * 10 + (fmt[j++] - '0');
    int prec = -1;
    if (j < fmt.size() && fmt[j] == '.') {
      prec = 0;
      ++j;
      while (j < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[j])))
        prec = prec * 10 + (fmt[j++] - '0');
    }
    if (j >= fmt.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char verb = fmt[j];
    i = j;
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (ai >= args.size()) {
      out += "%!" + std::string(1, verb) + "(MISSING)";
      continue;
    }
    const json& a = args[ai++];
    bool left = flags.find('-') != std::string::npos;
    std::string cspec = "%" + flags + (width ? std::to_string(width) : "") +
                        (prec >= 0 ? "." + std::to_string(prec) : "");
    auto bad = [&] {
      return a.is_null() ? "%!" + std::string(1, verb) + "(<nil>)"
                         : "%!" + std::string(1, verb) + "(" + go_type(a) + "=" + go_print(a) + ")";
    };
    char buf[512];
    switch (verb) {
      case 'v':
      case 's': {
        if (a.is_null() && verb == 's') {
          out += bad();
          break;
        }
        std::string s = go_print(a);
        if (prec >= 0) s = utf8_prefix(s, static_cast<size_t>(prec));
        out += pad_to(s, width, left);
        break;
      }
      case 'q':
        out += pad_to(go_quote(text_of(a)), width, left);
        break;
      case 't':
        out += a.is_boolean() ? pad_to(go_print(a), width, left) : bad();
        break;
      case 'T':
        out += pad_to(go_type(a), width, left);
        break;
      case 'd':
      case 'o':
      case 'x':
      case 'X':
      case 'c':
      case 'b':
        if (a.is_string() && (verb == 'x' || verb == 'X')) {
          std::string hex;
          for (unsigned char c : a.get_ref<const std::string&>()) {
            std::snprintf(buf, sizeof buf, verb == 'x' ? "%02x" : "%02X", c);
            hex += buf;
          }
          out += pad_to(hex, width, left);
        } else if (!integral(a)) {
          out += bad();
        } else if (verb == 'c') {
          std::string ch;
          append_utf8(ch, static_cast<uint32_t>(int_of(a, "printf")));
          out += pad_to(ch, width, left);
        } else if (verb == 'b') {
          auto v = static_cast<uint64_t>(std::llabs(int_of(a, "printf")));
          std::string bits;
          do {
            bits.insert(bits.begin(), static_cast<char>('0' + (v & 1)));
            v >>= 1;
          } while (v);
          out += pad_to((int_of(a, "printf") < 0 ? "-" : "") + bits, width, left);
        } else {
          std::string spec = cspec + (verb == 'd' ? "lld" : std::string("ll") + verb);
          std::snprintf(buf, sizeof buf, spec.c_str(), static_cast<long long>(int_of(a, "printf")));
          out += buf;
        }
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
        if (!a.is_number()) {
          out += bad();
        } else if ((verb == 'g' || verb == 'G') && prec < 0) {
          // Go's %g without a precision is the shortest form, like %v.
          std::string s = go_float(a.get<double>());
          if (flags.find('+') != std::string::npos && s[0] != '-') s = "+" + s;
          out += pad_to(s, width, left);
        } else {
          std::snprintf(buf, sizeof buf, (cspec + verb).c_str(), a.get<double>());
          out += buf;
        }
        break;
      default:
        out += "%!" + std::string(1, verb) + "(" + go_type(a) + "=" + go_print(a) + ")";
    }
  }
  if (ai < args.size()) {
    std::vector<std::string> extra;
    for (; ai < args.size(); ++ai)
      extra.push_back(args[ai].is_null() ? "<nil>" : go_type(args[ai]) + "=" + go_print(args[ai]));
    out += "%!(EXTRA " + join(extra, ", ") + ")";
  }
  return out;
}

// ---- functions --------------------------------------------------------------

int compare(const json& a, const json& b, const std::string& fn) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_integer() && b.is_number_integer()) {
      auto x = a.get<int64_t>(), y = b.get<int64_t>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) return a.get<std::string>().compare(b.get<std::string>());
  if (a.is_boolean() && b.is_boolean() && (fn == "eq" || fn == "ne"))
    return a.get<bool>() == b.get<bool>() ? 0 : 1;
  if (a.is_null() || b.is_null()) {
    if (fn == "eq" || fn == "ne") return a.is_null() && b.is_null() ? 0 : 1;
    fail("error calling " + fn + ": invalid type for comparison");
  }
  if (a.is_structured() || b.is_structured())
    fail("error calling " + fn + ": non-comparable type " + go_type(a.is_structured() ? a : b));
  fail("error calling " + fn + ": incompatible types for comparison");
}

std::string title_case(const std::string& s) {
  std::string out = s;
  bool start = true;
  for (auto& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (start && std::isalpha(u)) c = static_cast<char>(std::toupper(u));
    start = !(std::isalnum(u) || c == '_' || u >= 0x80);
  }
  return out;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string url_query_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

json call_function(const std::string& fn, const std::vector<json>& args) {
  auto need = [&](size_t n) {
    if (args.size() != n)
      fail("wrong number of args for " + fn + ": want " + std::to_string(n) + " got " +
           std::to_string(args.size()));
  };
  auto need_min = [&](size_t n) {
    if (args.size() < n)
      fail("wrong number of args for " + fn + ": want at least " + std::to_string(n) + " got " +
           std::to_string(args.size()));
  };
  if (fn == "not") {
    need(1);
    return !truthy(args[0]);
  }
  if (fn == "eq") {
    need_min(2);
    for (size_t i = 1; i < args.size(); ++i)
      if (compare(args[0], args[i], fn) == 0) return true;
    return false;
  }
  if (fn == "ne" || fn == "lt" || fn == "le" || fn == "gt" || fn == "ge") {
    need(2);
    int c = compare(args[0], args[1], fn);
    if (fn == "ne") return c != 0;
    if (fn == "lt") return c < 0;
    if (fn == "le") return c <= 0;
    if (fn == "gt") return c > 0;
    return c >= 0;
  }
  if (fn == "len") {
    need(1);
    const json& v = args[0];
    if (v.is_string()) return static_cast<int64_t>(v.get_ref<const std::string&>().size());
    if (v.is_structured()) return static_cast<int64_t>(v.size());
    fail("error calling len: len of " +
         (v.is_null() ? std::string("nil pointer") : "type " + go_type(v)));
  }
  if (fn == "index") {
    need_min(1);
    json cur = args[0];
    for (size_t i = 1; i < args.size(); ++i) {
      const json& k = args[i];
      if (cur.is_object()) {
        if (!k.is_string())
          fail("error calling index: value has type " + go_type(k) + "; should be string");
        auto it = cur.find(k.get<std::string>());
        cur = it == cur.end() ? json() : *it;
      } else if (cur.is_array() || cur.is_string()) {
        if (!integral(k))
          fail("error calling index: cannot index slice/array with type " + go_type(k));
        int64_t n = int_of(k, "index");
        size_t size = cur.is_array() ? cur.size() : cur.get_ref<const std::string&>().size();
        if (n < 0 || static_cast<size_t>(n) >= size)
          fail("error calling index: index out of range: " + std::to_string(n));
        if (cur.is_array())
          cur = json(cur[static_cast<size_t>(n)]);
        else
          cur = static_cast<int64_t>(static_cast<unsigned char>(
              cur.get_ref<const std::string&>()[static_cast<size_t>(n)]));
      } else if (cur.is_null()) {
        fail("error calling index: index of untyped nil");
      } else {
        fail("error calling index: can't index item of type " + go_type(cur));
      }
    }
    return cur;
  }
  if (fn == "slice") {
    need_min(1);
    const json& v = args[0];
    if (args.size() > 3 || !(v.is_array() || v.is_string()))
      fail("error calling slice: can't slice item of type " + go_type(v));
    size_t size = v.is_array() ? v.size() : v.get_ref<const std::string&>().size();
    int64_t lo = args.size() > 1 ? int_of(args[1], "slice") : 0;
    int64_t hi = args.size() > 2 ? int_of(args[2], "slice") : static_cast<int64_t>(size);
    if (lo < 0 || hi < lo || static_cast<size_t>(hi) > size)
      fail("error calling slice: index out of range: " + std::to_string(hi));
    if (v.is_string())
      return v.get<std::string>().substr(static_cast<size_t>(lo), static_cast<size_t>(hi - lo));
    return json(std::vector<json>(v.begin() + lo, v.begin() + hi));
  }
  if (fn == "print" || fn == "println") {
    // Sprint puts spaces between operands when neither is a string; Sprintln always.
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) {
      if (i > 0 && (fn == "println" || (!args[i - 1].is_string() && !args[i].is_string())))
        out += ' ';
      out += go_print(args[i]);
    }
    return fn == "println" ? out + "\n" : out;
  }
  if (fn == "printf") {
    need_min(1);
    if (!args[0].is_string()) fail("error calling printf: format is not a string");
    return go_sprintf(args[0].get<std::string>(), std::vector<json>(args.begin() + 1, args.end()));
  }
  if (fn == "html" || fn == "urlquery") {
    std::string s;
    for (const auto& a : args) s += go_print(a);
    return fn == "html" ? html_escape(s) : url_query_escape(s);
  }
  // Docker's and podman's functions.
  if (fn == "json") {
    need(1);
    return dump_json(args[0]);
  }
  if (fn == "upper" || fn == "lower" || fn == "title") {
    need(1);
    std::string s = text_of(args[0]);
    if (fn == "title") return title_case(s);
    for (auto& c : s) {
      auto u = static_cast<unsigned char>(c);
      c = static_cast<char>(fn == "upper" ? std::toupper(u) : std::tolower(u));
    }
    return s;
  }
  if (fn == "split") {
    need(2);
    std::string s = text_of(args[0]), sep = text_of(args[1]);
    json parts = json::array();
    if (sep.empty()) {
      for (size_t i = 0; i < s.size();) {
        size_t n = 1;
        while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
        parts.push_back(s.substr(i, n));
        i += n;
      }
      return parts;
    }
    size_t start = 0;
    for (size_t p; (p = s.find(sep, start)) != std::string::npos; start = p + sep.size())
      parts.push_back(s.substr(start, p - start));
    parts.push_back(s.substr(start));
    return parts;
  }
  if (fn == "join") {
    need(2);
    std::vector<std::string> parts;
    if (args[0].is_array())
      for (const auto& e : args[0]) parts.push_back(go_print(e));
    else if (!args[0].is_null())
      parts.push_back(go_print(args[0]));
    return join(parts, text_of(args[1]));
  }
  if (fn == "pad") {
    need(3);
    auto before = static_cast<size_t>(std::max<int64_t>(0, int_of(args[1], "pad")));
    auto after = static_cast<size_t>(std::max<int64_t>(0, int_of(args[2], "pad")));
    return std::string(before, ' ') + text_of(args[0]) + std::string(after, ' ');
  }
  if (fn == "truncate") {
    need(2);
    std::string s = text_of(args[0]);
    auto n = static_cast<size_t>(std::max<int64_t>(0, int_of(args[1], "truncate")));
    return s.size() > n ? s.substr(0, n) : s;
  }
  fail("function " + quote(fn) + " not defined");
}

// Docker renders table headers with these functions replaced by ones that
// return their first argument, so a transformed column keeps its name.
bool is_header_passthrough(const std::string& fn) {
  return fn == "json" || fn == "upper" || fn == "lower" || fn == "title" || fn == "split" ||
         fn == "join" || fn == "pad" || fn == "truncate";
}

// ---- execution --------------------------------------------------------------

enum class Flow { next, break_, continue_ };

class Exec {
 public:
  Exec(const json& root, const std::vector<Column>* header, bool strict_keys = false)
      : header_(header), strict_root_(strict_keys ? &root : nullptr) {
    vars_.emplace_back("$", root);
  }

  Flow run(const std::vector<Node>& nodes, const json& dot, std::string& out) {
    for (const auto& n : nodes) {
      Flow f = run_node(n, dot, out);
      if (f != Flow::next) return f;
    }
    return Flow::next;
  }

 private:
  const std::vector<Column>* header_;
  const json* strict_root_;  // the object whose missing fields are errors
  std::vector<std::pair<std::string, json>> vars_;

  json& var(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == name) return it->second;
    fail("undefined variable " + quote(name));
  }

  Flow run_node(const Node& n, const json& dot, std::string& out) {
    switch (n.kind) {
      case Node::Kind::text:
        out += n.text;
        return Flow::next;
      case Node::Kind::break_:
        return Flow::break_;
      case Node::Kind::continue_:
        return Flow::continue_;
      case Node::Kind::action: {
        json v = eval_pipe(n.pipe, dot);
        // A declaration prints nothing; a missing value prints as Go's does.
        if (n.pipe.decl.empty()) out += v.is_null() ? "<no value>" : go_print(v);
        return Flow::next;
      }
      default:
        break;
    }
    size_t mark = vars_.size();
    Flow flow = Flow::next;
    if (n.kind == Node::Kind::range) {
      flow = run_range(n, dot, out);
    } else {
      json v = eval_pipe(n.pipe, dot);
      if (truthy(v))
        flow = run(n.body, n.kind == Node::Kind::with ? v : dot, out);
      else
        flow = run(n.alt, dot, out);
    }
    vars_.resize(mark);
    return flow;
  }

  Flow run_range(const Node& n, const json& dot, std::string& out) {
    // The pipeline's own declarations are the loop variables, set per element.
    Pipe p = n.pipe;
    std::vector<std::string> names = p.decl;
    p.decl.clear();
    json v = eval_pipe(p, dot);
    if (header_ && !v.is_structured()) v = json::array({v});  // the header renders once
    std::vector<std::pair<json, json>> items;
    if (v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i) items.emplace_back(static_cast<int64_t>(i), v[i]);
    } else if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) items.emplace_back(it.key(), *it);
    } else if (v.is_number_integer()) {
      for (int64_t i = 0; i < v.get<int64_t>(); ++i) items.emplace_back(i, i);
    } else if (!v.is_null()) {
      fail("range can't iterate over " + go_print(v));
    }
    if (items.empty()) return run(n.alt, dot, out);
    size_t mark = vars_.size();
    for (const auto& [key, elem] : items) {
      vars_.resize(mark);
      if (names.size() == 1) vars_.emplace_back(names[0], elem);
      if (names.size() == 2) {
        vars_.emplace_back(names[0], key);
        vars_.emplace_back(names[1], elem);
      }
      if (run(n.body, elem, out) == Flow::break_) break;
    }
    return Flow::next;
  }

  json eval_pipe(const Pipe& p, const json& dot) {
    json value;
    bool have = false;
    for (const auto& c : p.cmds) {
      value = eval_cmd(c, dot, have ? &value : nullptr);
      have = true;
    }
    if (p.assign) {
      for (const auto& name : p.decl) var(name) = value;
    } else {
      for (const auto& name : p.decl) vars_.emplace_back(name, value);
    }
    return value;
  }

  json eval_cmd(const Cmd& c, const json& dot, const json* piped) {
    const Arg& head = c.args[0];
    if (head.kind != Arg::Kind::function) return eval_arg(head, dot);
    const std::string& fn = head.name;
    size_t n = c.args.size() - 1 + (piped ? 1 : 0);
    auto arg = [&](size_t i) -> json {
      return i + 1 < c.args.size() ? eval_arg(c.args[i + 1], dot) : *piped;
    };
    if (fn == "and" || fn == "or") {
      // Go evaluates these lazily and returns the deciding operand.
      if (n == 0) fail("wrong number of args for " + fn + ": want at least 1 got 0");
      json v;
      for (size_t i = 0; i < n; ++i) {
        v = arg(i);
        if (truthy(v) != (fn == "and")) break;
      }
      return v;
    }
    std::vector<json> args;
    for (size_t i = 0; i < n; ++i) args.push_back(arg(i));
    if (!header_) return call_function(fn, args);
    if (is_header_passthrough(fn)) return args.empty() ? json("") : json(text_of(args[0]));
    // A header is a name, not data: a function that cannot take the name
    // (index of a header string) leaves the column named after its field.
    try {
      return call_function(fn, args);
    } catch (const Error&) {
      return args.empty() ? json("") : json(text_of(args[0]));
    }
  }

  json eval_arg(const Arg& a, const json& dot) {
    switch (a.kind) {
      case Arg::Kind::literal:
        return a.value;
      case Arg::Kind::field:
        return fields_of(dot, a.fields);
      case Arg::Kind::var:
        return fields_of(var(a.name), a.fields);
      case Arg::Kind::sub:
        return fields_of(eval_pipe(*a.sub, dot), a.fields);
      case Arg::Kind::function:
        break;
    }
    fail("function " + quote(a.name) + " needs parentheses as an argument");
  }

  json fields_of(const json& start, const std::vector<std::string>& fields) {
    if (fields.empty()) return header_ && start.is_object() ? json("") : start;
    if (header_) {
      for (const auto& c : *header_)
        if (c.key == fields.back()) return c.header;
      return header_for_key(fields.back());
    }
    json cur = start;
    for (const auto& f : fields) {
      if (cur.is_null()) return cur;
      if (!cur.is_object()) fail("can't evaluate field " + f + " in type " + go_type(cur));
      auto it = cur.find(f);
      if (it == cur.end()) {
        // podman's struct field names against JSON's keys: Host -> host, ID -> Id.
        for (auto k = cur.begin(); k != cur.end(); ++k)
          if (k.key().size() == f.size() && ::strcasecmp(k.key().c_str(), f.c_str()) == 0) {
            it = k;
            break;
          }
      }
      if (it == cur.end()) {
        if (&start == strict_root_ && &f == &fields.front())
          fail("can't evaluate field " + f + " in type interface {}");
        return json();
      }
      json next = *it;
      cur = std::move(next);
    }
    return cur;
  }
};

}  // namespace

struct Template::Tree {
  std::vector<Node> nodes;
};

Template::Template(const std::string& text) {
  auto tree = std::make_shared<Tree>();
  tree->nodes = Parser(split_items(unescape_format(text))).parse();
  tree_ = std::move(tree);
}

std::string Template::render(const json& data, bool strict_keys) const {
  std::string out;
  Exec(data, nullptr, strict_keys).run(tree_->nodes, data, out);
  return out;
}

std::string Template::render_header(const std::vector<Column>& columns) const {
  std::string out;
  json none = json::object();
  Exec(none, &columns).run(tree_->nodes, none, out);
  return out;
}

std::string render_template(const std::string& tmpl, const json& data) {
  return Template(tmpl).render(data, true);
}

std::string header_for_key(const std::string& key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (i > 0 && std::isupper(c)) {
      auto prev = static_cast<unsigned char>(key[i - 1]);
      bool next_lower = i + 1 < key.size() && std::islower(static_cast<unsigned char>(key[i + 1]));
      // A word starts at a lower->Upper step, or at the last capital of an
      // acronym followed by lower case ("ImageID", "HTTPProxy").
      if (std::islower(prev) || std::isdigit(prev) || (std::isupper(prev) && next_lower))
        out += ' ';
    }
    out += c == '_' ? ' ' : static_cast<char>(std::toupper(c));
  }
  return out;
}

std::string utc_time(int64_t t, const char* format) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string align_text(const std::string& text, size_t minwidth, size_t padding) {
  std::vector<std::vector<std::string>> lines;
  for (auto& line : split(text, '\n')) lines.push_back(split(line, '\t'));
  // A terminating newline leaves an empty last piece that is not a line.
  if (!lines.empty() && lines.back().size() == 1 && lines.back()[0].empty()) lines.pop_back();

  std::string out;
  std::vector<size_t> widths;
  auto write_lines = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const auto& cells = lines[i];
      for (size_t j = 0; j < cells.size(); ++j) {
        out += cells[j];
        if (j < widths.size()) out.append(widths[j] - display_width(cells[j]), ' ');
      }
      out += '\n';
    }
  };
  // Go's tabwriter: column `widths.size()` forms blocks of consecutive lines
  // that have a tab-terminated cell there; each block is sized on its own.
  std::function<void(size_t, size_t)> format = [&](size_t line0, size_t line1) {
    size_t column = widths.size();
    for (size_t t = line0; t < line1; ++t) {
      if (column + 1 >= lines[t].size()) continue;
      write_lines(line0, t);
      line0 = t;
      size_t width = minwidth;
      for (; t < line1 && column + 1 < lines[t].size(); ++t)
        width = std::max(width, display_width(lines[t][column]) + padding);
      widths.push_back(width);
      format(line0, t);
      widths.pop_back();
      line0 = t;
      if (t == line1) break;
    }
    write_lines(line0, line1);
  };
  format(0, lines.size());
  return out;
}

std::string align_table(const std::vector<std::vector<std::string>>& rows, size_t minwidth,
                        size_t padding) {
  std::string text;
  for (const auto& r : rows) text += join(r, "\t") + "\n";
  return align_text(text, minwidth, padding);
}

namespace {
void write_out(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}
}  // namespace

namespace {
bool headings = true;
}  // namespace

void set_table_headings(bool on) {
  headings = on;
}

bool table_headings() {
  return headings;
}

void add_noheading_flag(CLI::App* c, const std::string& names) {
  c->add_flag_callback(
      names, [] { set_table_headings(false); }, "Do not print headers");
}

void print_rows(const std::vector<json>& rows, const std::string& format,
                const std::vector<Column>& default_columns) {
  std::string f = trim_spaces(format);
  if (f == "json") {
    write_out(dump_json(json(rows), 4) + "\n");
    return;
  }
  bool table = f.empty() || starts_with(f, "table");
  std::string body = table && !f.empty() ? trim_spaces(f.substr(5)) : f;
  if (table && body.empty()) {
    std::vector<std::string> keys;
    for (const auto& c : default_columns) keys.push_back("{{." + c.key + "}}");
    body = join(keys, "\t");
  }
  Template t(body);
  std::string text;
  if (table && headings) text = t.render_header(default_columns) + "\n";
  for (const auto& r : rows) text += t.render(r, true) + "\n";
  write_out(table ? align_text(text) : text);
}

void print_inspect(const std::vector<json>& objects, const std::string& format, bool strict_keys) {
  std::string f = trim_spaces(format);
  if (f.empty() || f == "json") {
    write_out(dump_json(json(objects), 4) + "\n");
    return;
  }
  Template t(format);
  std::string text;
  for (const auto& o : objects) text += t.render(o, strict_keys) + "\n";
  write_out(text);
}

void print_inspect_each(const std::vector<std::string>& names,
                        const std::function<json(const std::string&)>& lookup,
                        const std::string& format) {
  std::vector<json> objects;
  std::optional<Error> missing;
  for (const auto& n : names) {
    try {
      objects.push_back(lookup(n));
    } catch (const Error& e) {
      if (e.code() != Errc::not_found) throw;
      if (!missing) missing = e;
    }
  }
  print_inspect(objects, format);
  if (missing) throw *missing;
}

}  // namespace tug::cli
