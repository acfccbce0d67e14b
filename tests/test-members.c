/* The member card lifecycle, with every refusal. */
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-lockout.h"
#include "mdn-members.h"
#include "mdn-qr.h"
#include "mdn-staff.h"
#include "mdn-test-util.h"
#include "mdn-sync.h"

#define NOW "2026-11-22T10:00:00+08:00"

static JsonObject *
show (MdnOpCtx   *ctx,
      const char *card)
{
  return mdn_test_ok (ctx, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
}

static char *
issue (MdnOpCtx   *ctx,
       const char *name,
       const char *phone,
       const char *extra)
{
  g_autoptr(JsonObject) r = mdn_test_ok (ctx, "{\"op\":\"member.issue\",\"name\":\"%s\",\"phone\":\"%s\"%s}",
                                         name, phone, extra ? extra : "");
  return g_strdup (mdn_test_str (r, "card_no"));
}

static void
test_issue (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 7);
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) s = NULL;
  g_autoptr(JsonObject) s2 = NULL;
  g_autofree char *second = NULL;

  mdn_test_set_now (NOW);
  r = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\" 王五 \",\"phone\":\"13912345678\","
                             "\"birthday\":\"1990-05-01\",\"birthday_lunar\":\"L04-15\",\"expires_on\":\"2027-12-31\"}");
  g_assert_cmpstr (mdn_test_str (r, "card_no"), ==, "00700000011");
  g_assert_true (mdn_card_no_valid (mdn_test_str (r, "card_no")));
  g_assert_true (g_str_has_prefix (mdn_test_str (r, "qr"), "MDN1.00700000011."));
  g_assert_true (g_uuid_string_is_valid (mdn_test_str (r, "member_id")));

  s = show (b->admin, "00700000011");
  g_assert_cmpstr (mdn_test_str (s, "name"), ==, "王五");
  g_assert_cmpstr (mdn_test_str (s, "phone"), ==, "13912345678");
  g_assert_cmpstr (mdn_test_str (s, "level"), ==, "normal");
  g_assert_cmpstr (mdn_test_str (s, "status"), ==, "active");
  g_assert_cmpstr (mdn_test_str (s, "expires_on"), ==, "2027-12-31");
  g_assert_cmpstr (mdn_test_str (s, "birthday"), ==, "1990-05-01");
  g_assert_cmpstr (mdn_test_str (s, "birthday_lunar"), ==, "L04-15");
  g_assert_cmpint (mdn_test_int (s, "balance_fen"), ==, 0);
  g_assert_cmpint (mdn_test_int (s, "points"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (s, "packages")), ==, 0);

  /* Same lookup by phone and by QR. */
  s2 = show (b->admin, mdn_test_str (r, "qr"));
  g_assert_cmpstr (mdn_test_str (s2, "member_id"), ==, mdn_test_str (r, "member_id"));
  g_clear_pointer (&s2, json_object_unref);
  s2 = show (b->admin, "13912345678");
  g_assert_cmpstr (mdn_test_str (s2, "member_id"), ==, mdn_test_str (r, "member_id"));

  second = issue (b->admin, "赵六", "13912345679", NULL);
  g_assert_cmpstr (second, ==, "00700000029");
  mdn_test_set_now (NULL);
}

static void
test_issue_refusals (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);

  mdn_test_set_now (NOW);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"phone\":\"13800000001\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"  \",\"phone\":\"13800000001\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"abc\"}");
  mdn_test_fails (b->admin, "unknown_level", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\",\"level\":\"gold\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\",\"birthday\":\"1990-02-30\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\",\"birthday_lunar\":\"13-01\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\",\"pin\":\"12\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\",\"deposit_fen\":-5}");
  mdn_test_fails (b->admin, "malformed_money", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\",\"deposit\":\"12.345\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\",\"deposit_fen\":100,\"tender\":\"gold\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\",\"expires_on\":\"2020-01-01\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":12,\"phone\":\"13800000001\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\"");
  mdn_test_fails (b->admin, "unknown_op", "{\"op\":\"member.teleport\"}");
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM members"), ==, 0);
  mdn_test_set_now (NULL);
}

