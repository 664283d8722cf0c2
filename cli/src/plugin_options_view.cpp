// SPDX-License-Identifier: Apache-2.0
#include "plugin_options_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace dbridge::cli {

ojson options_json(const plugin_info& p) {
  ojson list = ojson::array();
  for (const auto& o : p.options) {
    ojson j = ojson::object();
    j["name"] = o.name;
    j["type"] = o.type;
    j["default"] = o.default_value.empty() ? ojson(nullptr) : ojson(o.default_value);
    j["values"] = o.values;
    j["secret"] = o.secret;
    j["summary"] = o.summary;
    list.push_back(std::move(j));
  }
  return list;
}

std::string options_text(const plugin_info& p) {
  if (!p.options_declared) return "  options:  not declared in the manifest (the driver checks them itself)\n";
  if (p.options.empty()) return "  options:  none\n";
  // NAME  TYPE-OR-VALUES [= DEFAULT] [(secret)]  SUMMARY, in aligned columns.
  std::vector<std::string> kinds;
  std::size_t name_width = 0, kind_width = 0;
  for (const auto& o : p.options) {
    std::string kind = o.values.empty() ? o.type : fmt::format("{}", fmt::join(o.values, "|"));
    if (!o.default_value.empty()) kind += " = " + o.default_value;
    if (o.secret) kind += " (secret)";
    name_width = std::max(name_width, o.name.size());
    kind_width = std::max(kind_width, kind.size());
    kinds.push_back(std::move(kind));
  }
  std::string text = "  options:\n";
  for (std::size_t i = 0; i < p.options.size(); ++i)
    text += fmt::format("    {:<{}}  {:<{}}  {}\n", p.options[i].name, name_width, kinds[i], kind_width,
                        p.options[i].summary);
  return text;
}

}  // namespace dbridge::cli
