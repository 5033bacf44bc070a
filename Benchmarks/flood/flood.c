// Sends COUNT malformed messages to a broker's request endpoint from SOCKETS DEALER sockets,
// as fast as libzmq takes them (no high-water mark): the broker's worst case for input it
// must drop. Built and run by scripts/soak.
//
//   flood ENDPOINT COUNT [SOCKETS]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: flood ENDPOINT COUNT [SOCKETS]\n");
        return 2;
    }
    long count = atol(argv[2]);
    int sockets = argc > 3 ? atoi(argv[3]) : 8;
    if (sockets < 1 || sockets > 1024 || count < 0) return 2;
    void *context = zmq_ctx_new();
    void **peers = calloc((size_t)sockets, sizeof(void *));
    int unlimited = 0, linger = -1;
    for (int i = 0; i < sockets; i++) {
        peers[i] = zmq_socket(context, ZMQ_DEALER);
        zmq_setsockopt(peers[i], ZMQ_SNDHWM, &unlimited, sizeof unlimited);
        zmq_setsockopt(peers[i], ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect(peers[i], argv[1]) != 0) {
            fprintf(stderr, "connect: %s\n", zmq_strerror(zmq_errno()));
            return 1;
        }
    }
    static const char *shapes[][3] = {
        {"HTTP/1.1", "GET /", NULL}, {"MDPW02", "\x09", NULL}, {"MDPC02", "\x07", "garbage-service"}, {"\x01\x02\x03", NULL, NULL},
    };
    char body[200];
    memset(body, 'x', sizeof body);
    for (long n = 0; n < count; n++) {
        void *peer = peers[n % sockets];
        const char **shape = shapes[n % 4];
        for (int part = 0; part < 3 && shape[part]; part++) {
            zmq_send(peer, shape[part], strlen(shape[part]), ZMQ_SNDMORE);
        }
        zmq_send(peer, body, sizeof body, 0);
    }
    for (int i = 0; i < sockets; i++) zmq_close(peers[i]);  // linger -1: everything is delivered
    zmq_ctx_term(context);
    free(peers);
    return 0;
}