static void
test_deposit_bonus_rules (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autofree char *card = NULL;
  static const struct { gint64 amount, bonus; } cases[] = {
    { 9999, 0 }, { 10000, 1000 }, { 29999, 1000 }, { 30000, 5000 }, { 100000, 20000 }, { 250000, 20000 },
  };
  gint64 principal = 0, bonus = 0;

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1000}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"deposit_rule.upsert\",\"min\":\"300\",\"bonus\":\"50\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":100000,\"bonus_fen\":20000}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":50000,\"bonus_fen\":7000}"));
  /* bonus 0 removes a rule */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":50000,\"bonus_fen\":0}"));

  card = issue (b->admin, "张三", "13800000001", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) p = mdn_test_ok (b->admin, "{\"op\":\"deposit.preview\",\"amount_fen\":%" G_GINT64_FORMAT "}", cases[i].amount);
      g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT ",\"tender\":\"wechat\"}",
                                             card, cases[i].amount);

      principal += cases[i].amount;
      bonus += cases[i].bonus;
      g_assert_cmpint (mdn_test_int (p, "bonus_fen"), ==, cases[i].bonus);
      g_assert_cmpint (mdn_test_int (r, "bonus_fen"), ==, cases[i].bonus);
      g_assert_cmpint (mdn_test_int (r, "balance_fen"), ==, principal + bonus);
    }
  {
    g_autoptr(JsonObject) s = show (b->admin, card);

    g_assert_cmpint (mdn_test_int (s, "principal_fen"), ==, 9999 + 10000 + 29999 + 30000 + 100000 + 250000);
    g_assert_cmpint (mdn_test_int (s, "bonus_fen"), ==, 0 + 1000 + 1000 + 5000 + 20000 + 20000);
  }

  /* The opening deposit follows the same rules. */
  {
    g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"李四\",\"phone\":\"13800000002\",\"deposit\":\"1,000.00\"}");

    g_assert_cmpint (mdn_test_int (r, "bonus_fen"), ==, 20000);
    g_assert_cmpint (mdn_test_int (r, "balance_fen"), ==, 120000);
  }
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":0}", card);
  mdn_test_fails (b->admin, "malformed_money", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"1.2.3\"}", card);
  mdn_test_fails (b->admin, "money_overflow", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"99999999999999999\"}", card);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":\"100\"}", card);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":100,\"tender\":\"balance\"}", card);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static void
test_withdraw (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autoptr(MdnOpCtx) manager = mdn_test_staff (b, "m1", "manager");
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) s = NULL;
  g_autofree char *card = NULL;

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":2000}"));
  card = issue (cashier, "张三", "13800000001", ",\"deposit_fen\":10000");

  /* A cashier may not withdraw; nothing changes. */
  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100}", card);
  /* Only principal: 100.00 of the 120.00 balance. */
  mdn_test_fails (manager, "insufficient_principal", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":10001}", card);
  r = mdn_test_ok (manager, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount\":\"60.50\"}", card);
  g_assert_cmpint (mdn_test_int (r, "principal_fen"), ==, 3950);
  g_assert_cmpint (mdn_test_int (r, "balance_fen"), ==, 5950);
  s = show (manager, card);
  g_assert_cmpint (mdn_test_int (s, "principal_fen"), ==, 3950);
  g_assert_cmpint (mdn_test_int (s, "bonus_fen"), ==, 2000);
  mdn_test_fails (manager, "insufficient_principal", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":3951}", card);
  json_object_unref (mdn_test_ok (manager, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":3950}", card));
  mdn_test_fails (manager, "insufficient_principal", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":1}", card);
  /* The refusal was logged. */
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM oplog WHERE staff = 'c1' AND op = 'member.withdraw' AND ok = 0"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static void
test_pin (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autoptr(JsonObject) s = NULL;
  g_autofree char *card = issue (b->admin, "张三", "13800000001", ",\"deposit_fen\":10000,\"pin\":\"123456\"");

  mdn_test_fails (b->admin, "pin_required", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100}", card);
  mdn_test_fails (b->admin, "wrong_pin", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100,\"pin\":\"654321\"}", card);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100,\"pin\":\"123456\"}", card));

  /* A cashier changes the PIN only with the old one. */
  mdn_test_fails (cashier, "pin_required", "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"111100\"}", card);
  mdn_test_fails (cashier, "wrong_pin", "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"111100\",\"old_pin\":\"000000\"}", card);
  mdn_test_fails (cashier, "invalid_argument", "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"11a100\",\"old_pin\":\"123456\"}", card);
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"111100\",\"old_pin\":\"123456\"}", card));
  mdn_test_fails (b->admin, "wrong_pin", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100,\"pin\":\"123456\"}", card);
  /* A manager (here admin) clears it. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"\"}", card));
  s = show (b->admin, card);
  g_assert_false (json_object_get_boolean_member (s, "has_pin"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100}", card));
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* A new PIN has the digits the chain's setting member.pin_length asks (6
 * unless head office says 4); PINs set before a change keep working. */
