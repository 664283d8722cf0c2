// SPDX-License-Identifier: Apache-2.0
// `dbridge copy URL TABLE --from FILE.csv`: bulk-loads a CSV file through the
// driver's bulk path (capability "bulk"; PostgreSQL binary COPY), converting
// each field to its column's type first so a bad value is reported with its
// line and column before anything is stored. `--to FILE.csv` exports a table
// with COPY ... TO STDOUT (FORMAT csv).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <sys/stat.h>

#include "commands.hpp"
#include "csv_reader.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/copy.hpp"
#include "text_convert.hpp"

namespace dbridge::cli {
namespace {

using clock = std::chrono::steady_clock;

struct file_closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

double seconds_since(clock::time_point t0) {
  return std::chrono::duration<double>(clock::now() - t0).count();
}

[[noreturn]] void data_failure(std::string message, std::string fix) {
  error_info i;
  i.category = errc::data;
  i.native_domain = "dbridge";
  i.message = std::move(message);
  i.detail = "the copy was aborted; no row was stored";
  i.hint = std::move(fix);
  throw_error(std::move(i));
}

char parse_delimiter(const std::string& d) {
  if (d == "\\t" || d == "tab" || d == "\t") return '\t';
  if (d.size() != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n')
    throw usage_error(fmt::format("--delimiter must be one character other than a quote or line break, got '{}'", d),
                      "write e.g. --delimiter ';' or --delimiter tab");
  return d[0];
}

/// "schema.table" -> (schema, table); a bare name has no schema.
std::pair<std::string, std::string> split_table(const std::string& t) {
  const std::size_t dot = t.find('.');
  if (dot == std::string::npos) return {"", t};
  return {t.substr(0, dot), t.substr(dot + 1)};
}

std::string quote_ident(std::string_view name) {
  std::string o = "\"";
  for (char c : name) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

/// The table's columns, in order, as introspection describes them.
std::vector<column_spec> table_columns(connection& conn, const std::string& table) {
  const auto [schema, name] = split_table(table);
  result r = conn.columns(name, schema);
  std::vector<column_spec> cols;
  std::string first_schema;
  std::vector<std::string> schemas;
  for (const row& rw : r) {
    const auto s = rw.get<std::optional<std::string>>("schema").value_or("");
    if (schemas.empty() || schemas.back() != s) schemas.push_back(s);
    if (schemas.size() > 1) continue;
    column_spec c = describe_column(rw.get<std::string>("name"), rw.get<std::string>("type"));
    if (!rw.is_null("nullable")) c.nullable = rw.get_value(rw.index_of("nullable")).as<bool>();
    if (!rw.is_null("max_length")) c.max_chars = rw.get<std::int64_t>("max_length");
    cols.push_back(std::move(c));
  }
  if (cols.empty()) {
    error_info i;
    i.category = errc::not_found;
    i.native_domain = "dbridge";
    i.message = fmt::format("table '{}' not found in {}", table, conn.redacted_url());
    i.hint = "run `dbridge inspect URL` to list the tables; name another schema as SCHEMA.TABLE";
    throw_error(std::move(i));
  }
  if (schemas.size() > 1)
    throw usage_error(fmt::format("table '{}' exists in several schemas ({})", table, fmt::join(schemas, ", ")),
                      fmt::format("name one, e.g. {}.{}", schemas.front(), name));
  return cols;
}

/// The table's PostgreSQL generated columns (GENERATED ALWAYS AS ... STORED):
/// COPY cannot load them and COPY ... TO leaves them out, so the default
/// column list leaves them out too. Identity columns take values; they stay.
std::vector<std::string> generated_columns(connection& conn, const std::string& table) {
  if (conn.scheme() != "postgresql" && conn.scheme() != "postgres") return {};
  const auto [schema, name] = split_table(table);
  std::vector<std::string> out;
  for (const row& r : conn.query("SELECT a.attname::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                                 "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1 AND "
                                 "($2 = '' OR n.nspname = $2) AND a.attnum > 0 AND NOT a.attisdropped AND "
                                 "a.attgenerated <> '' AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
                                 {name, schema}))
    out.push_back(r.get<std::string>(0));
  return out;
}

/// Redraws "[#####-----]  42%  12345 rows" on a terminal, at most ten times a second.
class progress_bar {
 public:
  progress_bar(bool enabled, std::uint64_t total_bytes) : on_(enabled), total_(total_bytes) {}
  void update(std::uint64_t bytes, std::uint64_t rows, bool force = false) {
    if (!on_) return;
    const auto now = clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    std::string line;
    if (total_ > 0) {
      const double f = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
      const int filled = static_cast<int>(f * 30);
      line = fmt::format("\r[{}{}] {:3d}%  {} rows", std::string(filled, '#'), std::string(30 - filled, '-'),
                         static_cast<int>(f * 100), rows);
    } else {
      line = fmt::format("\r{} rows", rows);
    }
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
  }
  /// Erases the bar so the next message starts on a clean line.
  void clear() {
    if (!drawn_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }
  ~progress_bar() { clear(); }

 private:
  bool on_;
  std::uint64_t total_;
  clock::time_point last_{};
  bool drawn_ = false;
};

int copy_from(const copy_options& o, char delim) {
  const bool from_stdin = o.from == "-";
  file_ptr owned;
  std::FILE* in = stdin;
  if (!from_stdin) {
    owned.reset(std::fopen(o.from.c_str(), "rb"));
    if (!owned)
      return report_failure(errno == ENOENT ? "not_found" : "resource",
                            fmt::format("cannot open {}: {}", o.from, std::strerror(errno)),
                            "check the path given to --from");
    in = owned.get();
  }
  std::uint64_t total = 0;
  struct stat st{};
  if (::fstat(::fileno(in), &st) == 0 && S_ISREG(st.st_mode)) total = static_cast<std::uint64_t>(st.st_size);

  connection conn = connect(o.url, connect_options{.opened_by = "dbridge copy"});
  if (!conn.has_capability("bulk"))
    throw_error(errc::unsupported, fmt::format("the {} driver ({}) has no bulk load (capability \"bulk\")",
                                               conn.scheme(), conn.plugin_id()));
  const std::vector<column_spec> all = table_columns(conn, o.table);

  const std::string name = from_stdin ? std::string("stdin") : o.from;
  csv_reader reader(in, delim, name);
  csv_record rec;
  std::vector<std::string> wanted = o.columns;
  if (o.header) {
    if (!reader.next(rec)) data_failure(name + " is empty: --header expects a first line naming the columns", {});
    // Without --columns the header says which column each field fills.
    if (wanted.empty()) wanted.assign(rec.fields.begin(), rec.fields.begin() + static_cast<std::ptrdiff_t>(rec.count));
  }
  std::vector<column_spec> cols;
  if (wanted.empty()) {
    const std::vector<std::string> generated = generated_columns(conn, o.table);
    for (const column_spec& c : all)
      if (std::find(generated.begin(), generated.end(), c.name) == generated.end()) cols.push_back(c);
  } else {
    for (const std::string& w : wanted) {
      auto it = std::find_if(all.begin(), all.end(), [&](const column_spec& c) { return c.name == w; });
      if (it == all.end()) {
        std::vector<std::string> names;
        for (const auto& c : all) names.push_back(c.name);
        throw usage_error(fmt::format("table '{}' has no column '{}'{}", o.table, w, o.header && o.columns.empty() ? " (named in the header line)" : ""),
                          fmt::format("its columns are: {}", fmt::join(names, ", ")));
      }
      cols.push_back(*it);
    }
  }
  std::vector<std::string> names;
  for (const auto& c : cols) names.push_back(c.name);

  const auto t0 = clock::now();
  progress_bar bar(::isatty(STDERR_FILENO) == 1, total);
  copy_in load(conn, o.table, names);
  std::vector<value> vals(cols.size());
  std::uint64_t rows = 0;
  while (reader.next(rec)) {
    if (rec.count != cols.size())
      data_failure(fmt::format("{} line {}: {} fields, expected {} ({})", name, rec.line, rec.count, cols.size(),
                               fmt::join(names, ", ")),
                   "give every line one field per column, or choose the columns with --columns a,b,c");
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const column_spec& c = cols[i];
      const std::string& f = rec.fields[i];
      if (f.empty() && !rec.quoted[i]) {
        if (!c.nullable)
          data_failure(fmt::format("{} line {}, column \"{}\": the field is empty (NULL) but the column is NOT NULL",
                                   name, rec.line, c.name),
                       "give a value, or write \"\" for an empty text");
        vals[i] = value(nullptr);
        continue;
      }
      try {
        vals[i] = convert_field(c, f);
      } catch (const conversion_error& e) {
        data_failure(fmt::format("{} line {}, column \"{}\" ({}): {}", name, rec.line, c.name, c.type_name, e.what()),
                     "correct the value; an empty unquoted field stands for NULL");
      }
    }
    try {
      load.write_row(params(vals.data(), vals.size()));
    } catch (const dbridge::error& e) {
      // The driver's own refusal (a type it cannot encode): say which line.
      error_info i = e.info();
      i.message = fmt::format("{} line {}: {}", name, rec.line, i.message);
      i.detail = "the copy was aborted; no row was stored";
      throw_error(std::move(i));
    }
    ++rows;
    bar.update(reader.bytes_read(), rows);
  }
  bar.update(reader.bytes_read(), rows, true);
  bar.clear();
  const std::int64_t stored = load.finish();
  out(fmt::format("{} rows copied in {:.2f} s\n", stored, seconds_since(t0)));
  return exit_ok;
}

int copy_to(const copy_options& o, char delim) {
  connection conn = connect(o.url, connect_options{.opened_by = "dbridge copy"});
  if (!conn.has_capability("bulk"))
    throw_error(errc::unsupported, fmt::format("the {} driver ({}) has no bulk export (capability \"bulk\")",
                                               conn.scheme(), conn.plugin_id()));
  const auto [schema, name] = split_table(o.table);
  std::string sql = "COPY " + (schema.empty() ? "" : quote_ident(schema) + ".") + quote_ident(name);
  if (!o.columns.empty()) {
    std::vector<std::string> q;
    for (const auto& c : o.columns) q.push_back(quote_ident(c));
    sql += fmt::format(" ({})", fmt::join(q, ", "));
  }
  sql += " TO STDOUT (FORMAT csv";
  if (o.header) sql += ", HEADER";
  if (delim != ',') sql += delim == '\'' ? ", DELIMITER ''''" : fmt::format(", DELIMITER '{}'", delim);
  sql += ")";

  const bool to_stdout = o.to == "-";
  std::optional<replacing_file> file;
  std::FILE* dst = stdout;
  if (!to_stdout) {
    file.emplace(o.to);
    if (file->get() == nullptr)
      return report_failure("resource", fmt::format("cannot write {}: {}", o.to, std::strerror(errno)),
                            "check the path given to --to");
    dst = file->get();
  }

  const auto t0 = clock::now();
  progress_bar bar(::isatty(STDERR_FILENO) == 1 && !to_stdout, 0);
  std::uint64_t lines = 0;
  bool in_quotes = false;
  {
    copy_out exp(conn, sql);
    while (auto chunk = exp.next()) {
      // Records end at line breaks outside quotes ("" toggles twice: no change).
      for (char c : *chunk) {
        if (c == '"') in_quotes = !in_quotes;
        else if (c == '\n' && !in_quotes) ++lines;
      }
      if (std::fwrite(chunk->data(), 1, chunk->size(), dst) != chunk->size())
        return report_failure("resource", fmt::format("could not write {}: {}", to_stdout ? "stdout" : o.to,
                                                      std::strerror(errno)));
      bar.update(0, lines - (o.header && lines > 0 ? 1 : 0));
    }
  }
  bar.clear();
  if (file && !file->commit())
    return report_failure("resource", fmt::format("could not write {}: {}", o.to, std::strerror(errno)));
  const std::uint64_t rows = lines - (o.header && lines > 0 ? 1 : 0);
  const std::string summary = fmt::format("{} rows copied in {:.2f} s\n", rows, seconds_since(t0));
  // With the data on stdout the summary must not mix into it.
  if (to_stdout) std::fputs(summary.c_str(), stderr);
  else out(summary);
  return exit_ok;
}

}  // namespace

int run_copy(const copy_options& o) {
  const dbridge::url u = parse_cli_url(o.url);
  require_known_scheme(u);
  if (o.from.empty() == o.to.empty())
    throw usage_error("give exactly one of --from FILE.csv (load) and --to FILE.csv (export)",
                      "e.g. dbridge copy URL items --from items.csv --header");
  if (o.table.empty()) throw usage_error("no table given");
  const char delim = parse_delimiter(o.delimiter);
  return o.from.empty() ? copy_to(o, delim) : copy_from(o, delim);
}

}  // namespace dbridge::cli
