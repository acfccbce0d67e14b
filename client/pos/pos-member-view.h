/* pos-member-view.h: a member as the POS shows it, read once from the
 * answer of member.show or member.search by the one parser of that answer;
 * every widget reads these fields, never the JSON. Beside it the other
 * member answers the Members page shows: the history, the levels, the
 * bonus of a deposit, a package use, the card of a new or replaced card.
 * Each parser fails (MDN_ERROR_INTERNAL) on a field that is missing or of
 * another type; tests/test-pos-views.c feeds them real answers. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  POS_MEMBER_ACTIVE,
  POS_MEMBER_LOST,
  POS_MEMBER_REPLACED,
  POS_MEMBER_EXPIRED,
} PosMemberStatus;

/* The uses left of one service (member.show packages, package.consume). */
typedef struct
{
  char   *sku;
  char   *name;            /* the service's name; NULL: not known here */
  gint64  remaining;
  char   *expires_on;      /* the earliest expiry of its lots; NULL: none */
} PosPackageLot;

typedef struct
{
  /* member.search and member.show */
  char            *member_id;
  char            *card_no;        /* the card presented: a replaced card is its old number */
  char            *name;
  char            *phone;
  char            *level;          /* the level's code */
  PosMemberStatus  status;
  gint64           balance_fen;
  gint64           principal_fen;
  gint64           bonus_fen;
  gint64           points;
  char            *expires_on;     /* NULL: no expiry */

  /* member.show only (zero for a search hit) */
  char            *replaced_by;    /* the new card of a replaced one, else NULL */
  char            *level_name;     /* the level's code if the level is gone */
  gint64           price_percent;  /* 100 if the level is gone */
  gint64           points_per_yuan;
  gboolean         has_pin;
  gboolean         on_hold;        /* head office found an overdraft */
  gint64           hold_fen;       /* what a deposit must bring to clear it */
  char            *issued_at;
  char            *issued_branch;
  GPtrArray       *packages;       /* of PosPackageLot, by sku */
} PosMemberView;

/* member.show. Reference-counted: a page and its pay dialog share one. */
PosMemberView *pos_member_view_parse   (JsonObject     *result,
                                        GError        **error);
PosMemberView *pos_member_view_ref     (PosMemberView  *member);
void           pos_member_view_unref   (PosMemberView  *member);
/* member.search: its hits, of PosMemberView (the summary fields only). */
GPtrArray     *pos_member_search_parse (JsonObject     *result,
                                        GError        **error);
const char    *pos_member_status_label (PosMemberStatus status);

void           pos_package_lot_free    (PosPackageLot  *lot);
/* package.consume: the service used and its uses left. */
PosPackageLot *pos_package_use_parse   (JsonObject     *result,
                                        GError        **error);

/* One entry of member.history. */
typedef struct
{
  char    *entry_id;
  char    *kind;
  char    *at;
  char    *branch;
  char    *staff;
  char    *staff_name;     /* NULL: a staff member of another branch */
  char    *receipt_no;     /* NULL when the entry has none */
  gboolean has_amount;
  gint64   amount_fen;     /* the body's total_fen, amount_fen or refund_fen */
} PosMemberEvent;

void           pos_member_event_free   (PosMemberEvent *event);
/* member.history: of PosMemberEvent, newest first. */
GPtrArray     *pos_member_history_parse (JsonObject    *result,
                                         GError       **error);

/* One level of level.list. */
typedef struct
{
  char   *code;
  char   *name;
  gint64  price_percent;
} PosLevel;

void           pos_level_free          (PosLevel       *level);
/* level.list: of PosLevel. */
GPtrArray     *pos_level_list_parse    (JsonObject     *result,
                                        GError        **error);

/* deposit.preview: the bonus the deposit rules give. */
gboolean       pos_deposit_bonus_parse (JsonObject     *result,
                                        gint64         *out_bonus_fen,
                                        GError        **error);
/* member.issue, member.replace: the card number of the new card. */
char          *pos_new_card_parse      (JsonObject     *result,
                                        GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosMemberView, pos_member_view_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosPackageLot, pos_package_lot_free)

G_END_DECLS