static void
test_pin_digits (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new_full ("HQ", 0, TRUE);
  g_autofree char *card = issue (b->admin, "张三", "13800000001", ",\"pin\":\"123456\"");
  g_autofree char *card4 = NULL;

  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"x\",\"phone\":\"13800000003\",\"pin\":\"1234\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"x\",\"phone\":\"13800000003\",\"pin\":\"12345\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"x\",\"phone\":\"13800000003\",\"pin\":\"1234567\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.issue\",\"name\":\"x\",\"phone\":\"13800000003\",\"pin\":\"123\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"12345\"}", card);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"member.pin_length\",\"value\":\"4\"}"));
  card4 = issue (b->admin, "李四", "13800000002", ",\"pin\":\"1234\"");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"654321\"}", card4);
  /* The 6-digit PIN of before still pays. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":1000}", card));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100,\"pin\":\"123456\"}", card));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"4321\"}", card4));
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* member.pin_lockout_attempts: 3 wrong PINs lock the card when head
 * office says 3. */
static void
test_pin_lockout_setting (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new_full ("HQ", 0, TRUE);
  g_autofree char *card = issue (b->admin, "张三", "13800000001", ",\"deposit_fen\":10000,\"pin\":\"123456\"");

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"member.pin_lockout_attempts\",\"value\":3}"));
  mdn_test_fails (b->admin, "wrong_pin", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100,\"pin\":\"000000\"}", card);
  mdn_test_fails (b->admin, "wrong_pin", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100,\"pin\":\"000000\"}", card);
  mdn_test_fails (b->admin, "pin_locked", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100,\"pin\":\"000000\"}", card);
  mdn_test_fails (b->admin, "pin_locked", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100,\"pin\":\"123456\"}", card);
}

/* 5 wrong PINs in a row lock paying from the card's balance for 15
 * minutes, also with the right PIN; the clock (MENDIAN_NOW) moves the
 * window; a right PIN before that starts the count again. */
static void
test_pin_lockout (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autofree char *card = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;
#define sale "{\"op\":\"sale.quick\",\"card\":\"%s\",\"pin\":\"%s\",\"amount_fen\":100," \
             "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":100}]}"

  mdn_test_set_now (NOW);
  card = issue (b->admin, "张三", "13800000001", ",\"deposit_fen\":10000,\"pin\":\"123456\"");

  /* 4 wrong, a right one: the count starts again. */
  for (int i = 0; i < 4; i++)
    mdn_test_fails (cashier, "wrong_pin", sale, card, "000000");
  r = mdn_test_ok (cashier, sale, card, "123456");
  g_clear_pointer (&r, json_object_unref);
  for (int i = 0; i < 4; i++)
    mdn_test_fails (cashier, "wrong_pin", sale, card, "000000");
  /* The 5th in a row locks, the right PIN no longer helps, and the
     withdrawal (which needs the PIN too) is locked as well. */
  mdn_test_fails (cashier, "pin_locked", sale, card, "000000");
  mdn_test_fails (cashier, "pin_locked", sale, card, "123456");
  mdn_test_fails (b->admin, "pin_locked", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100,\"pin\":\"123456\"}", card);
  g_assert_cmpint (mdn_test_count (b, "SELECT locked_until FROM lockouts WHERE what = 'pin'"), ==,
                   mdn_test_count (b, "SELECT unixepoch ('2026-11-22T02:00:00Z')") + MDN_LOCKOUT_SECONDS);
  /* The card is otherwise usable: deposits, cash sales. */
  r = mdn_test_ok (cashier, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":500}", card);
  g_clear_pointer (&r, json_object_unref);

  mdn_test_set_now ("2026-11-22T10:14:59+08:00");
  mdn_test_fails (cashier, "pin_locked", sale, card, "123456");
  mdn_test_set_now ("2026-11-22T10:15:00+08:00");
  r = mdn_test_ok (cashier, sale, card, "123456");
  g_clear_pointer (&r, json_object_unref);
  /* After the lock ran out, the count starts from zero. */
  for (int i = 0; i < 4; i++)
    mdn_test_fails (cashier, "wrong_pin", sale, card, "000000");
  r = mdn_test_ok (cashier, sale, card, "123456");
  g_assert_cmpint (mdn_test_count (b, "SELECT failures FROM lockouts WHERE what = 'pin'"), ==, 0);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM entries WHERE kind = 'sale.quick'"), ==, 3);
  mdn_test_set_now (NULL);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
