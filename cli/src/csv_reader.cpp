// SPDX-License-Identifier: Apache-2.0
#include "csv_reader.hpp"

#include <cerrno>
#include <cstring>

#include "dbridge/error.hpp"

namespace dbridge::cli {

csv_reader::csv_reader(std::FILE* f, char delimiter, std::string name)
    : f_(f), delim_(static_cast<unsigned char>(delimiter)), name_(std::move(name)), buf_(64 * 1024) {}

bool csv_reader::refill() {
  if (eof_) return false;
  consumed_ += len_;
  pos_ = 0;
  len_ = std::fread(buf_.data(), 1, buf_.size(), f_);
  if (len_ == 0) {
    eof_ = true;
    if (std::ferror(f_))
      throw_error(errc::resource, name_ + ": read failed after line " + std::to_string(line_) + ": " +
                                      std::strerror(errno));
    return false;
  }
  return true;
}

int csv_reader::peek() {
  if (pos_ == len_ && !refill()) return -1;
  return static_cast<unsigned char>(buf_[pos_]);
}

void csv_reader::fail(std::uint64_t line, const std::string& what, const std::string& fix) const {
  error_info i;
  i.category = errc::data;
  i.native_domain = "dbridge";
  i.message = name_ + " line " + std::to_string(line) + ": " + what;
  i.detail = "the copy was aborted; no row was stored";
  i.hint = fix;
  throw_error(std::move(i));
}

bool csv_reader::next(csv_record& rec) {
  if (!started_) {
    started_ = true;
    // A UTF-8 byte order mark (spreadsheet exports) is not part of the data.
    if (peek() == 0xEF && len_ - pos_ >= 3 && static_cast<unsigned char>(buf_[pos_ + 1]) == 0xBB &&
        static_cast<unsigned char>(buf_[pos_ + 2]) == 0xBF)
      pos_ += 3;
  }
  // Empty lines carry no record (a trailing blank line is common).
  for (;;) {
    const int c = peek();
    if (c < 0) return false;
    if (c == '\n') {
      get();
      ++line_;
    } else if (c == '\r') {
      get();
      if (peek() == '\n') get();
      ++line_;
    } else {
      break;
    }
  }
  rec.count = 0;
  rec.line = line_;
  for (;;) {
    if (rec.fields.size() == rec.count) {
      rec.fields.emplace_back();
      rec.quoted.push_back(false);
    }
    std::string& f = rec.fields[rec.count];
    f.clear();
    const bool quoted = peek() == '"';
    rec.quoted[rec.count] = quoted;
    ++rec.count;
    int c;
    if (quoted) {
      const std::uint64_t opened = line_;
      get();
      for (;;) {
        c = get();
        if (c < 0)
          fail(opened, "a quoted field is never closed (it runs to the end of the file)",
               "close the field with a quote; write a quote inside a quoted field as \"\"");
        if (c == '"') {
          if (peek() != '"') break;
          get();
        } else if (c == '\n') {
          ++line_;
        } else if (c == '\r' && peek() != '\n') {
          ++line_;  // a lone CR ends a line too
        }
        f.push_back(static_cast<char>(c));
      }
      c = peek();
      if (c >= 0 && c != delim_ && c != '\n' && c != '\r')
        fail(line_, std::string("unexpected '") + static_cast<char>(c) + "' after the closing quote of field " +
                        std::to_string(rec.count),
             "a quoted field must end at a delimiter or line end; write a quote inside it as \"\"");
      if (c >= 0) get();
    } else {
      for (;;) {
        c = get();
        if (c < 0 || c == delim_ || c == '\n' || c == '\r') break;
        if (c == '"')
          fail(line_, "a quote inside unquoted field " + std::to_string(rec.count),
               "quote the whole field and double the quotes inside it: \"say \"\"hi\"\"\"");
        f.push_back(static_cast<char>(c));
      }
    }
    if (c == delim_) continue;
    if (c == '\r' && peek() == '\n') get();
    if (c >= 0) ++line_;
    return true;
  }
}

}  // namespace dbridge::cli
