// SPDX-License-Identifier: Apache-2.0
// Everything the commands share about printing: output formats, the aligned
// text table, value rendering (text, JSON, CSV), error reports, exit codes,
// and the scrubbing of passwords from anything written to stderr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "dbridge/url.hpp"
#include "dbridge/value.hpp"

namespace dbridge::cli {

using ojson = nlohmann::ordered_json;

enum class output_format { table, json, csv };

/// Exit statuses: documented in `dbridge --help`.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  ///< runtime failure, or a check that found problems
inline constexpr int exit_usage = 2;    ///< bad command line (unknown option, malformed URL or parameter)

/// A command-line mistake found after CLI11 parsing (bad parameter, malformed
/// URL): reported like other errors, but exits with exit_usage.
class usage_error : public std::runtime_error {
 public:
  usage_error(std::string message, std::string fix = {})
      : std::runtime_error(std::move(message)), fix_(std::move(fix)) {}
  const std::string& fix() const noexcept { return fix_; }

 private:
  std::string fix_;
};

/// Parses a URL given on the command line; a malformed one is a usage_error.
dbridge::url parse_cli_url(const std::string& text);

// ---- secrets --------------------------------------------------------------

/// Remembers the password (and secret options, see dbridge::is_secret_option)
/// of a URL-shaped argument so that scrub() can blank them wherever they might
/// be echoed (CLI11 parse errors, driver messages). Accepts any text; never throws.
void remember_secrets(std::string_view arg) noexcept;
/// `text` with URL passwords and secret options redacted and every remembered
/// secret that stands as a whole word replaced by "***" (dbridge::redact_secrets).
std::string scrub(std::string_view text);

// ---- errors ---------------------------------------------------------------

/// Prints "dbridge: <category> error: message" plus detail and a fix line to
/// stderr, scrubbed. Returns exit_failure.
int report_error(const dbridge::error& e);
/// Same for failures that are not dbridge errors (category given by caller).
int report_failure(std::string_view category, std::string_view message, std::string_view fix = {});
/// The fix-it line for a category when the error itself carries none.
std::string_view default_fix(errc category) noexcept;

// ---- plain output -----------------------------------------------------------

/// s on one line: \n, \r, \t and other control bytes escaped (\x1b), C1
/// controls and bidirectional overrides too (\u009b, \u202e), each byte of
/// invalid UTF-8 as \xNN, and backslashes doubled when `backslash` (so a line
/// reads back unambiguously). A stored value cannot drive the terminal.
std::string escape_controls(std::string_view s, bool backslash);

/// The length of the well-formed UTF-8 sequence at s[i] (1 to 4), or 0 when
/// the bytes there are not one (RFC 3629: shortest form, no surrogates, at
/// most U+10FFFF).
std::size_t utf8_length_at(std::string_view s, std::size_t i) noexcept;
inline bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0, n; i < s.size(); i += n)
    if ((n = utf8_length_at(s, i)) == 0) return false;
  return true;
}

/// A file written under a temporary name beside `path` and renamed over it
/// by commit(): a failed export leaves neither a truncated file nor, where
/// one was, the loss of it. Without commit() the temporary is removed.
class replacing_file {
 public:
  explicit replacing_file(std::string path);
  ~replacing_file();
  replacing_file(const replacing_file&) = delete;
  replacing_file& operator=(const replacing_file&) = delete;
  /// The open temporary, or nullptr when it could not be created (errno says why).
  std::FILE* get() const noexcept { return file_; }
  /// Closes the temporary and renames it to the path; false (errno set) when either fails.
  bool commit();

 private:
  std::string path_, tmp_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

/// Writes to stdout (no formatting, no scrubbing: callers print redacted URLs only).
void out(std::string_view text);

/// A table of text cells printed with aligned columns. Cells are escaped for
/// one line each (\n, \t, control characters) when added.
class text_table {
 public:
  explicit text_table(std::vector<std::string> headers);
  /// right_aligned[i]: numbers read better right-aligned.
  void set_right_aligned(std::size_t column, bool right = true);
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const noexcept { return rows_.size(); }
  /// Header, a rule of dashes, then the rows; trailing spaces trimmed.
  /// Without the header, only the rows (aligned as if it were there).
  std::string render(bool with_header = true) const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

/// Display width in terminal columns (UTF-8 code points; good enough for
/// the Latin, symbol and box characters we print).
std::size_t display_width(std::string_view s) noexcept;

// ---- values -------------------------------------------------------------------

/// Human text of a value for tables and CSV: ISO-8601 dates and times, bytes
/// as \x hex, JSON and arrays as JSON text, NULL as "NULL".
std::string to_text(const dbridge::value& v);
/// The JSON form (see `dbridge query --help`): numbers, null, booleans,
/// base64 bytes, exact decimal strings, ISO-8601 strings, embedded JSON,
/// arrays, uuid strings; NaN and infinities as the strings "NaN", "Infinity",
/// "-Infinity".
ojson to_json(const dbridge::value& v);
/// Serialises JSON; invalid UTF-8 in strings becomes U+FFFD instead of throwing.
std::string json_text(const ojson& j, int indent = -1);
std::string base64(const dbridge::bytes& b);
/// One RFC 4180 field: quoted when it holds a comma, quote, CR or LF, or is
/// empty (so an empty string differs from NULL, which is written bare).
std::string csv_field(std::string_view s);
bool is_numeric(dbridge::value_type t) noexcept;

/// Object keys for a result's columns: names made unique ("a", "a_2") so no
/// cell is lost in a JSON object.
std::vector<std::string> json_keys(const std::vector<dbridge::column_info>& cols);

/// Everything a manifest says about a plugin, for --format json.
ojson to_json(const plugin_info& p);
/// "sqlite 1.0.0 (driver)".
std::string plugin_label(const plugin_info& p);

/// Drains a result into a JSON array of row objects.
ojson result_to_json(dbridge::result& r);
/// Drains a result into a text table (NULL shown as "NULL").
text_table result_to_table(dbridge::result& r);

/// Streams a result to stdout in the given format; returns the row count.
/// json and csv are written row by row; the table needs every row for widths.
std::size_t print_result(dbridge::result& r, output_format f);

}  // namespace dbridge::cli
