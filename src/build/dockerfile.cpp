#include "build/dockerfile.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "util/error.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace tug::build {

namespace {

const std::set<std::string> kInstructions = {
    "FROM",   "ARG",        "ENV",         "LABEL",   "RUN",     "COPY",
    "ADD",    "CMD",        "ENTRYPOINT",  "WORKDIR", "USER",    "EXPOSE",
    "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "SHELL",   "ONBUILD", "MAINTAINER"};

// Instructions whose leading --words are flags (the others take --words as
// arguments: `CMD --help` is a command).
const std::set<std::string> kWithFlags = {"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"};
const std::set<std::string> kWithHeredocs = {"RUN", "COPY", "ADD"};

[[noreturn]] void fail(const std::string& file, int line, const std::string& msg,
                       const std::string& hint = {}) {
  throw Error(Errc::invalid, file + ":" + std::to_string(line) + ": " + msg, hint);
}

// docker/dockerfile[-upstream] (docker.io/ optional) at a 1.x tag, a
// 1.x-labs tag, latest or no tag, with or without a digest.
bool known_syntax(const std::string& ref) {
  std::string r = ref;
  for (const char* p : {"docker.io/", "index.docker.io/"})
    if (r.rfind(p, 0) == 0) r = r.substr(std::string(p).size());
  size_t at = r.find('@');
  if (at != std::string::npos) {
    std::string digest = r.substr(at + 1);
    if (digest.rfind("sha256:", 0) != 0 || digest.size() != 71) return false;
    r = r.substr(0, at);
  }
  std::string name = r, tag;
  size_t colon = r.find(':');
  if (colon != std::string::npos) {
    name = r.substr(0, colon);
    tag = r.substr(colon + 1);
  }
  if (name != "docker/dockerfile" && name != "docker/dockerfile-upstream") return false;
  if (tag.empty() || tag == "latest" || tag == "labs") return true;
  // 1, 1.4, 1.7.0, 1-labs, 1.4-labs
  std::string ver = tag;
  if (ver.size() > 5 && ver.compare(ver.size() - 5, 5, "-labs") == 0) ver.resize(ver.size() - 5);
  if (ver != "1" && ver.rfind("1.", 0) != 0) return false;
  return ver.find_first_not_of("0123456789.") == std::string::npos;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool is_comment(const std::string& line) {
  size_t i = line.find_first_not_of(" \t");
  return i != std::string::npos && line[i] == '#';
}

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t") == std::string::npos;
}

// Removes a trailing "ESC[ \t]*"; true when the line continues.
bool strip_continuation(std::string& line, char escape) {
  size_t end = line.find_last_not_of(" \t");
  if (end == std::string::npos || line[end] != escape) return false;
  line.resize(end);
  return true;
}

// Heredoc markers among the words of an instruction: "<<EOF", "<<-EOF",
// "<<'EOF'", "<<\"EOF\"" (a marker may be followed by a redirection).
struct Marker {
  std::string name;
  bool strip_tabs = false, quoted = false;
};

std::vector<Marker> heredoc_markers(const std::string& args, char escape) {
  std::vector<Marker> out;
  for (const auto& w : raw_words(args, escape)) {
    if (w.size() < 3 || w.compare(0, 2, "<<") != 0) continue;
    size_t i = 2;
    Marker m;
    if (w[i] == '-') {
      m.strip_tabs = true;
      ++i;
    }
    char q = 0;
    if (i < w.size() && (w[i] == '\'' || w[i] == '"')) q = w[i++];
    size_t start = i;
    while (i < w.size() && (std::isalnum(static_cast<unsigned char>(w[i])) || w[i] == '_' ||
                            w[i] == '.' || w[i] == '-' || w[i] == '/'))
      ++i;
    if (i == start) continue;
    m.name = w.substr(start, i - start);
    if (q) {
      if (i >= w.size() || w[i] != q) continue;
      m.quoted = true;
    }
    out.push_back(m);
  }
  return out;
}

void split_flags(Instruction& ins, const std::string& rest) {
  size_t pos = 0;
  for (;;) {
    while (pos < rest.size() && is_space(rest[pos])) ++pos;
    if (rest.compare(pos, 2, "--") != 0) break;
    size_t end = pos;
    while (end < rest.size() && !is_space(rest[end])) ++end;
    std::string word = rest.substr(pos, end - pos);
    pos = end;
    if (word == "--") break;
    ins.flags.push_back(word);
  }
  ins.args = trim(rest.substr(std::min(pos, rest.size())));
}

void detect_json(Instruction& ins) {
  if (ins.args.empty() || ins.args[0] != '[') return;
  try {
    json j = json::parse(ins.args);
    if (!j.is_array()) return;
    std::vector<std::string> v;
    for (const auto& e : j) {
      if (!e.is_string()) return;
      v.push_back(e.get<std::string>());
    }
    ins.json_form = true;
    ins.json_args = std::move(v);
  } catch (const json::exception&) {
    // Not JSON: the shell form, as docker treats it.
  }
}

// Matches a glob against the whole string (fnmatch without FNM_PATHNAME,
// as the shell's ${VAR#pattern} does).
bool glob(const std::string& pattern, const std::string& s) {
  return ::fnmatch(pattern.c_str(), s.c_str(), 0) == 0;
}

class Lexer {
 public:
  Lexer(const std::string& text, const Lookup& env, char escape)
      : s_(text), env_(env), esc_(escape) {}

  std::string word() {
    std::string out;
    bool dummy = false;
    run(out, 0, false, dummy, nullptr);
    return out;
  }

  std::vector<std::string> words() {
    std::vector<std::string> out;
    std::string cur;
    bool started = false;
    run(cur, 0, true, started, &out);
    if (started || !cur.empty()) out.push_back(cur);
    return out;
  }

 private:
  bool eof() const { return i_ >= s_.size(); }

  // Processes until stop (0 = end); with split, unquoted whitespace ends
  // a word into *out.
  void run(std::string& cur, char stop, bool split, bool& started, std::vector<std::string>* out) {
    while (!eof()) {
      char c = s_[i_];
      if (stop && c == stop) {
        ++i_;
        return;
      }
      if (split && is_space(c)) {
        ++i_;
        if (started || !cur.empty()) out->push_back(cur);
        cur.clear();
        started = false;
        continue;
      }
      ++i_;
      if (c == esc_) {
        if (eof()) {
          cur += c;
        } else {
          cur += s_[i_++];
        }
      } else if (c == '\'') {
        started = true;
        size_t end = s_.find('\'', i_);
        if (end == std::string::npos)
          throw Error(Errc::invalid,
                      "unexpected end of statement while looking for matching "
                      "single-quote");
        cur += s_.substr(i_, end - i_);
        i_ = end + 1;
      } else if (c == '"') {
        started = true;
        double_quoted(cur);
      } else if (c == '$') {
        cur += dollar();
      } else {
        cur += c;
      }
    }
    if (stop) throw Error(Errc::invalid, std::string("missing '") + stop + "' in substitution");
  }

  void double_quoted(std::string& cur) {
    while (!eof()) {
      char c = s_[i_++];
      if (c == '"') return;
      if (c == esc_ && !eof() && (s_[i_] == '"' || s_[i_] == '$' || s_[i_] == esc_)) {
        cur += s_[i_++];
      } else if (c == '$') {
        cur += dollar();
      } else {
        cur += c;
      }
    }
    throw Error(Errc::invalid,
                "unexpected end of statement while looking for matching double-quote");
  }

  std::string name() {
    size_t start = i_;
    // $1 is a positional parameter: one digit (never set in a Dockerfile).
    if (!eof() && std::isdigit(static_cast<unsigned char>(s_[i_]))) return s_.substr(i_++, 1);
    while (!eof() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
    return s_.substr(start, i_ - start);
  }

  std::optional<std::string> value(const std::string& n) { return env_(n); }

  // Expands the word of a ${VAR<op>word} up to the closing '}'.
  std::string inner(char stop = '}') {
    std::string w;
    bool started = false;
    run(w, stop, false, started, nullptr);
    return w;
  }

  std::string dollar() {
    if (eof()) return "$";
    if (s_[i_] != '{') {
      std::string n = name();
      if (n.empty()) return "$";
      return value(n).value_or("");
    }
    ++i_;
    std::string n = name();
    if (n.empty()) throw Error(Errc::invalid, "bad substitution: missing variable name");
    if (eof()) throw Error(Errc::invalid, "missing '}' in substitution of " + n);
    auto v = value(n);
    char op = s_[i_++];
    if (op == '}') return v.value_or("");
    bool colon = false;
    if (op == ':') {
      if (eof()) throw Error(Errc::invalid, "missing '}' in substitution of " + n);
      colon = true;
      op = s_[i_++];
    }
    bool set = colon ? v && !v->empty() : v.has_value();
    switch (op) {
      case '-': {
        std::string w = inner();
        return set ? *v : w;
      }
      case '+': {
        std::string w = inner();
        return set ? w : "";
      }
      case '?': {
        std::string w = inner();
        if (!set)
          throw Error(Errc::invalid, n + ": " + (w.empty() ? "is not allowed to be unset" : w));
        return *v;
      }
      default:
        break;
    }
    if (colon)
      throw Error(Errc::invalid, std::string("unsupported modifier (:") + op +
                                     ") in "
                                     "substitution");
    std::string val = v.value_or("");
    if (op == '#' || op == '%') {
      bool longest = !eof() && s_[i_] == op;
      if (longest) ++i_;
      std::string pat = inner();
      if (op == '#') {
        for (size_t k = 0; k <= val.size(); ++k) {
          size_t len = longest ? val.size() - k : k;
          if (glob(pat, val.substr(0, len))) return val.substr(len);
        }
      } else {
        for (size_t k = 0; k <= val.size(); ++k) {
          size_t start = longest ? k : val.size() - k;
          if (glob(pat, val.substr(start))) return val.substr(0, start);
        }
      }
      return val;
    }
    if (op == '/') {
      bool all = !eof() && s_[i_] == '/';
      if (all) ++i_;
      std::string pat = inner('/');
      std::string rep = inner();
      std::string out;
      size_t pos = 0;
      bool done = false;
      while (pos < val.size()) {
        size_t best = 0;
        if (!done)
          for (size_t len = val.size() - pos; len > 0; --len)
            if (glob(pat, val.substr(pos, len))) {
              best = len;
              break;
            }
        if (best > 0) {
          out += rep;
          pos += best;
          if (!all) done = true;
        } else {
          out += val[pos++];
        }
      }
      return out;
    }
    throw Error(Errc::invalid, std::string("unsupported modifier (") + op + ") in substitution");
  }

  const std::string& s_;
  const Lookup& env_;
  char esc_;
  size_t i_ = 0;
};

}  // namespace

std::vector<std::string> raw_words(const std::string& text, char escape) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  bool started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!quote && is_space(c)) {
      if (started) out.push_back(cur);
      cur.clear();
      started = false;
      continue;
    }
    started = true;
    cur += c;
    if (c == escape && quote != '\'' && i + 1 < text.size()) {
      cur += text[++i];
    } else if (quote && c == quote) {
      quote = 0;
    } else if (!quote && (c == '\'' || c == '"')) {
      quote = c;
    }
  }
  if (started) out.push_back(cur);
  return out;
}

