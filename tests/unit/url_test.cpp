// SPDX-License-Identifier: Apache-2.0
// URL parsing for every scheme, hostile input, and password redaction.
#include <gtest/gtest.h>

#include <string>

#include "dbridge/error.hpp"
#include "dbridge/url.hpp"
#include "generated_passwords.hpp"

using dbridge::parse_url;

namespace {

// Parses text expecting failure; returns the message. The secret must never
// appear in it.
std::string rejection(const std::string& text, const std::string& secret = "s3cr3t") {
  try {
    parse_url(text);
  } catch (const dbridge::invalid_argument_error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find(secret), std::string::npos) << "password leaked: " << msg;
    EXPECT_EQ(e.category(), dbridge::errc::invalid_argument);
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type for " << text << ": " << e.what();
    return {};
  }
  ADD_FAILURE() << "accepted: " << text;
  return {};
}

}  // namespace

TEST(url, sqlite_absolute_path) {
  auto u = parse_url("sqlite:///abs/path.db");
  EXPECT_EQ(u.scheme, "sqlite");
  EXPECT_EQ(u.database, "/abs/path.db");
  EXPECT_TRUE(u.hosts.empty());
  EXPECT_FALSE(u.user);
  EXPECT_FALSE(u.password);
}

TEST(url, sqlite_relative_and_memory) {
  EXPECT_EQ(parse_url("sqlite://relative.db").database, "relative.db");
  EXPECT_EQ(parse_url("sqlite://dir/sub.db").database, "dir/sub.db");
  EXPECT_EQ(parse_url("sqlite://:memory:").database, ":memory:");
}

TEST(url, sqlite_options_and_encoded_path) {
  auto u = parse_url("SQLite:///tmp/my%20file.db?mode=ro&busy_timeout=500&journal_mode=wal");
  EXPECT_EQ(u.scheme, "sqlite");
  EXPECT_EQ(u.database, "/tmp/my file.db");
  ASSERT_EQ(u.options.size(), 3u);
  EXPECT_EQ(u.options[0], (std::pair<std::string, std::string>{"mode", "ro"}));
  EXPECT_EQ(u.option("busy_timeout"), "500");
  EXPECT_EQ(u.option("journal_mode"), "wal");
  EXPECT_FALSE(u.option("nope"));
}

TEST(url, postgresql_full) {
  auto u = parse_url("postgresql://app:s3cr3t@db.example.com:6543/shop?sslmode=require&application_name=x");
  EXPECT_EQ(u.scheme, "postgresql");
  EXPECT_EQ(u.user, "app");
  EXPECT_EQ(u.password, "s3cr3t");
  ASSERT_EQ(u.hosts.size(), 1u);
  EXPECT_EQ(u.hosts[0].host, "db.example.com");
  EXPECT_EQ(u.hosts[0].port, 6543);
  EXPECT_EQ(u.database, "shop");
  EXPECT_EQ(u.option("sslmode"), "require");
  EXPECT_EQ(u.raw, "postgresql://app:s3cr3t@db.example.com:6543/shop?sslmode=require&application_name=x");
}

TEST(url, postgresql_without_port_or_database) {
  auto u = parse_url("postgres://localhost");
  ASSERT_EQ(u.hosts.size(), 1u);
  EXPECT_EQ(u.hosts[0].port, 0);
  EXPECT_EQ(u.database, "");
  auto sock = parse_url("postgresql://%2Fvar%2Frun%2Fpostgresql/db");
  ASSERT_EQ(sock.hosts.size(), 1u);
  EXPECT_EQ(sock.hosts[0].host, "/var/run/postgresql");
  auto none = parse_url("postgresql:///db");
  EXPECT_TRUE(none.hosts.empty());
  EXPECT_EQ(none.database, "db");
}

TEST(url, multi_host) {
  auto u = parse_url("postgresql://h1:1,h2:2,[::1]:3/db");
  ASSERT_EQ(u.hosts.size(), 3u);
  EXPECT_EQ(u.hosts[0].host, "h1");
  EXPECT_EQ(u.hosts[0].port, 1);
  EXPECT_EQ(u.hosts[1].host, "h2");
  EXPECT_EQ(u.hosts[1].port, 2);
  EXPECT_EQ(u.hosts[2].host, "::1");
  EXPECT_EQ(u.hosts[2].port, 3);
  EXPECT_EQ(u.database, "db");
}

TEST(url, mysql) {
  auto u = parse_url("mysql://root@127.0.0.1:3306/test?charset=utf8mb4");
  EXPECT_EQ(u.user, "root");
  EXPECT_FALSE(u.password);
  EXPECT_EQ(u.hosts.at(0).host, "127.0.0.1");
  EXPECT_EQ(u.hosts.at(0).port, 3306);
  EXPECT_EQ(u.database, "test");
}

