// SPDX-License-Identifier: Apache-2.0
// The URL rules a driver's manifest sets for connect(): url_style = "path"
// and the declared [[driver.options]] (docs/plugin-toml.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/url.hpp"
#include "plugin_record.hpp"

namespace dbridge::inline v1::detail {

/// parse_url, with the body read as one file path when path_body is set
/// (sqlite and its kin always are).
url parse_url(std::string_view text, bool path_body);

/// A URL parsed the way the driver serving its scheme wants it.
struct driver_url {
  url parsed;
  std::shared_ptr<plugin_record> driver;
  /// Values of options the manifest declares secret (scrubbed like passwords).
  std::vector<std::string> secrets;
};

/// Parses `text`, finds (loads) the driver for its scheme, re-reads the body as
/// a path when the manifest says url_style = "path", and checks the options
/// against the declared ones: an unknown option, a value not of the declared
/// type or outside `values` throws invalid_argument_error naming the nearest
/// declared option. Never echoes a secret value.
driver_url resolve_driver_url(std::string_view text);

/// Checks options against declarations (no-op when the driver declares none).
void check_declared_options(const url& u, const plugin_record& driver);

}  // namespace dbridge::detail