std::string expand_word(const std::string& text, const Lookup& env, char escape) {
  return Lexer(text, env, escape).word();
}

std::vector<std::string> expand_words(const std::string& text, const Lookup& env, char escape) {
  return Lexer(text, env, escape).words();
}

std::vector<std::pair<std::string, std::string>> key_values(const std::string& args,
                                                            const Lookup& env, char escape) {
  std::vector<std::pair<std::string, std::string>> out;
  auto words = raw_words(args, escape);
  if (words.empty()) return out;
  // "=" outside quotes in the first word selects the KEY=VALUE form.
  auto eq_of = [&](const std::string& w) -> size_t {
    char q = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      char c = w[i];
      if (c == escape && q != '\'') {
        ++i;
      } else if (q && c == q) {
        q = 0;
      } else if (!q && (c == '\'' || c == '"')) {
        q = c;
      } else if (!q && c == '=') {
        return i;
      }
    }
    return std::string::npos;
  };
  if (eq_of(words[0]) == std::string::npos) {
    // Legacy form: the first word names, the rest (as written) is the value.
    if (words.size() < 2) throw Error(Errc::invalid, "requires at least two arguments");
    std::string rest = trim(args);
    rest = trim(rest.substr(words[0].size()));
    out.emplace_back(expand_word(words[0], env, escape), expand_word(rest, env, escape));
    return out;
  }
  for (const auto& w : words) {
    size_t eq = eq_of(w);
    if (eq == std::string::npos)
      throw Error(Errc::invalid, "syntax error - can't find = in " + quote(w) +
                                     ". Must be of the form: name=value");
    std::string key = expand_word(w.substr(0, eq), env, escape);
    if (key.empty()) throw Error(Errc::invalid, "empty key in " + quote(w));
    out.emplace_back(key, expand_word(w.substr(eq + 1), env, escape));
  }
  return out;
}

