#include "cli/format.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

// ---- template syntax tree ---------------------------------------------------

// An operand: a field chain on dot or a variable, or a literal.
struct Operand {
  enum class Kind { field, var, string, number, boolean } kind = Kind::field;
  std::string var;                  // "$k" (kind var)
  std::vector<std::string> fields;  // ".A.B" -> {"A","B"}; "." -> {}
  std::string text;                 // string literal, or number text
  bool flag = false;
};

// "fn arg arg" or a lone operand; a pipeline feeds each result as the last
// argument of the next command.
struct Command {
  std::string fn;  // empty: the command is its single operand
  std::vector<Operand> args;
};
using Pipeline = std::vector<Command>;

struct Node {
  enum class Kind { text, action, if_, range } kind = Kind::text;
  std::string text;
  Pipeline pipe;
  std::string key_var, value_var;  // range $k, $v := ...
  std::vector<std::unique_ptr<Node>> body, else_body;
};
using Nodes = std::vector<std::unique_ptr<Node>>;

[[noreturn]] void template_error(const std::string& msg) {
  throw Error(Errc::usage, "template: " + msg);
}

// Docker accepts the two-character escapes \t and \n in --format.
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

std::vector<std::string> tokenize(const std::string& action) {
  std::vector<std::string> toks;
  size_t i = 0;
  while (i < action.size()) {
    char c = action[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '"' || c == '`') {
      size_t j = i + 1;
      while (j < action.size() && action[j] != c) j += (c == '"' && action[j] == '\\') ? 2 : 1;
      if (j >= action.size()) template_error("unterminated quoted string");
      toks.push_back(action.substr(i, j - i + 1));
      i = j + 1;
    } else if (c == '|' || c == ',' || c == '(' || c == ')') {
      toks.emplace_back(1, c);
      ++i;
    } else if (c == ':' && i + 1 < action.size() && action[i + 1] == '=') {
      toks.emplace_back(":=");
      i += 2;
    } else {
      size_t j = i;
      while (j < action.size() && !std::isspace(static_cast<unsigned char>(action[j])) &&
             action[j] != '|' && action[j] != ',' && action[j] != '(' && action[j] != ')')
        ++j;
      toks.push_back(action.substr(i, j - i));
      i = j;
    }
  }
  return toks;
}

Operand parse_operand(const std::string& t) {
  Operand o;
  if (t.front() == '"' || t.front() == '`') {
    o.kind = Operand::Kind::string;
    std::string body = t.substr(1, t.size() - 2);
    if (t.front() == '"') {
      std::string un;
      for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\\' && i + 1 < body.size()) {
          char n = body[++i];
          un += n == 'n' ? '\n' : n == 't' ? '\t' : n;
        } else {
          un += body[i];
        }
      }
      body = un;
    }
    o.text = body;
  } else if (t == "true" || t == "false") {
    o.kind = Operand::Kind::boolean;
    o.flag = t == "true";
  } else if (std::isdigit(static_cast<unsigned char>(t[0])) || (t[0] == '-' && t.size() > 1)) {
    o.kind = Operand::Kind::number;
    o.text = t;
  } else if (t[0] == '$') {
    o.kind = Operand::Kind::var;
    auto parts = split(t, '.');
    o.var = parts[0];
    o.fields.assign(parts.begin() + 1, parts.end());
  } else if (t[0] == '.') {
    o.kind = Operand::Kind::field;
    if (t != ".") {
      auto parts = split(t.substr(1), '.');
      for (auto& p : parts)
        if (p.empty()) template_error("bad field reference " + quote(t));
      o.fields = parts;
    }
  } else {
    template_error("function " + quote(t) + " not defined");
  }
  return o;
}

const char* const kFunctions[] = {"json", "upper",  "lower",   "title", "join",    "index",
                                  "len",  "printf", "println", "print", "truncate"};

bool is_function(const std::string& t) {
  for (const char* f : kFunctions)
    if (t == f) return true;
  return false;
}

Pipeline parse_pipeline(const std::vector<std::string>& toks, size_t start) {
  Pipeline p;
  Command cur;
  bool have = false;
  for (size_t i = start; i < toks.size(); ++i) {
    const std::string& t = toks[i];
    if (t == "|") {
      if (!have) template_error("missing command before |");
      p.push_back(std::move(cur));
      cur = Command{};
      have = false;
      continue;
    }
    if (t == "(" || t == ")") template_error("parenthesised pipelines are not supported");
    if (!have && is_function(t)) {
      cur.fn = t;
    } else {
      cur.args.push_back(parse_operand(t));
    }
    have = true;
  }
  if (!have) template_error("missing value for command");
  p.push_back(std::move(cur));
  for (const auto& c : p)
    if (c.fn.empty() && c.args.size() != 1) template_error("can't give argument to non-function");
  return p;
}

