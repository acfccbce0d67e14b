/* pos-views.h: the other answers the pages show, each read once by its
 * parser into a typed struct: a payment made (sale, timed.stop), the timed
 * board (resource.list, timed.list), a receipt and its return
 * (receipt.show, sale.return), the shift summary (report.shift), the link
 * to head office (sync.status) and the staff member (staff.me). Every
 * parser fails (MDN_ERROR_INTERNAL) on a field missing or of another type;
 * tests/test-pos-views.c feeds them real answers. The member answers are in
 * pos-member-view.h, the cart's in pos-cart.h. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A line of a sale (its answer, or receipt.show). */
typedef struct
{
  char   *sku;
  char   *name;
  gint64  qty;
  gint64  unit_price_fen;
  gint64  amount_fen;      /* what the line cost, after the member's discount */
  gint64  returnable_qty;  /* receipt.show only: what may still come back */
  gint64  returned_qty;    /* receipt.show only: what came back already */
  char   *kind;            /* receipt.show only: goods, service, package; NULL: not said */
} PosSoldLine;

/* Payments ------------------------------------------------------------------ */

/* sale, timed.stop: what was paid. */
typedef struct
{
  char      *receipt_no;
  gint64     total_fen;
  gint64     change_fen;
  gint64     points_earned;
  gboolean   offline;      /* paid from the card while head office couldn't be reached */
  GPtrArray *lines;        /* of PosSoldLine; empty for timed.stop */
  /* timed.stop, timed.prepay, timed.extend only: */
  gint64     minutes;      /* billed minutes (prepay, extend: bought now) */
  gint64     prepaid_minutes; /* -1: not prepaid */
  gint64     time_fen;     /* timed.stop: the time's part of the total */
  char      *resource_name; /* the table's name; NULL: its code only */
  char      *started_at;
  char      *stopped_at;
} PosPaid;

/* @op: "sale" or "timed.stop", for the message. */
PosPaid    *pos_paid_parse            (JsonObject  *result,
                                       const char  *op,
                                       GError     **error);
void        pos_paid_free             (PosPaid     *paid);
/* Any spend's answer: TRUE if it was made offline (its "offline": true). */
gboolean    pos_spent_offline         (JsonObject  *result);

/* The timed board -------------------------------------------------------------- */

typedef struct
{
  char *code;
  char *name;
  char *plan;
  char *plan_name;         /* the plan's code if the plan is gone */
} PosResource;

typedef struct
{
  char   *session_id;
  char   *resource;        /* the resource's code */
  char   *started_at;
  gint64  charge_fen;      /* what it costs if stopped now */
  char   *card_no;         /* NULL: no member */
  char   *member_name;     /* NULL: no member */
  gboolean paused;         /* its time stands still (timed.pause) */
  gint64  run_seconds;     /* the time it ran, its pauses left out */
  gint64  items;           /* goods and services on the table (timed.add) */
  gint64  prepaid_minutes; /* 预付计时: paid up front; -1: billed at the stop */
  gint64  remaining_seconds; /* prepaid: what is left (below 0: overtime) */
  gboolean ending;         /* prepaid: within timed.warn_minutes of its end */
} PosTimedSession;

void        pos_resource_free         (PosResource *resource);
void        pos_timed_session_free    (PosTimedSession *session);
/* resource.list: of PosResource. */
GPtrArray  *pos_resource_list_parse   (JsonObject  *result,
                                       GError     **error);
/* timed.list: of PosTimedSession. */
GPtrArray  *pos_timed_list_parse      (JsonObject  *result,
                                       GError     **error);

/* A receipt and its return -------------------------------------------------------- */

/* receipt.show. Only a sale (kind "sale", or a timed.stop with goods on
 * its table) has a card, a total and lines. */
