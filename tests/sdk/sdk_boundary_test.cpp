// SPDX-License-Identifier: Apache-2.0
// Every slot of a driver built with the SDK is an exception firewall: the
// throwing fixture's slots must all return DBR_E_INTERNAL carrying what(),
// or (slots without an error record) log it, and the process lives on.
// Also: negotiation, the reference driver (memkv) through the raw ABI, and
// the SDK's text conversions.
#include <dbridge/sdk/convert.hpp>
#include <dbridge/sdk/driver.hpp>

#include "abi_harness.hpp"

namespace {

using harness::error;

void expect_boom(int32_t rc, const error& err, const char* slot) {
  EXPECT_EQ(rc, DBR_E_INTERNAL) << slot;
  EXPECT_EQ(err.e.category, static_cast<uint32_t>(DBR_CAT_INTERNAL)) << slot;
  EXPECT_NE(err.message().find(std::string("boom ") + slot), std::string::npos) << slot << ": " << err.message();
  EXPECT_NE(err.message().find("throwing-fixture"), std::string::npos) << err.message();
}

bool logged(const std::string& what) {
  std::lock_guard lock(harness::log_mu);
  for (const auto& l : harness::log_lines)
    if (l.find(what) != std::string::npos) return true;
  return false;
}

TEST(boundary, every_slot_turns_exceptions_into_internal_errors) {
  harness::plugin p(DBRIDGE_TEST_THROWING_PLUGIN, false);
  EXPECT_EQ(p.desc.capabilities, DBR_CAP_SQL | DBR_CAP_TRANSACTIONS | DBR_CAP_COMMAND | DBR_CAP_NOTIFY |
                                     DBR_CAP_BULK | DBR_CAP_BATCH | DBR_CAP_INTROSPECT | DBR_CAP_FUNCTIONS |
                                     DBR_CAP_CANCEL);
  const dbr_driver_vtable& vt = *p.vt;
  error err;
  dbr_plugin* inst = nullptr;
  expect_boom(vt.init(harness::host(), nullptr, 0, &inst, err), err, "init");
  EXPECT_EQ(inst, nullptr);
  err.clear();
  dbr_param ok = harness::text_param("ok", "1");
  ASSERT_EQ(vt.init(harness::host(), &ok, 1, &inst, err), DBR_OK);
  EXPECT_EQ(vt.get_extension(inst, "x"), nullptr);
  EXPECT_TRUE(logged("boom get_extension"));

  dbr_conn* c = nullptr;
  expect_boom(vt.conn->connect(inst, harness::url("no"), &c, err), err, "connect");
  err.clear();
  ASSERT_EQ(vt.conn->connect(inst, harness::url("ok"), &c, err), DBR_OK);

#define CHECK_SLOT(call, slot) \
  do {                         \
    err.clear();               \
    expect_boom(call, err, slot); \
  } while (0)
  dbr_value v{};
  CHECK_SLOT(vt.conn->ping(c, err), "ping");
  CHECK_SLOT(vt.conn->cancel(c, err), "cancel");
  CHECK_SLOT(vt.conn->set_option(c, "k", &v, err), "set_option");
  CHECK_SLOT(vt.conn->get_info(c, "k", &v, err), "get_info");

  dbr_stmt* st = nullptr;
  CHECK_SLOT(vt.sql->prepare(c, "x", 1, 0, &st, err), "prepare");
  err.clear();
  ASSERT_EQ(vt.sql->prepare(c, "ok", 2, 0, &st, err), DBR_OK);
  EXPECT_EQ(vt.sql->param_count(st), 0u);
  EXPECT_TRUE(logged("boom param_count"));
  EXPECT_EQ(vt.sql->param_index(st, "a"), 0u);
  EXPECT_TRUE(logged("boom param_index"));
  dbr_cursor* cur = nullptr;
  CHECK_SLOT(vt.sql->execute(st, nullptr, 0, nullptr, &cur, err), "execute");
  vt.sql->finalize(st);
  CHECK_SLOT(vt.sql->execute_script(c, "x", 1, err), "execute_script");

  CHECK_SLOT(vt.txn->begin(c, nullptr, err), "begin");
  CHECK_SLOT(vt.txn->commit(c, err), "commit");
  CHECK_SLOT(vt.txn->rollback(c, err), "rollback");
  CHECK_SLOT(vt.txn->savepoint(c, "s", err), "savepoint");
  CHECK_SLOT(vt.txn->release_savepoint(c, "s", err), "release_savepoint");
  CHECK_SLOT(vt.txn->rollback_to_savepoint(c, "s", err), "rollback_to_savepoint");
  EXPECT_EQ(vt.txn->in_transaction(c), DBR_E_INTERNAL);
  EXPECT_TRUE(logged("boom in_transaction"));

  const char* argv[] = {"PING"};
  uint64_t lens[] = {4};
  const dbr_reply* reply = nullptr;
  CHECK_SLOT(vt.command->execute(c, 1, argv, lens, &reply, err), "command");

  dbr_notification n{};
  n.struct_size = sizeof n;
  CHECK_SLOT(vt.notify->listen(c, "ch", 2, 0, err), "listen");
  CHECK_SLOT(vt.notify->unlisten(c, "ch", 2, 0, err), "unlisten");
  CHECK_SLOT(vt.notify->notify(c, "ch", 2, "p", 1, err), "notify");
  CHECK_SLOT(vt.notify->wait(c, 0, &n, err), "wait");

  dbr_bulk* b = nullptr;
  CHECK_SLOT(vt.bulk->copy_in_begin(c, "t", nullptr, 0, nullptr, 0, &b, err), "copy_in_begin");
  err.clear();
  ASSERT_EQ(vt.bulk->copy_in_begin(c, "ok", nullptr, 0, nullptr, 0, &b, err), DBR_OK);
  CHECK_SLOT(vt.bulk->copy_in_rows(b, nullptr, 0, err), "copy_in_rows");
  int64_t stored = -1;
  CHECK_SLOT(vt.bulk->copy_in_end(b, &stored, err), "copy_in_end");  // frees b anyway
  err.clear();
  ASSERT_EQ(vt.bulk->copy_in_begin(c, "ok", nullptr, 0, nullptr, 0, &b, err), DBR_OK);
  vt.bulk->copy_in_abort(b);
  CHECK_SLOT(vt.bulk->copy_out_begin(c, "x", 1, &b, err), "copy_out_begin");
  err.clear();
  ASSERT_EQ(vt.bulk->copy_out_begin(c, "ok", 2, &b, err), DBR_OK);
  const char* data = nullptr;
  uint64_t len = 0;
  CHECK_SLOT(vt.bulk->copy_out_next(b, &data, &len, err), "copy_out_next");
  vt.bulk->copy_out_end(b);

  dbr_batch_item item{};
  item.struct_size = sizeof item;
  error item_err;
  CHECK_SLOT(vt.batch->begin(c, err), "batch_begin");
  CHECK_SLOT(vt.batch->add_sql(c, "x", 1, nullptr, 0, err), "add_sql");
  CHECK_SLOT(vt.batch->add_command(c, 1, argv, lens, err), "add_command");
  CHECK_SLOT(vt.batch->send(c, err), "send");
  CHECK_SLOT(vt.batch->next(c, &item, item_err, err), "next");
  CHECK_SLOT(vt.batch->end(c, err), "end");

  CHECK_SLOT(vt.introspect->list(c, DBR_META_TABLES, nullptr, nullptr, &cur, err), "list");
  err.clear();
  ASSERT_EQ(vt.introspect->list(c, DBR_META_TABLES, nullptr, "ok", &cur, err), DBR_OK);
  uint32_t ncols = 0;
  const dbr_column* cols = nullptr;
  dbr_rows rows{};
  rows.struct_size = sizeof rows;
  CHECK_SLOT(vt.cursor->describe(cur, &ncols, &cols, err), "describe");
  CHECK_SLOT(vt.cursor->fetch(cur, 1, &rows, err), "fetch");
  CHECK_SLOT(vt.cursor->next_result(cur, err), "next_result");
  vt.cursor->close(cur);
  EXPECT_TRUE(logged("boom cursor_close"));

  static int destroyed = 0;
  auto destroy = [](void*) { ++destroyed; };
  auto fn = [](void*, uint32_t, const dbr_value*, dbr_value*, dbr_error*) -> int32_t { return DBR_OK; };
  CHECK_SLOT(vt.functions->create_scalar(c, "f", 1, 0, fn, nullptr, destroy, err), "create_scalar");
  EXPECT_EQ(destroyed, 1);  // destroy runs exactly once even though registration threw
#undef CHECK_SLOT

  vt.conn->close(c);
  vt.shutdown(inst);
  SUCCEED() << "the process is still alive";
}

// The SDK's entry logic, for plugins whose minor range differs from 1.0.
struct fake_driver_info {
  static constexpr dbridge::sdk::plugin_info info{.id = "x", .version = "1", .max_minor = 5, .min_minor = 3};
};

TEST(boundary, minor_negotiation) {
  using dbridge::sdk::detail::fill_entry;
  const auto& info = fake_driver_info::info;
  static const int vt = 0;
  dbr_plugin_desc d{};
  d.struct_size = sizeof d;
  dbr_host h = harness::make_host(1, 2);
  EXPECT_EQ(fill_entry(info, DBR_KIND_DRIVER, 0, &vt, &h, 0, &d), DBR_E_INCOMPATIBLE);  // core older than min
  EXPECT_EQ(d.abi_minor, 3);
  EXPECT_STREQ(d.id, "x");  // still describes itself for the error message
  h = harness::make_host(1, 4);
  EXPECT_EQ(fill_entry(info, DBR_KIND_DRIVER, 0, &vt, &h, 0, &d), DBR_OK);
  EXPECT_EQ(d.abi_minor, 4);
  h = harness::make_host(1, 9);
  EXPECT_EQ(fill_entry(info, DBR_KIND_DRIVER, 0, &vt, &h, 0, &d), DBR_OK);
  EXPECT_EQ(d.abi_minor, 5);
  EXPECT_EQ(fill_entry(info, DBR_KIND_DRIVER, 0, &vt, &h, 1, &d), DBR_DONE);
  EXPECT_EQ(fill_entry(info, DBR_KIND_DRIVER, 0, &vt, &h, 0, nullptr), DBR_E_INVALID_ARGUMENT);
}

TEST(convert, iso_text_round_trips) {
  namespace sdk = dbridge::sdk;
  int64_t v = 0;
  char buf[64];
  ASSERT_TRUE(sdk::parse_date("1970-01-01", v));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(sdk::parse_date("1969-12-31", v));
  EXPECT_EQ(v, -1);
  EXPECT_FALSE(sdk::parse_date("2023-02-29", v));
  EXPECT_FALSE(sdk::parse_date("2024-2-01", v));
  ASSERT_TRUE(sdk::parse_timestamp("2024-02-29T23:59:59.999999Z", v));
  EXPECT_EQ(std::string(buf, sdk::format_timestamp(v, buf, 'T')), "2024-02-29T23:59:59.999999");
  ASSERT_TRUE(sdk::parse_timestamp("1900-03-01 00:00", v));
  EXPECT_EQ(std::string(buf, sdk::format_timestamp(v, buf)), "1900-03-01 00:00:00");
  EXPECT_FALSE(sdk::parse_timestamp("2024-01-01 25:00", v));
  EXPECT_FALSE(sdk::parse_timestamp("2024-01-01 10:00+02:00", v));
  ASSERT_TRUE(sdk::parse_time("12:34:56.5", v));
  EXPECT_EQ(v, ((12 * 60 + 34) * 60 + 56) * 1000000LL + 500000);
  EXPECT_EQ(std::string(buf, sdk::format_time(-90 * 60 * 1000000LL, buf)), "-01:30:00");
  EXPECT_EQ(std::string(buf, sdk::format_offset(-(5 * 3600 + 30 * 60), buf)), "-05:30");
  EXPECT_EQ(std::string(buf, sdk::format_date(sdk::days_from_civil(10000, 1, 1), buf)), "+10000-01-01");
}

// ------------------------------------------------------- reference driver
struct memkv {
  harness::plugin& p;
  dbr_conn* c = nullptr;
  error err;
  explicit memkv(harness::plugin& plugin, const char* name) : p(plugin) {
    harness::url u("", {}, "memkv");
    u.u.host = name;
    if (p.vt->conn->connect(p.instance, u, &c, err) != DBR_OK) throw std::runtime_error(err.message());
  }
  ~memkv() { p.vt->conn->close(c); }
  const dbr_reply* cmd(std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<uint64_t> lens;
    for (auto& a : args) argv.push_back(a.data()), lens.push_back(a.size());
    const dbr_reply* r = nullptr;
    err.clear();
    EXPECT_EQ(p.vt->command->execute(c, static_cast<uint32_t>(args.size()), argv.data(), lens.data(), &r, err), DBR_OK)
        << err.message();
    return r;
  }
};

harness::plugin& reference_plugin() {
  static harness::plugin p(DBRIDGE_TEST_REFERENCE_PLUGIN);
  return p;
}

TEST(reference, descriptor) {
  auto& p = reference_plugin();
  EXPECT_STREQ(p.desc.id, "reference");
  EXPECT_STREQ(p.desc.schemes[0], "memkv");
  EXPECT_EQ(p.desc.capabilities, DBR_CAP_COMMAND | DBR_CAP_TRANSACTIONS | DBR_CAP_INTROSPECT);
  EXPECT_EQ(p.vt->sql, nullptr);
  EXPECT_EQ(p.vt->conn->cancel, nullptr);
}

TEST(reference, commands_are_binary_safe_and_shared_per_name) {
  auto& p = reference_plugin();
  memkv a(p, "ref_shared"), b(p, "ref_shared"), other(p, "ref_other");
  const std::string key("k\0ey", 4), val("v\0\xffz", 4);
  EXPECT_EQ(a.cmd({"SET", key, val})->type, static_cast<uint32_t>(DBR_REPLY_STATUS));
  const dbr_reply* r = b.cmd({"get", key});
  ASSERT_EQ(r->type, static_cast<uint32_t>(DBR_REPLY_STRING));
  EXPECT_EQ(std::string(r->str, r->len), val);
  EXPECT_EQ(other.cmd({"GET", key})->type, static_cast<uint32_t>(DBR_REPLY_NIL));
  EXPECT_EQ(a.cmd({"INCR", "n"})->integer, 1);
  EXPECT_EQ(b.cmd({"INCR", "n"})->integer, 2);
  EXPECT_EQ(a.cmd({"INCR", key})->type, static_cast<uint32_t>(DBR_REPLY_ERROR));
  EXPECT_EQ(a.cmd({"EXISTS", "n", key, "zz"})->integer, 2);
  r = a.cmd({"KEYS", "*"});
  ASSERT_EQ(r->type, static_cast<uint32_t>(DBR_REPLY_ARRAY));
  ASSERT_EQ(r->elements, 2u);
  EXPECT_EQ(std::string(r->element[0]->str, r->element[0]->len), key);
  EXPECT_EQ(a.cmd({"KEYS", "[m-o]"})->elements, 1u);
  EXPECT_EQ(a.cmd({"DEL", "n", "zz"})->integer, 1);
  EXPECT_EQ(std::string(a.cmd({"PING"})->str), "PONG");
  EXPECT_EQ(a.cmd({"GET"})->type, static_cast<uint32_t>(DBR_REPLY_ERROR));
  EXPECT_EQ(a.cmd({"NOPE"})->type, static_cast<uint32_t>(DBR_REPLY_ERROR));
  const dbr_reply* none = nullptr;
  EXPECT_EQ(p.vt->command->execute(a.c, 0, nullptr, nullptr, &none, a.err), DBR_E_INVALID_ARGUMENT);
  a.cmd({"FLUSHDB"});
  other.cmd({"FLUSHDB"});
}

TEST(reference, transactions_buffer_writes) {
  auto& p = reference_plugin();
  memkv a(p, "ref_txn"), b(p, "ref_txn");
  auto* t = p.vt->txn;
  ASSERT_EQ(t->begin(a.c, nullptr, a.err), DBR_OK);
  EXPECT_EQ(t->in_transaction(a.c), 1);
  a.cmd({"SET", "x", "1"});
  EXPECT_EQ(std::string(a.cmd({"GET", "x"})->str), "1");              // reads its own writes
  EXPECT_EQ(b.cmd({"GET", "x"})->type, static_cast<uint32_t>(DBR_REPLY_NIL));  // others do not
  ASSERT_EQ(t->savepoint(a.c, "s1", a.err), DBR_OK);
  a.cmd({"SET", "x", "2"});
  ASSERT_EQ(t->rollback_to_savepoint(a.c, "s1", a.err), DBR_OK);
  EXPECT_EQ(std::string(a.cmd({"GET", "x"})->str), "1");
  ASSERT_EQ(t->release_savepoint(a.c, "s1", a.err), DBR_OK);
  EXPECT_EQ(t->rollback_to_savepoint(a.c, "s1", a.err), DBR_E_INVALID_STATE);
  ASSERT_EQ(t->commit(a.c, a.err), DBR_OK);
  EXPECT_EQ(std::string(b.cmd({"GET", "x"})->str), "1");
  ASSERT_EQ(t->begin(a.c, nullptr, a.err), DBR_OK);
  a.cmd({"DEL", "x"});
  ASSERT_EQ(t->rollback(a.c, a.err), DBR_OK);
  EXPECT_EQ(std::string(b.cmd({"GET", "x"})->str), "1");
  EXPECT_EQ(t->commit(a.c, a.err), DBR_E_INVALID_STATE);

  dbr_cursor* cur = nullptr;
  ASSERT_EQ(p.vt->introspect->list(a.c, DBR_META_KEYSPACE, "ref_txn", nullptr, &cur, a.err), DBR_OK);
  dbr_rows rows{};
  rows.struct_size = sizeof rows;
  ASSERT_EQ(p.vt->cursor->fetch(cur, 10, &rows, a.err), DBR_OK);
  ASSERT_EQ(rows.nrows, 1u);
  EXPECT_EQ(harness::text_of(rows.cells[0]), "ref_txn");
  EXPECT_EQ(rows.cells[1].u.i64, 1);
  EXPECT_EQ(p.vt->cursor->fetch(cur, 10, &rows, a.err), DBR_DONE);
  p.vt->cursor->close(cur);
  EXPECT_EQ(p.vt->introspect->list(a.c, DBR_META_TABLES, nullptr, nullptr, &cur, a.err), DBR_E_UNSUPPORTED);
  a.cmd({"FLUSHDB"});
}

}  // namespace
