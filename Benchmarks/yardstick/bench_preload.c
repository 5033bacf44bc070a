// Loaded with LD_PRELOAD into the unmodified C yardstick (../shared/bench: mdp_minbroker,
// mdp_echo_worker, mdp_load) by scripts/bench-all, to run it the way Colony runs:
//   BENCH_ENDPOINT_FILE=path  a bind to "...:0" takes a port the system picks (the port-0
//                             rule) and writes the endpoint it got to `path`.
//   BENCH_CURVE_SECRET=z85    binds are CURVE servers with this secret key.
//   BENCH_CURVE_SERVER=z85 BENCH_CURVE_PUBLIC=z85 BENCH_CURVE_CLIENT_SECRET=z85
//                             connects are CURVE clients of that server with this key pair.
// No ZAP handler: the C broker takes any client key, so CURVE's cost is all it adds.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static void set_key(void *socket, int option, const char *name) {
    const char *key = getenv(name);
    if (key && zmq_setsockopt(socket, option, key, strlen(key)) != 0) {
        fprintf(stderr, "bench_preload: %s: %s\n", name, zmq_strerror(zmq_errno()));
        exit(2);
    }
}

int zmq_bind(void *socket, const char *endpoint) {
    static int (*real_bind)(void *, const char *);
    if (!real_bind) real_bind = (int (*)(void *, const char *))dlsym(RTLD_NEXT, "zmq_bind");
    if (getenv("BENCH_CURVE_SECRET")) {
        int server = 1;
        zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &server, sizeof server);
        set_key(socket, ZMQ_CURVE_SECRETKEY, "BENCH_CURVE_SECRET");
    }
    const char *file = getenv("BENCH_ENDPOINT_FILE");
    size_t length = strlen(endpoint);
    if (!file || length < 2 || strcmp(endpoint + length - 2, ":0") != 0) return real_bind(socket, endpoint);
    char wildcard[256];
    snprintf(wildcard, sizeof wildcard, "%.*s:*", (int)(length - 2), endpoint);
    int rc = real_bind(socket, wildcard);
    if (rc != 0) return rc;
    char bound[256];
    size_t size = sizeof bound;
    zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, bound, &size);
    FILE *out = fopen(file, "w");
    if (out) {
        fprintf(out, "%s\n", bound);
        fclose(out);
    }
    return 0;
}

int zmq_connect(void *socket, const char *endpoint) {
    static int (*real_connect)(void *, const char *);
    if (!real_connect) real_connect = (int (*)(void *, const char *))dlsym(RTLD_NEXT, "zmq_connect");
    set_key(socket, ZMQ_CURVE_SERVERKEY, "BENCH_CURVE_SERVER");
    set_key(socket, ZMQ_CURVE_PUBLICKEY, "BENCH_CURVE_PUBLIC");
    set_key(socket, ZMQ_CURVE_SECRETKEY, "BENCH_CURVE_CLIENT_SECRET");
    return real_connect(socket, endpoint);
}