#undef sale
}

static void
test_lost_and_unlock (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autoptr(JsonObject) s = NULL;
  g_autofree char *card = issue (cashier, "张三", "13800000001", ",\"deposit_fen\":5000");

  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"member.lose\",\"card\":\"%s\"}", card));
  s = show (cashier, card);
  g_assert_cmpstr (mdn_test_str (s, "status"), ==, "lost");
  g_assert_cmpint (mdn_test_int (s, "balance_fen"), ==, 5000);

  /* A lost card can do nothing but be unlocked or replaced. */
  mdn_test_fails (cashier, "card_lost", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":100}", card);
  mdn_test_fails (b->admin, "card_lost", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100}", card);
  mdn_test_fails (b->admin, "card_lost", "{\"op\":\"member.extend\",\"card\":\"%s\",\"expires_on\":\"2030-01-01\"}", card);
  mdn_test_fails (b->admin, "card_lost", "{\"op\":\"member.upgrade\",\"card\":\"%s\",\"level\":\"normal\"}", card);
  mdn_test_fails (cashier, "card_lost", "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"123400\"}", card);
  mdn_test_fails (cashier, "card_lost", "{\"op\":\"member.lose\",\"card\":\"%s\"}", card);
  mdn_test_fails (cashier, "card_lost", "{\"op\":\"member.qr\",\"card\":\"%s\"}", card);
  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"member.unlock\",\"card\":\"%s\"}", card);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.unlock\",\"card\":\"%s\"}", card));
  mdn_test_fails (b->admin, "card_not_lost", "{\"op\":\"member.unlock\",\"card\":\"%s\"}", card);
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":100}", card));
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static void
test_replace (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) s = NULL;
  g_autoptr(JsonObject) old = NULL;
  g_autoptr(JsonObject) q = NULL;
  g_autofree char *card = issue (b->admin, "张三", "13800000001", ",\"deposit_fen\":8800");
  g_autofree char *old_qr = NULL;

  q = mdn_test_ok (b->admin, "{\"op\":\"member.qr\",\"card\":\"%s\"}", card);
  old_qr = g_strdup (mdn_test_str (q, "qr"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", card));
  r = mdn_test_ok (b->admin, "{\"op\":\"member.replace\",\"card\":\"%s\"}", card);
  g_assert_cmpstr (mdn_test_str (r, "card_no"), ==, "00100000025");
  g_assert_cmpstr (mdn_test_str (r, "old_card_no"), ==, card);

  s = show (b->admin, "00100000025");
  g_assert_cmpstr (mdn_test_str (s, "status"), ==, "active");
  g_assert_cmpint (mdn_test_int (s, "balance_fen"), ==, 8800);
  g_assert_cmpstr (mdn_test_str (s, "name"), ==, "张三");

  /* The old number and its QR code are refused from now on. */
  old = show (b->admin, card);
  g_assert_cmpstr (mdn_test_str (old, "status"), ==, "replaced");
  g_assert_cmpstr (mdn_test_str (old, "replaced_by"), ==, "00100000025");
  mdn_test_fails (b->admin, "card_replaced", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":100}", card);
  mdn_test_fails (b->admin, "card_replaced", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":100}", old_qr);
  mdn_test_fails (b->admin, "card_replaced", "{\"op\":\"member.replace\",\"card\":\"%s\"}", card);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000001\",\"amount_fen\":100}"));
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static void
test_extend_and_expiry (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(JsonObject) s = NULL;
  g_autofree char *card = NULL;

  mdn_test_set_now ("2026-06-01T12:00:00+08:00");
  card = issue (b->admin, "张三", "13800000001", ",\"expires_on\":\"2026-06-30\"");
  mdn_test_set_now ("2026-07-01T09:00:00+08:00");
  s = show (b->admin, card);
  g_assert_cmpstr (mdn_test_str (s, "status"), ==, "expired");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.extend\",\"card\":\"%s\",\"expires_on\":\"2026-06-30\"}", card);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.extend\",\"card\":\"%s\",\"expires_on\":\"2026/12/31\"}", card);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.extend\",\"card\":\"%s\",\"expires_on\":\"2027-06-30\"}", card));
  g_clear_pointer (&s, json_object_unref);
  s = show (b->admin, card);
  g_assert_cmpstr (mdn_test_str (s, "status"), ==, "active");
  g_assert_cmpstr (mdn_test_str (s, "expires_on"), ==, "2027-06-30");
  mdn_test_set_now (NULL);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static void