// Parses text into nodes until {{end}} or {{else}} (returned in *stop).
Nodes parse_nodes(const std::string& s, size_t& pos, std::string* stop) {
  Nodes out;
  while (pos < s.size()) {
    size_t open = s.find("{{", pos);
    if (open == std::string::npos) {
      auto n = std::make_unique<Node>();
      n->text = s.substr(pos);
      out.push_back(std::move(n));
      pos = s.size();
      break;
    }
    if (open > pos) {
      auto n = std::make_unique<Node>();
      n->text = s.substr(pos, open - pos);
      out.push_back(std::move(n));
    }
    size_t close = s.find("}}", open + 2);
    if (close == std::string::npos) template_error("unclosed action");
    std::string inner = s.substr(open + 2, close - open - 2);
    // {{- and -}} trim surrounding whitespace in Go; treat the markers alone.
    if (!inner.empty() && inner.front() == '-') inner = inner.substr(1);
    if (!inner.empty() && inner.back() == '-') inner.pop_back();
    pos = close + 2;
    auto toks = tokenize(inner);
    if (toks.empty()) template_error("missing value for command");
    const std::string& head = toks[0];
    if (head == "end" || head == "else") {
      if (!stop) template_error("unexpected {{" + head + "}}");
      *stop = head;
      return out;
    }
    auto n = std::make_unique<Node>();
    if (head == "if" || head == "range") {
      n->kind = head == "if" ? Node::Kind::if_ : Node::Kind::range;
      size_t first = 1;
      if (n->kind == Node::Kind::range) {
        // range $k, $v := PIPE   or   range $v := PIPE
        auto assign = std::find(toks.begin(), toks.end(), ":=");
        if (assign != toks.end()) {
          std::vector<std::string> vars;
          for (auto it = toks.begin() + 1; it != assign; ++it)
            if (*it != ",") vars.push_back(*it);
          if (vars.size() == 2) {
            n->key_var = vars[0];
            n->value_var = vars[1];
          } else if (vars.size() == 1) {
            n->value_var = vars[0];
          } else {
            template_error("bad range variables");
          }
          first = static_cast<size_t>(assign - toks.begin()) + 1;
        }
      }
      n->pipe = parse_pipeline(toks, first);
      std::string why;
      n->body = parse_nodes(s, pos, &why);
      if (why == "else") {
        std::string why2;
        n->else_body = parse_nodes(s, pos, &why2);
        if (why2 != "end") template_error("missing {{end}}");
      } else if (why != "end") {
        template_error("missing {{end}}");
      }
    } else {
      n->kind = Node::Kind::action;
      n->pipe = parse_pipeline(toks, 0);
    }
    out.push_back(std::move(n));
  }
  if (stop) template_error("missing {{end}}");
  return out;
}

// ---- evaluation -------------------------------------------------------------

struct Scope {
  const json* dot;
  std::map<std::string, json> vars;
};

json walk(const json& start, const std::vector<std::string>& fields) {
  const json* cur = &start;
  for (const auto& f : fields) {
    if (!cur->is_object()) return json();
    auto it = cur->find(f);
    if (it == cur->end()) return json();
    cur = &*it;
  }
  return *cur;
}

json eval_operand(const Operand& o, const Scope& sc) {
  switch (o.kind) {
    case Operand::Kind::string:
      return o.text;
    case Operand::Kind::boolean:
      return o.flag;
    case Operand::Kind::number:
      return o.text.find('.') != std::string::npos ? json(std::stod(o.text))
                                                   : json(std::stoll(o.text));
    case Operand::Kind::var: {
      auto it = sc.vars.find(o.var);
      if (it == sc.vars.end()) template_error("undefined variable " + quote(o.var));
      return walk(it->second, o.fields);
    }
    case Operand::Kind::field:
      return walk(*sc.dot, o.fields);
  }
  return json();
}

bool truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();
}

std::string go_print(const json& v);

