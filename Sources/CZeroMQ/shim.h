#ifndef COLONY_CZEROMQ_SHIM_H
#define COLONY_CZEROMQ_SHIM_H
#include <zmq.h>
#include <errno.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <sys/prctl.h>
#endif