test_upgrade (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autoptr(JsonObject) s = NULL;
  g_autoptr(JsonObject) levels = NULL;
  g_autofree char *card = issue (b->admin, "张三", "13800000001", NULL);

  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\",\"price_percent\":85,\"points_per_yuan\":2}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\",\"price_percent\":0,\"points_per_yuan\":2}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\",\"price_percent\":101,\"points_per_yuan\":2}");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\",\"price_percent\":85,\"points_per_yuan\":2,\"offline_limit_fen\":20000}"));
  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"member.upgrade\",\"card\":\"%s\",\"level\":\"gold\"}", card);
  mdn_test_fails (b->admin, "unknown_level", "{\"op\":\"member.upgrade\",\"card\":\"%s\",\"level\":\"diamond\"}", card);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.upgrade\",\"card\":\"%s\",\"level\":\"gold\"}", card));
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.upgrade\",\"card\":\"%s\",\"level\":\"gold\"}", card);
  s = show (cashier, card);
  g_assert_cmpstr (mdn_test_str (s, "level"), ==, "gold");
  g_assert_cmpint (mdn_test_int (s, "price_percent"), ==, 85);
  levels = mdn_test_ok (cashier, "{\"op\":\"level.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (levels, "levels")), ==, 2);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static void
test_lookup_refusals (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnTestBranch) other = mdn_test_branch_new ("B02", 2);
  g_autofree char *card = issue (b->admin, "张三", "13800000001", NULL);
  g_autofree char *forged = NULL;

  g_free (issue (b->admin, "张三妻", "13800000009", NULL));
  g_free (issue (b->admin, "张三子", "13800000009", NULL));

  g_autofree char *unused = mdn_card_no_make (1, 99999);

  mdn_test_fails (b->admin, "unknown_card", "{\"op\":\"member.show\",\"card\":\"%s\"}", unused);
  mdn_test_fails (b->admin, "invalid_card_number", "{\"op\":\"member.show\",\"card\":\"00100000018\"}");
  mdn_test_fails (b->admin, "unknown_card", "{\"op\":\"member.show\",\"card\":\"13999999999\"}");
  mdn_test_fails (b->admin, "ambiguous_card", "{\"op\":\"member.show\",\"card\":\"13800000009\"}");
  mdn_test_fails (b->admin, "forged_qr", "{\"op\":\"member.show\",\"card\":\"MDN1.%s.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", card);
  mdn_test_fails (b->admin, "forged_qr", "{\"op\":\"member.deposit\",\"card\":\"MDN1.garbage\",\"amount_fen\":100}");

  /* A payload signed with another chain's key is forged here. */
  g_assert_true (mdn_store_set_chain_key (other->store,
                 "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", NULL));
  forged = mdn_qr_payload (other->store, card);
  mdn_test_fails (b->admin, "forged_qr", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":100}", forged);
}

/* A phone number is found whether or not its last digit happens to be a
 * card number's check digit (a lookup asks cards only for a number that
 * could be one): 13800000005 could be a card number, 13900000005 not. */
