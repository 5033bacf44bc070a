#ifndef COLONY_SPAWN_H
#define COLONY_SPAWN_H
#include <sys/types.h>

/* Starts `file` (searched in PATH when it has no slash) with argv/envp, in `dir` (NULL = current),
 * with standard output and error on out_fd/err_fd (-1 = inherit) and standard input on /dev/null.
 * The child runs in a process group of its own, has default signal dispositions and an empty
 * signal mask, inherits no other descriptors, and gets SIGKILL when the spawning thread's
 * process dies (PR_SET_PDEATHSIG), so no agent outlives a killed supervisor.
 * Returns the child's pid, or -errno if it could not be started (exec failures included). */
pid_t colony_spawn(const char *file, char *const argv[], char *const envp[], const char *dir,
                   int out_fd, int err_fd);

/* Sends `signal` to the process group led by `pid` (falls back to the process alone). */
int colony_signal_group(pid_t pid, int signal);

/* Waits for `pid` without blocking: returns 1 and fills code/signal when it has exited
 * (signal 0 = exited normally with `code`), 0 while it runs, -1 on error. */
int colony_reap(pid_t pid, int *code, int *signal);

/* pipe2(fds, O_CLOEXEC): Swift's Glibc module does not expose pipe2. */
int colony_pipe_cloexec(int fds[2]);

/* gettid(): the calling thread's kernel id (Swift's Glibc module does not expose it). */
pid_t colony_thread_id(void);
#endif
