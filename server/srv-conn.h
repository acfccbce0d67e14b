/* srv-conn.h: the connections of mendian-server. It owns the listening
 * socket (its backlog, and a back-off when the process is out of file
 * descriptors), does the TLS handshake, and keeps one record per
 * connection with its header and idle timeouts, handing each connection to
 * SoupServer with soup_server_accept_iostream(). It also works around what
 * libsoup 3.2's server leaks (docs/server.md, “Connections”). */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define SRV_LISTEN_BACKLOG          1024
#define SRV_DEFAULT_IDLE_TIMEOUT    60   /* seconds */
#define SRV_DEFAULT_HEADER_TIMEOUT  10   /* seconds */
/* Bytes a request may send before its headers are complete (libsoup reads
 * ahead 8 KiB, so headers up to 24 KiB always pass); more is 431. */
#define SRV_HEADER_LIMIT            (32 * 1024)
/* Request Header Fields Too Large (RFC 6585), not in libsoup 3.2's enum */
#define SRV_STATUS_HEADERS_TOO_LARGE 431

typedef struct _SrvConns SrvConns;

/* Each request's headers, before anything of its body is read. */
typedef void   (*SrvConnsHeadersFunc) (SrvConns          *conns,
                                       SoupServerMessage *msg,
                                       gpointer           user_data);
/* The JSON body of an error the connection layer answers itself (408, 431,
 * and the 400/501 libsoup gives a request it cannot parse). */
typedef char  *(*SrvConnsErrorFunc)   (guint              status,
                                       gpointer           user_data);

typedef struct
{
  GTlsCertificate     *tls_certificate;  /* NULL: plain HTTP */
  guint                idle_timeout;     /* seconds; 0: the default */
  guint                header_timeout;   /* seconds; 0: the default */
  SrvConnsHeadersFunc  got_headers;
  SrvConnsErrorFunc    error_json;
  GSourceFunc          drained;          /* the last request in flight finished */
  gpointer             user_data;
} SrvConnsOptions;

typedef struct
{
  guint64 accepted;
  guint64 accept_failures;   /* failed accept() calls (out of descriptors, ...) */
  guint64 timeouts;          /* connections closed by the idle or header timeout */
  guint   open;              /* open connections, WebSockets included */
} SrvConnsStats;

SrvConns            *srv_conns_new            (SoupServer             *soup,
                                               GSocketAddress         *address,
                                               const SrvConnsOptions  *options,
                                               GError                **error);
void                 srv_conns_free           (SrvConns               *conns);
/* http://HOST:PORT/ (or https://) of the listening socket. */
char                *srv_conns_dup_url        (SrvConns               *conns);
/* Closes the listening socket and the connections idle between requests. */
void                 srv_conns_stop_accepting (SrvConns               *conns);
/* Requests whose headers arrived and whose answer is not written yet. */
guint                srv_conns_in_flight      (SrvConns               *conns);
const SrvConnsStats *srv_conns_get_stats      (SrvConns               *conns);

/* From the got_headers callback: answer @status with @json (a JSON object)
 * without reading the request's body, and close the connection. */
void                 srv_conns_refuse         (SrvConns               *conns,
                                               SoupServerMessage      *msg,
                                               guint                   status,
                                               const char             *json);
/* @msg is being answered by a worker (a report, srv-reports.c): while
 * @held the request's idle timeout does not run, as no bytes move until
 * the answer is ready. */
void                 srv_conns_hold           (SrvConns               *conns,
                                               SoupServerMessage      *msg,
                                               gboolean                held);
/* @msg was upgraded to a WebSocket: a long-lived connection, not a request
 * in flight, with no idle timeout (the WebSocket pings instead). */
void                 srv_conns_upgraded       (SrvConns               *conns,
                                               SoupServerMessage      *msg);

G_END_DECLS