static void
test_lookup_phone_check_digit (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autofree char *luhn = issue (b->admin, "甲", "13800000005", NULL);
  g_autofree char *other = issue (b->admin, "乙", "13900000005", NULL);
  g_autoptr(JsonObject) s1 = NULL;
  g_autoptr(JsonObject) s2 = NULL;
  g_autoptr(JsonObject) s3 = NULL;

  g_assert_true (mdn_card_no_valid ("13800000005"));
  g_assert_false (mdn_card_no_valid ("13900000005"));
  s1 = show (b->admin, "13800000005");
  g_assert_cmpstr (mdn_test_str (s1, "card_no"), ==, luhn);
  s2 = show (b->admin, " 13900000005 ");
  g_assert_cmpstr (mdn_test_str (s2, "card_no"), ==, other);
  s3 = show (b->admin, other);
  g_assert_cmpstr (mdn_test_str (s3, "name"), ==, "乙");
  mdn_test_fails (b->admin, "unknown_card", "{\"op\":\"member.show\",\"card\":\"13900000006\"}");
}

static void
test_search (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(JsonObject) r = NULL;
  JsonArray *list;

  g_free (issue (b->admin, "张三", "13800001234", NULL));
  g_free (issue (b->admin, "张三丰", "13900005678", NULL));
  g_free (issue (b->admin, "李四", "13700001234", NULL));

  r = mdn_test_ok (b->admin, "{\"op\":\"member.search\",\"query\":\"张三\"}");
  list = json_object_get_array_member (r, "members");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  g_clear_pointer (&r, json_object_unref);

  r = mdn_test_ok (b->admin, "{\"op\":\"member.search\",\"query\":\"1234\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "members")), ==, 2);
  g_clear_pointer (&r, json_object_unref);

  r = mdn_test_ok (b->admin, "{\"op\":\"member.search\",\"query\":\"00100000025\"}");
  list = json_object_get_array_member (r, "members");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "name"), ==, "张三丰");
  g_clear_pointer (&r, json_object_unref);

  r = mdn_test_ok (b->admin, "{\"op\":\"member.search\",\"query\":\"1390\"}");
  list = json_object_get_array_member (r, "members");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "name"), ==, "张三丰");
  g_clear_pointer (&r, json_object_unref);

  r = mdn_test_ok (b->admin, "{\"op\":\"member.search\",\"query\":\"王\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "members")), ==, 0);
}

static void
test_staff (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autoptr(MdnOpCtx) again = NULL;
  g_autoptr(GError) error = NULL;

  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"staff.add\",\"code\":\"c2\",\"name\":\"x\",\"role\":\"admin\",\"password\":\"longenough\"}");
  mdn_test_fails (b->admin, "duplicate", "{\"op\":\"staff.add\",\"code\":\"c1\",\"name\":\"x\",\"role\":\"cashier\",\"password\":\"longenough\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"staff.add\",\"code\":\"c2\",\"name\":\"x\",\"role\":\"boss\",\"password\":\"longenough\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"staff.add\",\"code\":\"c2\",\"name\":\"x\",\"role\":\"cashier\",\"password\":\"short\"}");

  /* Wrong password, then a password change. */
  again = mdn_op_ctx_new (b->store, "c1", "wrong-password", &error);
  g_assert_null (again);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED);
  g_clear_error (&error);
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"staff.passwd\",\"old_password\":\"%s\",\"password\":\"new-password\"}", MDN_TEST_PASSWORD));
  again = mdn_op_ctx_new (b->store, "c1", "new-password", &error);
  g_assert_no_error (error);
  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"staff.passwd\",\"code\":\"admin\",\"password\":\"taken-over\"}");

  /* A disabled cashier can do nothing more, even in an open session. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"staff.disable\",\"code\":\"c1\"}"));
  mdn_test_fails (cashier, "staff_disabled", "{\"op\":\"member.search\",\"query\":\"x\"}");
  g_clear_pointer (&again, mdn_op_ctx_free);
  again = mdn_op_ctx_new (b->store, "c1", "new-password", &error);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_STAFF_DISABLED);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"staff.disable\",\"code\":\"admin\"}");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"staff.enable\",\"code\":\"c1\"}"));
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"member.search\",\"query\":\"x\"}"));
}

/* 5 wrong passwords in a row lock that login for 15 minutes; an unknown
 * code is answered, counted and locked exactly like a known one, and costs
 * one argon2id verification like it (against a hash made with the same
 * parameters). */
