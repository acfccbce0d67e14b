/* mdn-role.c */
#include "mdn-role.h"

const char *
mdn_role_name (MdnRole role)
{
  switch (role)
    {
    case MDN_ROLE_CASHIER: return "cashier";
    case MDN_ROLE_MANAGER: return "manager";
    case MDN_ROLE_ADMIN:   return "admin";
    default:               return "unknown";
    }
}

gboolean
mdn_role_parse (const char *name,
                MdnRole    *out)
{
  if (g_strcmp0 (name, "cashier") == 0)
    *out = MDN_ROLE_CASHIER;
  else if (g_strcmp0 (name, "manager") == 0)
    *out = MDN_ROLE_MANAGER;
  else if (g_strcmp0 (name, "admin") == 0)
    *out = MDN_ROLE_ADMIN;
  else
    return FALSE;
  return TRUE;
}