std::vector<Flag> parse_flags(const Instruction& ins, const std::vector<std::string>& allowed,
                              const std::string& file) {
  std::vector<Flag> out;
  for (const auto& word : ins.flags) {
    Flag f;
    std::string body = word.substr(2);
    size_t eq = body.find('=');
    f.name = body.substr(0, eq);
    f.has_value = eq != std::string::npos;
    if (f.has_value) f.value = body.substr(eq + 1);
    bool known = false, boolean = false;
    for (const auto& a : allowed) {
      if (a == f.name) known = true;
      if (a == f.name + "!") known = boolean = true;
    }
    if (!known) {
      std::vector<std::string> names;
      for (auto a : allowed)
        names.push_back("--" + (a.back() == '!' ? a.substr(0, a.size() - 1) : a));
      fail(file, ins.line, "unknown flag: --" + f.name + " for " + ins.keyword,
           names.empty() ? "" : "flags of " + ins.keyword + ": " + join(names, ", "));
    }
    if (!f.has_value && !boolean) fail(file, ins.line, "flag --" + f.name + " needs a value");
    out.push_back(f);
  }
  return out;
}

Instruction parse_instruction(const std::string& line, const std::string& file, int lineno,
                              char escape) {
  (void)escape;
  Instruction ins;
  ins.line = lineno;
  std::string t = trim(line);
  size_t sp = t.find_first_of(" \t");
  ins.keyword = upper(t.substr(0, sp));
  std::string rest = sp == std::string::npos ? "" : t.substr(sp + 1);
  if (!kInstructions.count(ins.keyword))
    fail(file, lineno, "unknown instruction: " + t.substr(0, sp));
  if (kWithFlags.count(ins.keyword))
    split_flags(ins, rest);
  else
    ins.args = trim(rest);
  detect_json(ins);
  ins.text = ins.keyword + (t.size() > ins.keyword.size() ? " " + trim(rest) : "");
  return ins;
}