static void
test_staff_lockout (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) r = NULL;
  const char *codes[] = { "c1", "nobody" };
  guint before;

  g_assert_true (mdn_secret_hash_current (mdn_secret_dummy_hash ()));
  mdn_test_set_now (NOW);
  for (guint k = 0; k < G_N_ELEMENTS (codes); k++)
    {
      for (int i = 0; i < 4; i++)
        {
          before = mdn_secret_verifications ();
          ctx = mdn_op_ctx_new (b->store, codes[k], "wrong-password", &error);
          g_assert_null (ctx);
          g_assert_error (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED);
          g_assert_cmpuint (mdn_secret_verifications (), ==, before + 1);
          g_clear_error (&error);
        }
      ctx = mdn_op_ctx_new (b->store, codes[k], "wrong-password", &error);
      g_assert_error (error, MDN_ERROR, MDN_ERROR_STAFF_LOCKED);
      g_clear_error (&error);
      /* Locked: even the right password, with no verification at all. */
      before = mdn_secret_verifications ();
      ctx = mdn_op_ctx_new (b->store, codes[k], MDN_TEST_PASSWORD, &error);
      g_assert_null (ctx);
      g_assert_error (error, MDN_ERROR, MDN_ERROR_STAFF_LOCKED);
      g_assert_cmpuint (mdn_secret_verifications (), ==, before);
      g_clear_error (&error);
    }
  /* Another staff member is not affected; an open session goes on. */
  ctx = mdn_op_ctx_new (b->store, "admin", MDN_TEST_PASSWORD, &error);
  g_assert_no_error (error);
  g_clear_pointer (&ctx, mdn_op_ctx_free);
  r = mdn_test_ok (cashier, "{\"op\":\"member.search\",\"query\":\"x\"}");
  g_clear_pointer (&r, json_object_unref);

  /* 15 minutes later the login works again. */
  mdn_test_set_now ("2026-11-22T10:15:00+08:00");
  ctx = mdn_op_ctx_new (b->store, "c1", MDN_TEST_PASSWORD, &error);
  g_assert_no_error (error);
  g_clear_pointer (&ctx, mdn_op_ctx_free);

  /* An administrator lifts a lock before it runs out (a cashier may not). */
  for (int i = 0; i < 5; i++)
    {
      ctx = mdn_op_ctx_new (b->store, "c1", "wrong-password", &error);
      g_clear_error (&error);
    }
  ctx = mdn_op_ctx_new (b->store, "c1", MDN_TEST_PASSWORD, &error);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_STAFF_LOCKED);
  g_clear_error (&error);
  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"staff.unlock\",\"code\":\"c1\"}");
  r = mdn_test_ok (b->admin, "{\"op\":\"staff.unlock\",\"code\":\"c1\"}");
  g_assert_true (json_object_get_boolean_member (r, "unlocked"));
  ctx = mdn_op_ctx_new (b->store, "c1", MDN_TEST_PASSWORD, &error);
  g_assert_no_error (error);
  mdn_test_set_now (NULL);
}

