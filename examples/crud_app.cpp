// SPDX-License-Identifier: Apache-2.0
// A small CRUD program: create, insert in a transaction, read, update, delete,
// and show how typed errors and the connection registry look to a user.
// Usage: example_crud_app [URL]   (default: a SQLite file in /tmp)
#include <dbridge/connection.hpp>
#include <dbridge/registry.hpp>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) try {
  const std::string url = argc > 1 ? argv[1] : "sqlite://:memory:";
  auto db = dbridge::connect(url, {.opened_by = "example:crud"});

  db.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, name TEXT, age INTEGER)");
  db.transaction([&](dbridge::transaction& tx) {
    tx.execute("INSERT INTO users(email, name, age) VALUES ($1, $2, $3)", {"alice@example.org", "Alice", 30});
    tx.execute("INSERT INTO users(email, name, age) VALUES ($1, $2, $3)", {"bob@example.org", "Bob", nullptr});
  });

  for (auto& row : db.query("SELECT id, name, age FROM users ORDER BY id")) {
    auto age = row.get<std::optional<std::int64_t>>("age");
    std::cout << row.get<std::int64_t>("id") << " " << row.get<std::string>("name") << " "
              << (age ? std::to_string(*age) : "(unknown age)") << "\n";
  }

  auto updated = db.execute("UPDATE users SET age = $1 WHERE email = $2", {31, "alice@example.org"});
  std::cout << "updated " << updated.affected_rows << " row(s)\n";

  // A duplicate email is a constraint_violation the caller can act on.
  try {
    db.execute("INSERT INTO users(email, name) VALUES ($1, $2)", {"alice@example.org", "Alice again"});
    std::cerr << "expected a unique violation\n";
    return 1;
  } catch (const dbridge::constraint_violation& e) {
    std::cout << "refused duplicate: " << dbridge::to_string(e.category()) << "\n";
  }

  for (const auto& entry : dbridge::registry::global().opened_by("example:crud"))
    std::cout << "open connection #" << entry.id << " " << entry.redacted_url << " ("
              << dbridge::to_string(entry.state) << ")\n";

  auto count = db.query_one("SELECT count(*) FROM users").get<std::int64_t>(0);
  db.execute("DELETE FROM users");
  std::cout << "deleted " << count << " row(s)\n";
  return count == 2 ? 0 : 1;
} catch (const dbridge::error& e) {
  std::cerr << "error (" << dbridge::to_string(e.category()) << "): " << e.what() << "\n";
  return 1;
}
