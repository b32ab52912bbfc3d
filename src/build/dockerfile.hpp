#pragma once
// Containerfile/Dockerfile syntax: the parser (directives, line
// continuations, comments, heredocs, flags, JSON and shell forms) and the
// shell-like word processing docker applies to instruction arguments
// (quotes, escapes, $VAR, ${VAR:-default} and friends). Pure: no files,
// no store; the builder (build/builder.hpp) gives the words their meaning.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tug::build {

// A here-document of RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`).
struct Heredoc {
  std::string name;     // the delimiter word, unquoted
  std::string content;  // lines up to the delimiter, each ending in '\n'
  bool expand = true;   // false when the delimiter was quoted
};

struct Instruction {
  std::string keyword;             // upper case: "RUN"
  std::vector<std::string> flags;  // leading "--name=value" words, as written
  std::string args;                // the rest, continuations joined
  bool json_form = false;          // args is a JSON array of strings
  std::vector<std::string> json_args;
  std::vector<Heredoc> heredocs;
  std::string text;  // "KEYWORD args" as written (one line), for output and errors
  int line = 0;      // line of the keyword (1-based)
};

struct Dockerfile {
  std::string file;  // name used in messages ("Containerfile")
  char escape = '\\';
  std::vector<Instruction> instructions;
  std::vector<std::string> warnings;  // e.g. "# syntax=" ignored
};

// Parses a whole file. Error(invalid) "FILE:LINE: message" for an unknown
// instruction, a malformed flag, an unterminated heredoc or a bad directive.
Dockerfile parse_dockerfile(const std::string& text, const std::string& file);

// Parses one instruction line (the text of an ONBUILD trigger).
Instruction parse_instruction(const std::string& line, const std::string& file, int lineno,
                              char escape = '\\');

// Looks up a variable for substitution; nullopt when unset.
using Lookup = std::function<std::optional<std::string>(const std::string&)>;

// Docker's word processing. expand_word: one word, quotes removed, $VAR
// forms substituted (${VAR:-x}, ${VAR-x}, ${VAR:+x}, ${VAR+x}, ${VAR:?msg},
// ${VAR#p}, ${VAR##p}, ${VAR%p}, ${VAR%%p}, ${VAR/p/r}); escape+char is
// the char. expand_words: the same, split at unquoted whitespace.
// Error(invalid) for a bad substitution or an unterminated quote.
std::string expand_word(const std::string& text, const Lookup& env, char escape = '\\');
std::vector<std::string> expand_words(const std::string& text, const Lookup& env,
                                      char escape = '\\');

// A flag of an instruction: "--from=x" -> {"from", "x"}. Error(invalid)
// naming the flag when it is not of the form --name=value (or --name for
// booleans listed in allowed as "name!").
struct Flag {
  std::string name, value;
  bool has_value = false;
};
std::vector<Flag> parse_flags(const Instruction& ins, const std::vector<std::string>& allowed,
                              const std::string& file);

// Splits at unquoted whitespace keeping quotes and escapes as written
// (words of ENV, LABEL and ARG are expanded one by one afterwards).
std::vector<std::string> raw_words(const std::string& text, char escape = '\\');

// KEY=VALUE pairs of ENV and LABEL (keys and values expanded); the legacy
// "ENV KEY VALUE" form when the first word has no '='. Error(invalid) for
// a word without '=' in the KEY=VALUE form.
std::vector<std::pair<std::string, std::string>> key_values(const std::string& args,
                                                            const Lookup& env, char escape);

}  // namespace tug::build