/* Thousands of random card operations, then verify. */
static void
test_random (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(GPtrArray) cards = g_ptr_array_new_with_free_func (g_free);
  guint32 seed = g_test_rand_int ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint n_ok = 0;

  g_test_message ("seed %u", seed);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":5000,\"bonus_fen\":500}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"vip\",\"name\":\"VIP\",\"price_percent\":90,\"points_per_yuan\":2}"));
  for (int i = 0; i < 3000; i++)
    {
      g_autoptr(JsonObject) out = NULL;
      g_autofree char *line = NULL;
      const char *card = cards->len ? g_ptr_array_index (cards, g_rand_int_range (rand, 0, (gint32) cards->len)) : "none";
      gint64 amount = g_rand_int_range (rand, 1, 20000);

      switch (cards->len < 5 ? 0 : g_rand_int_range (rand, 0, 9))
        {
        case 0:
          line = g_strdup_printf ("{\"op\":\"member.issue\",\"name\":\"会员%d\",\"phone\":\"139%08d\",\"deposit_fen\":%" G_GINT64_FORMAT "}", i, i, amount);
          break;
        case 1: case 2: case 3:
          line = g_strdup_printf ("{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT "}", card, amount);
          break;
        case 4: case 5:
          line = g_strdup_printf ("{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT "}", card, amount);
          break;
        case 6:
          line = g_strdup_printf ("{\"op\":\"member.%s\",\"card\":\"%s\"}", g_rand_boolean (rand) ? "lose" : "unlock", card);
          break;
        case 7:
          line = g_strdup_printf ("{\"op\":\"member.replace\",\"card\":\"%s\"}", card);
          break;
        default:
          line = g_strdup_printf ("{\"op\":\"member.upgrade\",\"card\":\"%s\",\"level\":\"%s\"}", card, g_rand_boolean (rand) ? "vip" : "normal");
          break;
        }
      out = mdn_ops_run_line (b->admin, line);
      if (!json_object_get_boolean_member (out, "ok"))
        continue;
      n_ok++;
      if (json_object_has_member (out, "card_no") && g_str_has_prefix (line, "{\"op\":\"member.issue\""))
        g_ptr_array_add (cards, g_strdup (json_object_get_string_member (out, "card_no")));
      else if (g_str_has_prefix (line, "{\"op\":\"member.replace\""))
        g_ptr_array_add (cards, g_strdup (json_object_get_string_member (out, "card_no")));
    }
  g_test_message ("%u of 3000 operations succeeded", n_ok);
  g_assert_cmpuint (n_ok, >, 1000);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM members WHERE principal_fen < 0 OR bonus_fen < 0"), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* A card printed before the signature moved from GLib's GHmac to nettle
 * still reads: the payload's signature is HMAC-SHA256 as GHmac gives it. */
static void
test_qr_signature (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 7);
  const char *const cards[] = { "00700000011", "00700000029", "99999999994" };

  for (guint i = 0; i < G_N_ELEMENTS (cards); i++)
    {
      g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, b->store->chain_key, MDN_CHAIN_KEY_LEN);
      g_autofree char *payload = mdn_qr_payload (b->store, cards[i]);
      g_autofree char *expected = NULL;
      g_autofree char *b64 = NULL;
      g_autofree char *parsed = NULL;
      guint8 digest[32];
      gsize len = sizeof digest;

      g_hmac_update (hmac, (const guchar *) "MDN1.", 5);
      g_hmac_update (hmac, (const guchar *) cards[i], strlen (cards[i]));
      g_hmac_get_digest (hmac, digest, &len);
      b64 = g_base64_encode (digest, len);
      /* URL-safe, no padding: what sodium_bin2base64 writes. */
      g_strdelimit (b64, "+", '-');
      g_strdelimit (b64, "/", '_');
      g_strdelimit (b64, "=", '\0');
      expected = g_strconcat ("MDN1.", cards[i], ".", b64, NULL);
      g_assert_cmpstr (payload, ==, expected);
      parsed = mdn_qr_parse (b->store, payload, NULL);
      g_assert_cmpstr (parsed, ==, cards[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/members/issue", test_issue);
  g_test_add_func ("/members/qr/signature", test_qr_signature);
  g_test_add_func ("/members/issue/refusals", test_issue_refusals);
  g_test_add_func ("/members/deposit/bonus-rules", test_deposit_bonus_rules);
  g_test_add_func ("/members/withdraw/principal-only", test_withdraw);
  g_test_add_func ("/members/pin", test_pin);
  g_test_add_func ("/members/pin/digits-setting", test_pin_digits);
  g_test_add_func ("/members/pin/lockout-setting", test_pin_lockout_setting);
  g_test_add_func ("/members/pin/lockout", test_pin_lockout);
  g_test_add_func ("/members/lost-and-unlock", test_lost_and_unlock);
  g_test_add_func ("/members/replace", test_replace);
  g_test_add_func ("/members/extend-and-expiry", test_extend_and_expiry);
  g_test_add_func ("/members/upgrade", test_upgrade);
  g_test_add_func ("/members/lookup-refusals", test_lookup_refusals);
  g_test_add_func ("/members/lookup/phone-check-digit", test_lookup_phone_check_digit);
  g_test_add_func ("/members/search", test_search);
  g_test_add_func ("/members/staff", test_staff);
  g_test_add_func ("/members/staff/lockout", test_staff_lockout);
  g_test_add_func ("/members/random-then-verify", test_random);
  return g_test_run ();
}
