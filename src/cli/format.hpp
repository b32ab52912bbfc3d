#pragma once
// Output formats shared by listing and inspect commands, as docker/podman
// print them:
//   default        an aligned table with the command's default columns
//   --format json  a JSON array of the row objects
//   --format "table {{.A}}\t{{.B}}"   a table with headers for A and B
//   --format "{{.A}} {{.B}}"          one rendered template per row, no header
// Templates are a subset of Go's text/template evaluated against JSON.
#include <string>
#include <vector>

#include "util/json.hpp"

namespace tug::cli {

// Renders a Go-template subset against data:
//   {{.Field}}, {{.A.B.C}} (map keys and nested objects), {{.}}
//   {{json .X}}, {{.X | json}}, {{upper .X}}, {{lower .X}}, {{title .X}},
//   {{join .List ", "}}, {{index .Map "key"}}, {{len .X}}, {{printf "%s-%d" .A .B}},
//   {{range .List}}...{{end}} (dot becomes the element), {{range $k, $v := .Map}},
//   {{if .X}}...{{else}}...{{end}} (empty/false/null/0 are false),
//   "\t" and "\n" escapes in the format string as docker accepts them.
// Strings print raw, numbers as integers when integral, null prints "<no value>",
// arrays as "[a b c]", objects as "map[k:v]" (Go's fmt %v).
// Throws Error(usage) "template: ..." for a malformed template or unknown function.
std::string render_template(const std::string& tmpl, const json& data);

// One column of a default table: header text and the row key it shows.
struct Column {
  std::string header;  // "IMAGE ID"
  std::string key;     // "ID"
};

// Prints rows (JSON objects) according to format (see above). In table mode a
// header is printed; columns are padded like Go's tabwriter with 3 spaces of
// padding (docker's). `headers` maps row keys to table header names so that
// "table {{.ID}}" prints "IMAGE ID"; keys without an entry are upper-cased.
// quiet_key: with format empty and quiet=true, print only that key per row.
void print_rows(const std::vector<json>& rows, const std::string& format,
                const std::vector<Column>& default_columns);

// Aligns cells like text/tabwriter (minwidth 0, padding 3, no trailing pad).
std::string align_table(const std::vector<std::vector<std::string>>& rows);

// For inspect: format empty -> pretty JSON array (4-space indent, like
// podman); otherwise the template rendered for each object, one per line.
void print_inspect(const std::vector<json>& objects, const std::string& format);

}  // namespace tug::cli
