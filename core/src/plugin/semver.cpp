// SPDX-License-Identifier: Apache-2.0
// Semantic versions: parsing, precedence and version ranges.
#include "semver.hpp"

#include <algorithm>

namespace dbridge::inline v1::detail {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint64_t> to_number(std::string_view s) {
  if (!all_digits(s) || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (true) {
    std::size_t e = s.find(sep, i);
    out.push_back(s.substr(i, e == std::string_view::npos ? std::string_view::npos : e - i));
    if (e == std::string_view::npos) break;
    i = e + 1;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<semver> parse_semver(std::string_view text) {
  std::size_t plus = text.find('+');
  if (plus != std::string_view::npos) {
    std::string_view build = text.substr(plus + 1);
    if (build.empty()) return std::nullopt;
    for (auto id : split(build, '.')) {
      if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
          }))
        return std::nullopt;
    }
    text = text.substr(0, plus);
  }
  std::string_view pre;
  std::size_t dash = text.find('-');
  if (dash != std::string_view::npos) {
    pre = text.substr(dash + 1);
    if (pre.empty()) return std::nullopt;
    text = text.substr(0, dash);
  }
  auto parts = split(text, '.');
  if (parts.size() != 3) return std::nullopt;
  semver v;
  std::uint64_t* fields[3] = {&v.major, &v.minor, &v.patch};
  for (int i = 0; i < 3; ++i) {
    auto n = to_number(parts[i]);
    if (!n || (parts[i].size() > 1 && parts[i][0] == '0')) return std::nullopt;
    *fields[i] = *n;
  }
  if (!pre.empty()) {
    for (auto id : split(pre, '.')) {
      if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
          }))
        return std::nullopt;
      if (all_digits(id) && id.size() > 1 && id[0] == '0') return std::nullopt;
      v.pre.emplace_back(id);
    }
  }
  return v;
}

int compare(const semver& a, const semver& b) noexcept {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  // A pre-release sorts before the release itself.
  if (a.pre.empty() != b.pre.empty()) return a.pre.empty() ? 1 : -1;
  for (std::size_t i = 0; i < a.pre.size() && i < b.pre.size(); ++i) {
    const auto& x = a.pre[i];
    const auto& y = b.pre[i];
    bool xn = all_digits(x), yn = all_digits(y);
    if (xn && yn) {
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (x != y) return x < y ? -1 : 1;
    } else if (xn != yn) {
      return xn ? -1 : 1;
    } else if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  if (a.pre.size() != b.pre.size()) return a.pre.size() < b.pre.size() ? -1 : 1;
  return 0;
}

int compare_versions(std::string_view a, std::string_view b) {
  auto x = parse_semver(a), y = parse_semver(b);
  if (x && y) return compare(*x, *y);
  if (x || y) return x ? 1 : -1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

std::optional<bool> version_satisfies(std::string_view version, std::string_view range, std::string* error) {
  auto set_error = [&](std::string msg) {
    if (error) *error = std::move(msg);
    return std::optional<bool>();
  };
  auto v = parse_semver(version);
  if (!v) return set_error("'" + std::string(version) + "' is not a semantic version");
  if (trim(range).empty()) return set_error("the range is empty");
  bool ok = true;
  for (auto raw : split(range, ',')) {
    std::string_view c = trim(raw);
    std::string_view op;
    for (std::string_view candidate : {">=", "<=", "==", ">", "<", "=", "^", "~"}) {
      if (c.substr(0, candidate.size()) == candidate) {
        op = candidate;
        break;
      }
    }
    std::string_view num = trim(c.substr(op.size()));
    if (op.empty()) op = "=";
    auto parts = split(num, '.');
    if (num.empty() || parts.size() > 3) {
      return set_error("'" + std::string(c) + "' is not a comparator like >=1.0 or <2");
    }
    semver bound;
    std::uint64_t* fields[3] = {&bound.major, &bound.minor, &bound.patch};
    for (std::size_t i = 0; i < parts.size(); ++i) {
      auto n = to_number(parts[i]);
      if (!n) return set_error("'" + std::string(c) + "' is not a comparator like >=1.0 or <2");
      *fields[i] = *n;
    }
    semver plain = *v;
    plain.pre.clear();  // ranges speak about releases; a pre-release matches its release
    int cmp = compare(plain, bound);
    bool holds = false;
    if (op == ">=") holds = cmp >= 0;
    else if (op == ">") holds = cmp > 0;
    else if (op == "<=") holds = cmp <= 0;
    else if (op == "<") holds = cmp < 0;
    else if (op == "=" || op == "==") {
      // "=1.2" means any 1.2.x: compare only the parts written.
      holds = plain.major == bound.major && (parts.size() < 2 || plain.minor == bound.minor) &&
              (parts.size() < 3 || plain.patch == bound.patch);
    } else if (op == "^") {
      holds = cmp >= 0 && plain.major == bound.major;
    } else if (op == "~") {
      holds = cmp >= 0 && plain.major == bound.major && (parts.size() < 2 || plain.minor == bound.minor);
    }
    ok = ok && holds;
  }
  return ok;
}

}  // namespace dbridge::detail
