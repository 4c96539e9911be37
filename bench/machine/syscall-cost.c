/*
 * What this machine charges for the kernel work a check does and a bare call does not: a system
 * call, a 4 KiB write into the page cache (SQLite's WAL frames), a write made durable, and one
 * thread waking another and being woken back (a hand-over between the guard's threads).
 *
 *   gcc -O2 -pthread -o /tmp/syscall-cost bench/machine/syscall-cost.c && /tmp/syscall-cost
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int to_echo[2], from_echo[2];

static void *echo(void *unused)
{
    char c;
    (void)unused;
    while (read(to_echo[0], &c, 1) == 1 && write(from_echo[1], &c, 1) == 1) {
    }
    return NULL;
}

int main(void)
{
    const int calls = 200000, syncs = 500, round_trips = 50000;
    char page[4096], path[] = "/tmp/syscall-cost-XXXXXX", c = 'x';
    memset(page, 1, sizeof page);

    double started = now();
    for (int i = 0; i < calls; i++) {
        syscall(SYS_getppid);
    }
    printf("system call (getppid):            %8.2f us\n", (now() - started) / calls * 1e6);

    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    unlink(path);
    for (int i = 0; i < 256; i++) {
        pwrite(fd, page, sizeof page, (off_t)i * sizeof page);
    }
    started = now();
    for (int i = 0; i < calls; i++) {
        pwrite(fd, page, sizeof page, (off_t)(i % 256) * sizeof page);
    }
    printf("pwrite 4 KiB into the page cache: %8.2f us\n", (now() - started) / calls * 1e6);

    started = now();
    for (int i = 0; i < syncs; i++) {
        pwrite(fd, page, sizeof page, (off_t)(i % 16) * sizeof page);
        fdatasync(fd);
    }
    printf("pwrite 4 KiB + fdatasync:         %8.1f us\n", (now() - started) / syncs * 1e6);

    pthread_t thread;
    if (pipe(to_echo) != 0 || pipe(from_echo) != 0 || pthread_create(&thread, NULL, echo, NULL) != 0) {
        perror("pipe/thread");
        return 1;
    }
    started = now();
    for (int i = 0; i < round_trips; i++) {
        if (write(to_echo[1], &c, 1) != 1 || read(from_echo[0], &c, 1) != 1) {
            return 1;
        }
    }
    printf("wake a thread and be woken back:  %8.2f us\n", (now() - started) / round_trips * 1e6);
    return 0;
}
