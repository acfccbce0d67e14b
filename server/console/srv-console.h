/* srv-console.h: the head-office web console under /console/ (docs/console.md). */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

SrvConsole *srv_console_new  (SrvServer              *srv,
                              const SrvServerOptions *options,
                              GError                **error);
void        srv_console_free (SrvConsole             *console);

G_END_DECLS
