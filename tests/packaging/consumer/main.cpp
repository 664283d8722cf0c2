// SPDX-License-Identifier: Apache-2.0
// Uses the installed core with an installed first-party plugin (sqlite) and a
// third-party plugin built out of tree (series), and checks the answers.
#include <dbridge/connection.hpp>

#include <cstdint>
#include <iostream>

int main() try {
  auto series = dbridge::connect("series://");
  std::int64_t sum = 0, rows = 0;
  for (auto& r : series.query("SERIES $1 $2", {1, 100})) {
    sum += r.get<std::int64_t>("square");
    ++rows;
  }
  auto sqlite = dbridge::connect("sqlite://:memory:");
  const auto answer = sqlite.query_one("SELECT ?1 + 2", {40}).get<std::int64_t>(0);
  std::cout << "series rows=" << rows << " sum of squares=" << sum << "; sqlite answer=" << answer << " ("
            << series.plugin_id() << " " << series.plugin_version() << ", " << sqlite.plugin_id() << " "
            << sqlite.plugin_version() << ")\n";
  return rows == 100 && sum == 338350 && answer == 42 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "consumer: " << e.what() << "\n";
  return 1;
}
