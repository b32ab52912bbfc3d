#pragma once
// Output formats shared by listing and inspect commands, as docker/podman
// print them:
//   default        an aligned table with the command's default columns
//   --format json  a JSON array of the row objects (podman's shape, 4-space indent)
//   --format "table {{.A}}\t{{.B}}"   a table with headers for A and B
//   --format "{{.A}} {{.B}}"          one rendered template per row, no header
// Templates are a subset of Go's text/template evaluated against JSON.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace CLI {
class App;
}

namespace tug::cli {

// One column of a default table: header text and the row key it shows.
struct Column {
  std::string header;  // "IMAGE ID"
  std::string key;     // "ID"
};

// A parsed Go template (the subset below). Parsing checks the whole template
// (functions, variables, {{end}}s) up front, so a malformed --format fails
// even when there is nothing to list. Copies share the parsed tree.
//
// Actions:  {{.Field}}, {{.A.B.C}}, {{.}}, {{$}}, {{$x.A}}, {{(pipeline).A}},
//           {{"lit"}}, {{`raw`}}, {{42}}, {{1.5}}, {{true}}, {{nil}} as an argument,
//           {{a | f b}} (the value is the last argument of f), {{$x := ...}}, {{$x = ...}},
//           {{/* comments */}}, {{- and -}} trim the adjacent white space.
// Control:  {{if P}}..{{else if P}}..{{else}}..{{end}}, {{with P}}..{{else}}..{{end}},
//           {{range P}}..{{else}}..{{end}} over arrays, objects (sorted keys) and
//           integers, {{range $i, $e := P}}, {{break}}, {{continue}}.
//           Empty/false/null/0 are false.
// Functions: Go's and, or, not, eq, ne, lt, le, gt, ge, len, index, slice, print,
//           printf, println, html, urlquery; docker's and podman's json, upper,
//           lower, title, split, join, pad, truncate.
// Fields: a missing key gives null, printed "<no value>" as Go prints a missing
// map key. When a key is not found exactly, a key differing only in case is
// used, so podman's struct names ({{.Host.Kernel}}, {{.ID}}) reach JSON's
// keys (host.kernel, Id) as docker's raw-JSON fallback does. A field of a
// string, number or list is an error, as in Go.
// Printing follows Go's fmt %v: strings raw, integers as integers, floats
// shortest ("0.5", "1e+06"), lists "[a b]", objects "map[k:v]", null inside
// them "<nil>". "\t" and "\n" written as two characters in the format are
// turned into tab and newline first, as docker and podman do.
// Errors are Error(usage) with a message starting "template: ".
class Template {
 public:
  explicit Template(const std::string& text);
  // strict_keys: a field the data object itself lacks is an error (inspect:
  // docker's and podman's objects have fixed shapes, so a typo fails
  // instead of printing <no value>); deeper objects, maps, stay lenient.
  std::string render(const json& data, bool strict_keys = false) const;
  // The table header line: each field prints its column header (from
  // columns by key, else the key split at camel case and upper-cased:
  // CreatedAt -> "CREATED AT"); json/upper/lower/title/split/join/pad/
  // truncate pass the header through unchanged, as docker's header
  // functions do, so "{{.Names | upper}}" is headed "NAMES".
  std::string render_header(const std::vector<Column>& columns) const;

  struct Tree;

 private:
  std::shared_ptr<const Tree> tree_;
};

// Parses and renders in one go, with strict keys (a top-level field the
// object lacks is an error, as a Go struct's missing field is).
std::string render_template(const std::string& tmpl, const json& data);

// The header for a row key when no column names it: "CreatedAt" -> "CREATED AT",
// "ID" -> "ID", "ImageID" -> "IMAGE ID".
std::string header_for_key(const std::string& key);

// Prints rows (JSON objects) according to format (see the top of this file).
// Rows are rendered with strict keys: every row of a listing has the same
// keys, so `{{.NoSuchField}}` fails as docker's and podman's listings do.
// In table mode the header comes from Template::render_header with
// default_columns, and lines are aligned by align_text with docker's
// settings (minimum cell width 10, padding 3).
void print_rows(const std::vector<json>& rows, const std::string& format,
                const std::vector<Column>& default_columns);

// podman's --noheading (add_noheading_flag turns it off): tables print no
// header line, and only their rows set the column widths. One command runs
// per process, so this is process-wide.
void set_table_headings(bool on);
bool table_headings();
// Adds --noheading (or names, e.g. "-n,--noheading") to a listing command.
void add_noheading_flag(CLI::App* c, const std::string& names = "--noheading");

// Go's text/tabwriter (flags 0, pad character ' '): text is lines of
// tab-terminated cells; a column block is the run of consecutive lines that
// have a cell in that column, and each cell of the block is padded to
// max(minwidth, widest cell + padding). The text after a line's last tab is
// not a cell and is never padded. Widths count UTF-8 characters.
std::string align_text(const std::string& text, size_t minwidth = 10, size_t padding = 3);
// The same for cells given as rows (joined with tabs, one line per row);
// docker's tables use the defaults, docker's `top` uses minwidth 20.
std::string align_table(const std::vector<std::vector<std::string>>& rows, size_t minwidth = 10,
                        size_t padding = 3);

// A unix time in UTC through strftime's FORMAT ("%Y-%m-%dT%H:%M:%SZ": RFC
// 3339 to the second, as Go prints a time.Time in JSON).
std::string utc_time(int64_t t, const char* format);

// For inspect: format empty or "json" -> pretty JSON array (4-space indent,
// like podman); otherwise the template rendered for each object, one per line.
// strict_keys as Template::render's.
void print_inspect(const std::vector<json>& objects, const std::string& format,
                   bool strict_keys = false);
// inspect of several names: LOOKUP gives each one's JSON; the ones found
// are printed (`[]` when none is, as docker and podman print), then the
// first name not found (an Error of Errc::not_found) fails the command.
void print_inspect_each(const std::vector<std::string>& names,
                        const std::function<json(const std::string&)>& lookup,
                        const std::string& format);

}  // namespace tug::cli
