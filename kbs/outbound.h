/*
 * outbound.h: the broker's one baseline for the HTTP requests it makes
 * itself (AMD KDS, webhooks, etcd), so what every outgoing request may do
 * is decided and reviewed in one place.
 */
#ifndef KBS_OUTBOUND_H
#define KBS_OUTBOUND_H

#include <curl/curl.h>

#include "kbs_common.h"

/*
 * kbs_outbound_setup sets url on c with: http and https only, no
 * redirects (a redirect could lead anywhere, to any scheme), no signals
 * (libcurl runs on the broker's own threads), and hard limits of
 * connect_ms to connect and total_ms in all. The caller adds the method,
 * body, headers and sinks. KBS_ERR_INTERNAL if libcurl refuses any option.
 */
KBS_MUST_CHECK int kbs_outbound_setup(CURL *c, const char *url, long connect_ms, long total_ms);

#endif
