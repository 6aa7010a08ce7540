/* status.h: error code -> HTTP status (see status.c). */
#ifndef KBS_STATUS_H
#define KBS_STATUS_H

unsigned kbs_http_status_of(int code);

#endif