TEST(url, redis_password_only) {
  auto u = parse_url("redis://:s3cr3t@cache:6380/0");
  EXPECT_FALSE(u.user.has_value() && !u.user->empty());
  EXPECT_EQ(u.password, "s3cr3t");
  EXPECT_EQ(u.hosts.at(0).host, "cache");
  EXPECT_EQ(u.hosts.at(0).port, 6380);
  EXPECT_EQ(u.database, "0");
}

TEST(url, redis_unix_socket) {
  auto u = parse_url("redis+unix:///run/redis/redis.sock?db=2");
  EXPECT_EQ(u.scheme, "redis+unix");
  ASSERT_EQ(u.hosts.size(), 1u);
  EXPECT_EQ(u.hosts[0].host, "/run/redis/redis.sock");
  EXPECT_EQ(u.option("db"), "2");
}

TEST(url, ipv6) {
  auto u = parse_url("postgresql://[::1]:5432/db");
  EXPECT_EQ(u.hosts.at(0).host, "::1");
  EXPECT_EQ(u.hosts.at(0).port, 5432);
  auto v = parse_url("redis://[2001:db8::7]/1");
  EXPECT_EQ(v.hosts.at(0).host, "2001:db8::7");
  EXPECT_EQ(v.hosts.at(0).port, 0);
  auto z = parse_url("postgresql://[fe80::1%25eth0]:5432/db");
  EXPECT_EQ(z.hosts.at(0).host, "fe80::1%eth0");
}

TEST(url, percent_encoding_everywhere) {
  auto u = parse_url("postgresql://us%40er:p%3Ass%2Fw%40rd@h%2Dx:1/d%62?k%20ey=v%26al");
  EXPECT_EQ(u.user, "us@er");
  EXPECT_EQ(u.password, "p:ss/w@rd");
  EXPECT_EQ(u.hosts.at(0).host, "h-x");
  EXPECT_EQ(u.database, "db");
  EXPECT_EQ(u.option("k ey"), "v&al");
}

TEST(url, unencoded_at_in_password_uses_last_at) {
  auto u = parse_url("mysql://user:p@ss@host/db");
  EXPECT_EQ(u.user, "user");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.hosts.at(0).host, "host");
}

TEST(url, hostile_inputs) {
  EXPECT_NE(rejection("").find("empty"), std::string::npos);
  EXPECT_NE(rejection("just-text").find("no scheme"), std::string::npos);
  EXPECT_NE(rejection("postgresql:/host/db").find("'//'"), std::string::npos);
  EXPECT_NE(rejection("://host").find("scheme"), std::string::npos);
  EXPECT_NE(rejection("1pg://host").find("scheme"), std::string::npos);
  EXPECT_NE(rejection("pg_sql://host").find("scheme"), std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3cr3t@host:70000/db").find("out of range"), std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3cr3t@host:0/db").find("out of range"), std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3cr3t@host:54x2/db").find("not a number"), std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3cr3t@host:/db").find("port"), std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3cr3t@[::1/db").find("unterminated '['"), std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3cr3t@[nothex]/db").find("IPv6"), std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3cr3t@h%zz/db").find("percent-escape"), std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3cr3t%@h/db").find("percent-escape"), std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3cr3t%00@h/db").find("NUL"), std::string::npos);
  EXPECT_NE(rejection("postgresql://h1,,h2/db").find("empty host"), std::string::npos);
  EXPECT_NE(rejection("postgresql://h1,/db").find("trailing"), std::string::npos);
  EXPECT_NE(rejection("sqlite://").find("no database"), std::string::npos);
  EXPECT_NE(rejection("sqlite:///a?=x").find("without a name"), std::string::npos);
  EXPECT_NE(rejection("redis+unix://host/sock").find("no host"), std::string::npos);
  EXPECT_NE(rejection("postgresql://h/db#frag").find("'#'"), std::string::npos);
}

TEST(url, control_characters_and_nul) {
  EXPECT_NE(rejection("postgresql://u:s3cr3t\n@h/db").find("control character"), std::string::npos);
  EXPECT_NE(rejection(std::string("postgresql://u:s3cr3t\0@h/db", 28)).find("control character"),
            std::string::npos);
  EXPECT_NE(rejection("postgresql://u:s3 cr3t@h/db", "s3 cr3t").find("space"), std::string::npos);
  EXPECT_NE(rejection("sqlite:///a\x7f" "b").find("control"), std::string::npos);
}

