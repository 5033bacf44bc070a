#define _GNU_SOURCE
#include "colony_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Closes every descriptor from `first` up but `keep`: with close_range (Linux 5.9), two system
   calls and none left open whatever RLIMIT_NOFILE allows; elsewhere one close per descriptor
   below 65,536. Until it is done the child shares the parent's open files (a flock among them). */
static void close_descriptors_from(int first, int keep)
{
#ifdef SYS_close_range
    int below = keep > first ? (int)syscall(SYS_close_range, (unsigned)first, (unsigned)keep - 1, 0) : 0;
    int above = (int)syscall(SYS_close_range, (unsigned)(keep >= first ? keep + 1 : first), ~0U, 0);
    if (below == 0 && above == 0) return;
#endif
    for (int fd = first; fd < 65536; fd++) {
        if (fd != keep) close(fd);
    }
}

/* Only async-signal-safe calls between fork and exec: the parent is multithreaded. */
pid_t colony_spawn(const char *file, char *const argv[], char *const envp[], const char *dir,
                   int out_fd, int err_fd)
{
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(report[0]);
        close(report[1]);
        return -error;
    }
    if (pid == 0) {
        int error = 0;
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
        }
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) { dup2(null_fd, 0); }
        if (out_fd >= 0) dup2(out_fd, 1);
        if (err_fd >= 0) dup2(err_fd, 2);
        /* Close everything else except the CLOEXEC report pipe (closed by exec itself). */
        close_descriptors_from(3, report[1]);
        if (dir && chdir(dir) != 0) {
            error = errno;
        } else {
            execvpe(file, argv, envp);
            error = errno;
        }
        ssize_t ignored = write(report[1], &error, sizeof error);
        (void)ignored;
        _exit(127);
    }
    close(report[1]);
    int error = 0;
    ssize_t got;
    do {
        got = read(report[0], &error, sizeof error);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof error) {
        waitpid(pid, NULL, 0);
        return -error;
    }
    return pid;
}

int colony_signal_group(pid_t pid, int signal)
{
    if (kill(-pid, signal) == 0) return 0;
    return kill(pid, signal);
}

int colony_reap(pid_t pid, int *code, int *signal)
{
    int status = 0;
    pid_t got;
    do {
        got = waitpid(pid, &status, WNOHANG);
    } while (got < 0 && errno == EINTR);
    if (got == 0) return 0;
    if (got < 0) return -1;
    if (WIFEXITED(status)) {
        *code = WEXITSTATUS(status);
        *signal = 0;
    } else if (WIFSIGNALED(status)) {
        *code = 128 + WTERMSIG(status);
        *signal = WTERMSIG(status);
    } else {
        return 0;
    }
    return 1;
}

int colony_pipe_cloexec(int fds[2])
{
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

pid_t colony_thread_id(void)
{
    return (pid_t)syscall(SYS_gettid);
}
