#ifndef COLONY_CZEROMQ_SHIM_H
#define COLONY_CZEROMQ_SHIM_H
#include <zmq.h>
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <signal.h>
#include <sys/prctl.h>

/* prctl is variadic, so Swift cannot call it: name the calling thread (15 chars kept). */
static inline void colony_name_current_thread(const char *name) {
    prctl(PR_SET_NAME, name, 0, 0, 0);
}
#endif