Dockerfile parse_dockerfile(const std::string& text, const std::string& file) {
  Dockerfile df;
  df.file = file;
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      lines.push_back(l);
    }
  }
  size_t i = 0;
  // Parser directives: only at the very top, before any comment, blank
  // line or instruction.
  std::set<std::string> seen;
  for (; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    std::string t = trim(l);
    if (t.empty() || t[0] != '#') break;
    std::string body = trim(t.substr(1));
    size_t eq = body.find('=');
    if (eq == std::string::npos) break;
    std::string key = trim(body.substr(0, eq));
    std::string val = trim(body.substr(eq + 1));
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key.empty() || key.find_first_of(" \t") != std::string::npos) break;
    if (key != "escape" && key != "syntax" && key != "check") break;
    if (seen.count(key))
      fail(file, static_cast<int>(i + 1), "only one " + key + " directive may be used");
    seen.insert(key);
    if (key == "escape") {
      if (val != "\\" && val != "`")
        fail(file, static_cast<int>(i + 1),
             "invalid escape token " + quote(val) + " does not match ` or \\");
      df.escape = val[0];
    } else if (key == "syntax") {
      // tug parses the Dockerfile itself, with the syntax of docker's
      // dockerfile:1 frontend; other frontends are refused, never ignored.
      if (!known_syntax(val))
        fail(file, static_cast<int>(i + 1), "unsupported syntax " + quote(val),
             "tug builds Dockerfiles of the docker/dockerfile:1 syntax; remove the line or name "
             "docker/dockerfile:1");
    }
  }
  while (i < lines.size()) {
    std::string l = lines[i];
    int lineno = static_cast<int>(i) + 1;
    ++i;
    if (is_blank(l) || is_comment(l)) continue;
    std::string joined = trim(l);
    bool more = strip_continuation(joined, df.escape);
    while (more && i < lines.size()) {
      std::string next = lines[i++];
      if (is_comment(next) || is_blank(next)) continue;
      more = strip_continuation(next, df.escape);
      joined += next;
    }
    Instruction ins = parse_instruction(joined, file, lineno, df.escape);
    if (kWithHeredocs.count(ins.keyword) && !ins.json_form) {
      for (const auto& m : heredoc_markers(ins.args, df.escape)) {
        Heredoc h;
        h.name = m.name;
        h.expand = !m.quoted;
        bool closed = false;
        while (i < lines.size()) {
          std::string body = lines[i++];
          if (m.strip_tabs)
            body.erase(0, body.find_first_not_of('\t') == std::string::npos
                              ? body.size()
                              : body.find_first_not_of('\t'));
          if (body == m.name) {
            closed = true;
            break;
          }
          h.content += body + "\n";
        }
        if (!closed) fail(file, lineno, "unterminated heredoc " + quote(m.name));
        ins.heredocs.push_back(h);
      }
    }
    df.instructions.push_back(std::move(ins));
  }
  return df;
}

}  // namespace tug::build
