// SPDX-License-Identifier: Apache-2.0
// Lists the tables of a database with their columns, indexes and foreign keys.
// Usage: example_introspection [URL]   (default: a small in-memory SQLite schema)
#include <dbridge/connection.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) try {
  const bool demo = argc < 2;
  auto db = dbridge::connect(demo ? "sqlite://:memory:" : argv[1]);
  if (demo) {
    db.execute_script(
        "CREATE TABLE authors(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
        "CREATE TABLE books(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id),"
        " title TEXT NOT NULL, published DATE);"
        "CREATE INDEX books_by_author ON books(author_id);");
  }
  std::size_t tables = 0;
  for (auto& t : db.tables()) {
    ++tables;
    const auto name = t.get<std::string>("name");
    std::cout << t.get<std::string>("type") << " " << name << "\n";
    for (auto& c : db.columns(name))
      std::cout << "  column " << c.get<std::string>("name") << " " << c.get<std::string>("type")
                << (c.get<bool>("nullable") ? "" : " NOT NULL") << "\n";
    for (auto& i : db.indexes(name))
      std::cout << "  index " << i.get<std::string>("name") << " (" << i.get<std::string>("columns") << ")\n";
    for (auto& f : db.foreign_keys(name))
      std::cout << "  foreign key (" << f.get<std::string>("columns") << ") -> " << f.get<std::string>("ref_table")
                << "(" << f.get<std::string>("ref_columns") << ")\n";
  }
  return demo && tables != 2 ? 1 : 0;
} catch (const dbridge::error& e) {
  std::cerr << "error (" << dbridge::to_string(e.category()) << "): " << e.what() << "\n";
  return 1;
}