typedef struct
{
  char      *kind;         /* sale, sale.quick, timed.stop, sale.return, or a
                              member.issue, member.deposit, member.withdraw,
                              package.consume (reprinted by entry id) */
  char      *receipt_no;   /* NULL: a deposit, withdrawal or package use */
  char      *entry_id;
  char      *at;
  char      *staff;
  char      *staff_name;   /* NULL: staff of another branch */
  char      *card_no;      /* NULL: no member */
  gint64     total_fen;
  GPtrArray *lines;        /* of PosSoldLine */
} PosSaleRecord;

PosSaleRecord *pos_sale_record_parse  (JsonObject  *result,
                                       GError     **error);
void        pos_sale_record_free      (PosSaleRecord *sale);

typedef struct
{
  char   *type;
  gint64  amount_fen;
} PosTenderAmount;

/* sale.return (and its preview): the refund and how it is paid back. */
typedef struct
{
  gint64     refund_fen;
  gint64     points_taken;
  GPtrArray *tenders;      /* of PosTenderAmount */
} PosRefund;

PosRefund  *pos_refund_parse          (JsonObject  *result,
                                       GError     **error);
void        pos_refund_free           (PosRefund   *refund);

/* The shift summary ----------------------------------------------------------------- */

typedef struct
{
  char   *code;            /* the tender, the staff member's code or the kind */
  char   *name;            /* a staff member's name, else NULL */
  gint64  count;
  gint64  amount_fen;
} PosShiftSum;

typedef struct
{
  char      *date;
  gint64     net_fen;
  gint64     entries;
  GPtrArray *by_tender;    /* of PosShiftSum */
  GPtrArray *by_staff;
  GPtrArray *by_kind;
} PosShift;

/* The shift handover: one money tender of shift.preview (expected only) or
 * shift.close and shift.list (expected, counted, over/short). */
typedef struct
{
  char    *tender;
  gint64   expected_fen;
  gint64   counted_fen;
  gint64   over_short_fen;
  gboolean counted;        /* the cashier counted it (else taken as expected) */
} PosTenderCount;

/* shift.preview, shift.close, or one shift of shift.list. */
typedef struct
{
  char      *staff;
  char      *staff_name;   /* shift.list only; NULL: not known here */
  char      *opened_at;    /* NULL: the staff member's first shift */
  char      *closed_at;    /* NULL: shift.preview (still open) */
  gint64     entries;
  gint64     float_fen;
  gint64     over_short_fen;
  GPtrArray *tenders;      /* of PosTenderCount, in the order of mdn_money_tenders */
} PosHandover;

void         pos_handover_free        (PosHandover *handover);
/* @op: "shift.preview" or "shift.close". */
PosHandover *pos_handover_parse       (JsonObject  *result,
                                       const char  *op,
                                       GError     **error);

/* shift.list: the day end over the shifts. */
typedef struct
{
  char      *date;
  GPtrArray *shifts;       /* of PosHandover */
  GPtrArray *totals;       /* of PosTenderCount */
  gint64     over_short_fen;
} PosShiftList;

void          pos_shift_list_free     (PosShiftList *list);
PosShiftList *pos_shift_list_parse    (JsonObject   *result,
                                       GError      **error);

PosShift   *pos_shift_parse           (JsonObject  *result,
                                       GError     **error);
void        pos_shift_free            (PosShift    *shift);

/* Head office and staff --------------------------------------------------------------- */

/* sync.status. */
typedef struct
{
  gboolean linked;
  char    *server;         /* NULL when not linked */
  char    *ca;             /* NULL: none set */
  char    *pin_sha256;     /* NULL: none set */
  gint64   waiting;        /* entries not yet acknowledged by head office */
} PosSyncStatus;

PosSyncStatus *pos_sync_status_parse  (JsonObject  *result,
                                       GError     **error);
void        pos_sync_status_free      (PosSyncStatus *status);

/* staff.me: the logged-in staff member's name. */
char       *pos_staff_name_parse      (JsonObject  *result,
                                       GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosPaid, pos_paid_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosSaleRecord, pos_sale_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosRefund, pos_refund_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosShift, pos_shift_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosSyncStatus, pos_sync_status_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosHandover, pos_handover_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosShiftList, pos_shift_list_free)

G_END_DECLS