std::string number_text(const json& v) {
  if (v.is_number_integer()) return v.dump();
  double d = v.get<double>();
  if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// Go's fmt %v for the JSON shapes.
std::string go_print(const json& v) {
  if (v.is_null()) return "<no value>";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return number_text(v);
  if (v.is_array()) {
    std::vector<std::string> parts;
    for (const auto& e : v) parts.push_back(e.is_null() ? "<nil>" : go_print(e));
    return "[" + join(parts, " ") + "]";
  }
  std::vector<std::string> parts;
  for (auto it = v.begin(); it != v.end(); ++it)
    parts.push_back(it.key() + ":" + (it->is_null() ? "<nil>" : go_print(*it)));
  return "map[" + join(parts, " ") + "]";
}

std::string go_printf(const std::string& fmt, const std::vector<json>& args) {
  std::string out;
  size_t ai = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out += fmt[i];
      continue;
    }
    // Flags and width are accepted and passed to snprintf for numbers/strings.
    size_t j = i + 1;
    while (j < fmt.size() && std::strchr("-+ #0123456789.", fmt[j])) ++j;
    if (j >= fmt.size()) break;
    char verb = fmt[j];
    std::string spec = fmt.substr(i, j - i);
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
    char buf[512];
    if (verb == 'd' && a.is_number()) {
      std::snprintf(buf, sizeof buf, (spec + "lld").c_str(),
                    static_cast<long long>(a.get<double>()));
      out += buf;
    } else if ((verb == 'f' || verb == 'g' || verb == 'e') && a.is_number()) {
      std::snprintf(buf, sizeof buf, (spec + verb).c_str(), a.get<double>());
      out += buf;
    } else if (verb == 'q') {
      out += quote(go_print(a));
    } else {
      std::snprintf(buf, sizeof buf, (spec + "s").c_str(), go_print(a).c_str());
      out += buf;
    }
  }
  return out;
}

json call(const std::string& fn, const std::vector<json>& args) {
  auto need = [&](size_t n) {
    if (args.size() != n)
      template_error("wrong number of args for " + fn + ": want " + std::to_string(n) + " got " +
                     std::to_string(args.size()));
  };
  if (fn == "json") {
    need(1);
    return args[0].dump();
  }
  if (fn == "upper" || fn == "lower" || fn == "title") {
    need(1);
    std::string s = go_print(args[0]);
    bool start = true;
    for (auto& c : s) {
      auto u = static_cast<unsigned char>(c);
      if (fn == "upper")
        c = static_cast<char>(std::toupper(u));
      else if (fn == "lower")
        c = static_cast<char>(std::tolower(u));
      else {
        if (start) c = static_cast<char>(std::toupper(u));
        start = std::isspace(u) != 0;
      }
    }
    return s;
  }
  if (fn == "join") {
    need(2);
    std::vector<std::string> parts;
    if (args[0].is_array())
      for (const auto& e : args[0]) parts.push_back(go_print(e));
    else if (!args[0].is_null())
      parts.push_back(go_print(args[0]));
    return join(parts, go_print(args[1]));
  }
  if (fn == "index") {
    if (args.size() < 2) template_error("wrong number of args for index");
    json cur = args[0];
    for (size_t i = 1; i < args.size(); ++i) {
      if (cur.is_object() && args[i].is_string()) {
        auto it = cur.find(args[i].get<std::string>());
        cur = it == cur.end() ? json() : *it;
      } else if (cur.is_array() && args[i].is_number()) {
        auto k = static_cast<size_t>(args[i].get<double>());
        if (k >= cur.size()) template_error("index out of range: " + std::to_string(k));
        cur = cur[k];
      } else {
        template_error("can't index item of type " + std::string(cur.type_name()));
      }
    }
    return cur;
  }
  if (fn == "len") {
    need(1);
    if (args[0].is_string())
      return static_cast<int64_t>(args[0].get_ref<const std::string&>().size());
    if (args[0].is_array() || args[0].is_object()) return static_cast<int64_t>(args[0].size());
    template_error("len of " + std::string(args[0].type_name()));
  }
  if (fn == "truncate") {
    need(2);
    std::string s = go_print(args[0]);
    auto n = static_cast<size_t>(args[1].get<double>());
    return s.size() > n ? s.substr(0, n) : s;
  }
  if (fn == "printf") {
    if (args.empty()) template_error("wrong number of args for printf");
    return go_printf(go_print(args[0]), std::vector<json>(args.begin() + 1, args.end()));
  }
  // print / println: operands joined by spaces (Go adds spaces between non-strings).
  std::vector<std::string> parts;
  for (const auto& a : args) parts.push_back(go_print(a));
  return join(parts, " ") + (fn == "println" ? "\n" : "");
}

