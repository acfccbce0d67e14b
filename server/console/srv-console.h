/* srv-console.h: the head-office web console under /console/ (docs/console.md). */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

SrvConsole *srv_console_new  (SrvServer              *srv,
                              const SrvServerOptions *options,
                              GError                **error);
void        srv_console_free (SrvConsole             *console);
/* Runs @op at the console's HQ terminal (--console-hq) and pushes its
 * entries; an error when the server has none. */
JsonObject *srv_console_run_hq_op (SrvConsole        *console,
                                   const char        *op,
                                   JsonObject        *args,
                                   GError           **error);
/* Whether the server runs with an HQ terminal for the console. */
gboolean    srv_console_has_hq (SrvConsole           *console);

G_END_DECLS