TEST(url, very_long_input) {
  std::string huge = "postgresql://u:s3cr3t@h/" + std::string(1 << 20, 'd');
  EXPECT_NE(rejection(huge).find("limit"), std::string::npos);
  // Long but within the limit parses fine and in linear time.
  std::string ok = "postgresql://h/" + std::string(60000, 'd');
  EXPECT_EQ(parse_url(ok).database.size(), 60000u);
}

TEST(url, password_never_in_malformed_url_errors) {
  // Without '@' the password reads as a port: the message must not echo it.
  rejection("postgresql://user:s3cr3t");
  rejection("postgresql://user:s3cr3t/db");
  rejection("postgresql://user:s3cr3t,h2/db");
  rejection("redis://:s3cr3t%G@h/0");
}

TEST(url, redacted) {
  auto u = parse_url("postgresql://app:s3cr3t@db:5432/shop?password=alsosecret&sslmode=require&sslpassword=x9");
  std::string r = u.redacted();
  EXPECT_EQ(r.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(r.find("alsosecret"), std::string::npos);
  EXPECT_EQ(r.find("x9"), std::string::npos);
  EXPECT_EQ(r, "postgresql://app:***@db:5432/shop?password=***&sslmode=require&sslpassword=***");
  EXPECT_EQ(parse_url("redis://:s3cr3t@h:6379/0").redacted(), "redis://:***@h:6379/0");
  EXPECT_EQ(parse_url("sqlite:///tmp/x.db?mode=ro").redacted(), "sqlite:///tmp/x.db?mode=ro");
  EXPECT_EQ(parse_url("sqlite://:memory:").redacted(), "sqlite://:memory:");
  EXPECT_EQ(parse_url("postgresql://[::1]:5/d").redacted(), "postgresql://[::1]:5/d");
  EXPECT_EQ(parse_url("mysql://root@h/db?pass=pw1").redacted(), "mysql://root@h/db?pass=***");
}

TEST(url, redact_url_on_any_text) {
  EXPECT_EQ(dbridge::redact_url("failed: postgresql://app:s3cr3t@db/shop (timeout)"),
            "failed: postgresql://app:***@db/shop (timeout)");
  EXPECT_EQ(dbridge::redact_url("mysql://u:p@ss@h/db"), "mysql://u:***@h/db");
  EXPECT_EQ(dbridge::redact_url("redis://h?password=s3cr3t&db=1"), "redis://h?password=***&db=1");
  EXPECT_EQ(dbridge::redact_url("host=h password=s3cr3t dbname=x"), "host=h password=*** dbname=x");
  EXPECT_EQ(dbridge::redact_url("postgresql://user:s3cr3t"), "postgresql://user:***");
  EXPECT_EQ(dbridge::redact_url("postgresql://h:5432/db"), "postgresql://h:5432/db");
  EXPECT_EQ(dbridge::redact_url("no url here"), "no url here");
  EXPECT_EQ(dbridge::redact_url(""), "");
  std::string weird = "x://\x01\xff:s3cr3t@" + std::string(100000, '@');
  EXPECT_EQ(dbridge::redact_url(weird).find("s3cr3t"), std::string::npos);
}

// ---------------------------------------------------------------- issue 10

TEST(redact, passwords_of_every_printable_byte) {
  const std::string rest = "@db.example:5432/shop?sslmode=require";
  const std::string expected = "postgresql://app:***" + rest;
  for (const auto& p : dbridge::test::printable_passwords()) {
    for (const std::string& written : {p.minimal, p.encoded}) {
      SCOPED_TRACE("byte '" + std::string(1, p.byte) + "' written as " + written);
      const std::string text = "postgresql://app:" + written + rest;
      const dbridge::url u = parse_url(text);
      ASSERT_EQ(u.password, p.plain);
      EXPECT_EQ(u.redacted(), expected);
      EXPECT_EQ(dbridge::redact_url(text), expected);
      // Inside a message, quoted or not: only the password goes.
      EXPECT_EQ(dbridge::redact_url("cannot connect to " + text + " (timeout)"),
                "cannot connect to " + expected + " (timeout)");
      EXPECT_EQ(dbridge::redact_url("url '" + text + "' refused"), "url '" + expected + "' refused");
      // The same password as a secret option.
      const std::string opt = "redis://h:6379/0?password=" + written + "&db=1";
      EXPECT_EQ(parse_url(opt).redacted(), "redis://h:6379/0?password=***&db=1");
      EXPECT_EQ(dbridge::redact_url(opt), "redis://h:6379/0?password=***&db=1");
      // And as a whole word of free text a plugin wrote.
      const std::string said = "auth failed (" + p.plain + ") for app";
      EXPECT_EQ(dbridge::redact_secrets(said, {p.plain}).find(p.plain), std::string::npos);
    }
  }
}

TEST(redact, angle_brackets_and_quotes_in_passwords) {
  EXPECT_EQ(dbridge::redact_url("postgresql://u:<Secret99@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(dbridge::redact_url("postgresql://u:ab>Secret99@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(dbridge::redact_url("see <postgresql://u:a\"b`c'd@h/db>"), "see <postgresql://u:***@h/db>");
  EXPECT_EQ(dbridge::redact_url("redis://h?password=<Secret99>&db=1"), "redis://h?password=***&db=1");
  EXPECT_EQ(dbridge::redact_url("host=h password='a b<c' dbname=x"), "host=h password=*** dbname=x");
}

TEST(redact, file_urls_are_paths_not_credentials) {
  EXPECT_EQ(dbridge::redact_url("sqlite://:memory:"), "sqlite://:memory:");
  EXPECT_EQ(dbridge::redact_url("opened sqlite://:memory: and sqlite3://:memory:"),
            "opened sqlite://:memory: and sqlite3://:memory:");
  EXPECT_EQ(dbridge::redact_url("sqlite:///tmp/a:b.db"), "sqlite:///tmp/a:b.db");
  EXPECT_EQ(dbridge::redact_url("sqlite://:memory:?password=Secret99"), "sqlite://:memory:?password=***");
  // Credentials written into a file URL anyway are still hidden.
  EXPECT_EQ(dbridge::redact_url("sqlite://u:S3cretPW@/tmp/x.db"), "sqlite://u:***@/tmp/x.db");
  EXPECT_EQ(dbridge::redact_url("opened sqlite://u:S3cretPW@/tmp/x.db."), "opened sqlite://u:***@/tmp/x.db.");
  EXPECT_EQ(dbridge::redact_url("sqlite:///tmp/u:p@q.db"), "sqlite:///tmp/u:p@q.db");
}

TEST(redact, secret_options_written_with_escapes) {
  // The parser decodes a query's escapes, so these are password options too.
  EXPECT_EQ(dbridge::redact_url("postgresql://u@h/x?password%3DS3cretPW"), "postgresql://u@h/x?password%3D***");
  EXPECT_EQ(dbridge::redact_url("postgresql://u@h/x?pass%77ord=S3cretPW&a=1"), "postgresql://u@h/x?pass%77ord=***&a=1");
  EXPECT_EQ(dbridge::redact_url("postgresql://u@h/x?application_name=a%3Db"), "postgresql://u@h/x?application_name=a%3Db");
  EXPECT_EQ(dbridge::redact_url("100%3D done"), "100%3D done");
}

TEST(redact, a_lone_redis_user_part_is_a_password) {
  // redis-cli reads redis://secret@host as the password "secret".
  EXPECT_EQ(dbridge::redact_url("redis://S3cretPW@127.0.0.1:6379/0"), "redis://***@127.0.0.1:6379/0");
  EXPECT_EQ(dbridge::redact_url("rediss://S3cretPW@h/0"), "rediss://***@h/0");
  EXPECT_EQ(parse_url("redis://S3cretPW@127.0.0.1:6379/0").redacted(), "redis://***@127.0.0.1:6379/0");
  EXPECT_EQ(parse_url("redis://app:S3cretPW@h:6379/0").redacted(), "redis://app:***@h:6379/0");
  // Other schemes' user names are not secrets.
  EXPECT_EQ(dbridge::redact_url("postgresql://app@h/db"), "postgresql://app@h/db");
  EXPECT_EQ(parse_url("mysql://root@h/db").redacted(), "mysql://root@h/db");
}

TEST(redact, short_passwords_never_mangle_words) {
  // mysql://u:p@... once printed "reading initial communication ***acket".
  const std::string msg = "Lost connection to server at 'reading initial communication packet' (p) p: p";
  EXPECT_EQ(dbridge::redact_secrets(msg, {"p"}),
            "Lost connection to server at 'reading initial communication packet' (***) ***: ***");
  EXPECT_EQ(dbridge::redact_secrets("mysql://u:p@h/db failed: passwordless", {"p"}), "mysql://u:***@h/db failed: passwordless");
  EXPECT_EQ(dbridge::redact_secrets("a1 a a_a", {"a"}), "a1 *** a_a");
  EXPECT_EQ(dbridge::redact_secrets("nothing", {""}), "nothing");
}

TEST(redact, one_list_of_secret_options) {
  for (const char* name : {"password", "PASSWORD", "sslpassword", "pass", "passwd", "pwd", "secret", "client_secret",
                           "token", "auth_token", "api_key", "apikey", "auth", "key", "Key"})
    EXPECT_TRUE(dbridge::is_secret_option(name)) << name;
  for (const char* name : {"sslmode", "db", "host", "user", "connect_timeout", "keys_limit", "author", ""})
    EXPECT_FALSE(dbridge::is_secret_option(name)) << name;
}