json eval_pipeline(const Pipeline& p, const Scope& sc) {
  json value;
  bool have = false;
  for (const auto& c : p) {
    std::vector<json> args;
    for (const auto& o : c.args) args.push_back(eval_operand(o, sc));
    if (have) args.push_back(value);
    if (c.fn.empty()) {
      if (args.size() != 1) template_error("can't give argument to non-function");
      value = args[0];
    } else {
      value = call(c.fn, args);
    }
    have = true;
  }
  return value;
}

void render(const Nodes& nodes, Scope& sc, std::string& out) {
  for (const auto& n : nodes) {
    switch (n->kind) {
      case Node::Kind::text:
        out += n->text;
        break;
      case Node::Kind::action:
        out += go_print(eval_pipeline(n->pipe, sc));
        break;
      case Node::Kind::if_:
        render(truthy(eval_pipeline(n->pipe, sc)) ? n->body : n->else_body, sc, out);
        break;
      case Node::Kind::range: {
        json v = eval_pipeline(n->pipe, sc);
        if (!truthy(v) || !(v.is_array() || v.is_object())) {
          render(n->else_body, sc, out);
          break;
        }
        size_t i = 0;
        for (auto it = v.begin(); it != v.end(); ++it, ++i) {
          Scope inner = sc;
          inner.dot = &*it;
          if (!n->key_var.empty())
            inner.vars[n->key_var] = v.is_object() ? json(it.key()) : json(static_cast<int64_t>(i));
          if (!n->value_var.empty()) inner.vars[n->value_var] = *it;
          render(n->body, inner, out);
        }
        break;
      }
    }
  }
}

Nodes parse_template(const std::string& tmpl) {
  size_t pos = 0;
  return parse_nodes(tmpl, pos, nullptr);
}

std::string render_parsed(const Nodes& nodes, const json& data) {
  Scope sc{&data, {{"$", data}}};
  std::string out;
  render(nodes, sc, out);
  return out;
}

// The header cell for an action: the column named after its first field.
std::string header_for(const Pipeline& p, const std::vector<Column>& columns) {
  for (const auto& c : p)
    for (const auto& o : c.args)
      if (o.kind == Operand::Kind::field && !o.fields.empty()) {
        const std::string& key = o.fields.back();
        for (const auto& col : columns)
          if (col.key == key) return col.header;
        std::string up;
        for (char ch : key) up += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        return up;
      }
  return "";
}

std::string render_header(const Nodes& nodes, const std::vector<Column>& columns) {
  std::string out;
  for (const auto& n : nodes) {
    if (n->kind == Node::Kind::text)
      out += n->text;
    else
      out += header_for(n->pipe, columns);
  }
  return out;
}

size_t display_width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;  // count UTF-8 lead bytes only
  return w;
}

}  // namespace

std::string render_template(const std::string& tmpl, const json& data) {
  return render_parsed(parse_template(unescape_format(tmpl)), data);
}

std::string align_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], display_width(r[i]));
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(widths[i] - display_width(r[i]) + 3, ' ');
    }
    // tabwriter pads cells, not line ends: trailing blanks of empty last cells go.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

void print_rows(const std::vector<json>& rows, const std::string& format,
                const std::vector<Column>& default_columns) {
  std::string f = trim(format);
  if (f == "json") {
    std::fputs((json(rows).dump(4) + "\n").c_str(), stdout);
    return;
  }
  bool table = f.empty() || starts_with(f, "table");
  std::string tmpl = f.empty() ? "" : (table ? trim(f.substr(5)) : format);
  if (table && tmpl.empty()) {
    std::vector<std::string> keys;
    for (const auto& c : default_columns) keys.push_back("{{." + c.key + "}}");
    tmpl = join(keys, "\t");
  }
  Nodes nodes = parse_template(unescape_format(tmpl));
  if (!table) {
    std::string out;
    for (const auto& r : rows) out += render_parsed(nodes, r) + "\n";
    std::fputs(out.c_str(), stdout);
    return;
  }
  std::vector<std::vector<std::string>> cells;
  cells.push_back(split(render_header(nodes, default_columns), '\t'));
  for (const auto& r : rows) cells.push_back(split(render_parsed(nodes, r), '\t'));
  std::fputs(align_table(cells).c_str(), stdout);
}

void print_inspect(const std::vector<json>& objects, const std::string& format) {
  if (format.empty() || trim(format) == "json") {
    std::fputs((json(objects).dump(4) + "\n").c_str(), stdout);
    return;
  }
  Nodes nodes = parse_template(unescape_format(format));
  std::string out;
  for (const auto& o : objects) out += render_parsed(nodes, o) + "\n";
  std::fputs(out.c_str(), stdout);
}

}  // namespace tug::cli
