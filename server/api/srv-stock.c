/* srv-stock.c: head office's view of every branch's stock and transfers. */
#define G_LOG_DOMAIN "srv-stock"

#include <glib/gi18n-lib.h>

#include "mdn-stock.h"
#include "srv-server.h"

/* GET /api/v1/stock?sku=&category=&branch= → {rows:[{branch, sku, name,
 * on_hand, in_transit_in, in_transit_out}]} */
static void
handle_stock (SrvRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonArray *list;

  rows = srv_store_stock (req->store, srv_query_get (req, "sku"), srv_query_get (req, "category"),
                          srv_query_get (req, "branch"), &error);
  if (rows == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  list = json_array_new ();
  for (guint i = 0; i < rows->len; i++)
    {
      MdnStockRow *r = &g_array_index (rows, MdnStockRow, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "branch", r->branch);
      json_object_set_string_member (o, "sku", r->sku);
      if (r->name)
        json_object_set_string_member (o, "name", r->name);
      else
        json_object_set_null_member (o, "name");
      json_object_set_int_member (o, "on_hand", r->on_hand);
      json_object_set_int_member (o, "in_transit_in", r->in_transit_in);
      json_object_set_int_member (o, "in_transit_out", r->in_transit_out);
      json_array_add_object_element (list, o);
    }
  json_object_set_array_member (out, "rows", list);
  srv_reply_ok (req, out);
}

/* GET /api/v1/transfers?status=&branch= → {transfers:[{transfer_id, doc_no,
 * from, to, status, sent_at, received_at, shortfall, lines:[{sku, name,
 * sent, received}]}]} */
static void
handle_transfers (SrvRequest *req)
{
  static const char *const statuses[] = { "in_transit", "received", "shortfall", NULL };
  const char *status = srv_query_get (req, "status");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) transfers = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonArray *list;

  if (status && !g_strv_contains (statuses, status))
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                       _("“status” is in_transit, received or shortfall"));
      return;
    }
  transfers = srv_store_transfers (req->store, srv_query_get (req, "branch"), status, &error);
  if (transfers == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  list = json_array_new ();
  for (guint i = 0; i < transfers->len; i++)
    {
      MdnTransfer *t = g_ptr_array_index (transfers, i);
      JsonObject *o = json_object_new ();
      JsonArray *lines = json_array_new ();

      json_object_set_string_member (o, "transfer_id", t->id);
      json_object_set_string_member (o, "doc_no", t->doc_no);
      json_object_set_string_member (o, "from", t->from);
      json_object_set_string_member (o, "to", t->to);
      json_object_set_string_member (o, "status", t->status);
      json_object_set_string_member (o, "sent_at", t->sent_at);
      if (t->received_at)
        json_object_set_string_member (o, "received_at", t->received_at);
      else
        json_object_set_null_member (o, "received_at");
      json_object_set_int_member (o, "shortfall", t->shortfall);
      for (guint j = 0; j < t->lines->len; j++)
        {
          MdnTransferLine *l = &g_array_index (t->lines, MdnTransferLine, j);
          JsonObject *lo = json_object_new ();

          json_object_set_string_member (lo, "sku", l->sku);
          json_object_set_string_member (lo, "name", l->name);
          json_object_set_int_member (lo, "sent", l->sent);
          if (l->received >= 0)
            json_object_set_int_member (lo, "received", l->received);
          else
            json_object_set_null_member (lo, "received");
          json_array_add_object_element (lines, lo);
        }
      json_object_set_array_member (o, "lines", lines);
      json_array_add_object_element (list, o);
    }
  json_object_set_array_member (out, "transfers", list);
  srv_reply_ok (req, out);
}

const SrvRoute srv_stock_routes[] = {
  { "GET", "/api/v1/stock",     SRV_AUTH_HEAD_OFFICE, handle_stock },
  { "GET", "/api/v1/transfers", SRV_AUTH_HEAD_OFFICE, handle_transfers },
  { NULL }
};
