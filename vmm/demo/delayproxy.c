// SPDX-License-Identifier: GPL-2.0-only
/*
 * A TCP proxy that delays every byte by a fixed time in each direction:
 * the fetch latency of the QEMU post-copy demo, whose two QEMUs otherwise
 * talk over loopback with no latency at all.
 *
 * usage: delayproxy LISTEN-PORT TARGET-PORT DELAY-US
 *
 * Listens on 127.0.0.1:LISTEN-PORT; each connection gets its own
 * connection to 127.0.0.1:TARGET-PORT (a child process per connection, so
 * postcopy-preempt's second channel works). Data read from one side is
 * written to the other DELAY-US microseconds after it was read; the
 * bandwidth is not limited. SIGUSR1 to the parent kills every connection
 * (both peers see it drop), as a network failure would; the proxy goes on
 * accepting new ones. SIGTERM ends it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
/* Stop reading a side while this much is queued from it. */
#define MAX_QUEUED (16 << 20)

struct chunk {
	struct chunk *next;
	uint64_t due;
	size_t len, off;
	char data[];
};

struct dir {
	int from, to;
	struct chunk *head, *tail;
	size_t queued;
	int eof;
};

static uint64_t delay_us;
static volatile sig_atomic_t drop;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static int connect_to(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Read what is there into a new chunk; -1 on EOF or error. */
static int dir_read(struct dir *d)
{
	struct chunk *c = malloc(sizeof(*c) + CHUNK);
	ssize_t n;

	if (!c)
		return -1;
	n = read(d->from, c->data, CHUNK);
	if (n <= 0) {
		free(c);
		return n < 0 && errno == EINTR ? 0 : -1;
	}
	c->next = NULL;
	c->due = now_us() + delay_us;
	c->len = n;
	c->off = 0;
	if (d->tail)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->queued += n;
	return 0;
}

/* Write every chunk that is due; -1 if the peer is gone. */
static int dir_write(struct dir *d, uint64_t now)
{
	while (d->head && d->head->due <= now) {
		struct chunk *c = d->head;
		ssize_t n = write(d->to, c->data + c->off, c->len - c->off);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->off += n;
		d->queued -= n;
		if (c->off < c->len)
			return 0;
		d->head = c->next;
		if (!d->head)
			d->tail = NULL;
		free(c);
	}
	return 0;
}

static void relay(int a, int b)
{
	struct dir d[2] = { { .from = a, .to = b }, { .from = b, .to = a } };

	for (;;) {
		struct pollfd p[4];
		uint64_t now = now_us(), next = UINT64_MAX;
		int n = 0, wait_ms, ia[2] = { -1, -1 };

		for (int i = 0; i < 2; i++) {
			if (dir_write(&d[i], now))
				return;
			if (d[i].eof && !d[i].head) {
				/* Pass the EOF on once everything before it is out. */
				shutdown(d[i].to, SHUT_WR);
				d[i].eof = 2;
			}
			if (d[i].head && d[i].head->due < next)
				next = d[i].head->due;
			if (!d[i].eof && d[i].queued < MAX_QUEUED) {
				p[n] = (struct pollfd){ .fd = d[i].from, .events = POLLIN };
				ia[i] = n++;
			}
			if (d[i].head && d[i].head->due <= now) {
				/* The peer's socket is full: wake when it drains. */
				p[n++] = (struct pollfd){ .fd = d[i].to, .events = POLLOUT };
			}
		}
		if (d[0].eof == 2 && d[1].eof == 2)
			return;
		wait_ms = next == UINT64_MAX ? 1000 :
			  next <= now ? 0 : (int)((next - now + 999) / 1000);
		if (poll(p, n, wait_ms) < 0 && errno != EINTR)
			return;
		for (int i = 0; i < 2; i++)
			if (ia[i] >= 0 && (p[ia[i]].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    dir_read(&d[i]))
				d[i].eof = 1;
	}
}

static void on_usr1(int sig __attribute__((unused)))
{
	drop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	pid_t kids[64];
	int nkids = 0, lfd, one = 1;
	struct sigaction act = { .sa_handler = on_usr1 };

	if (argc != 4) {
		fprintf(stderr, "usage: %s LISTEN-PORT TARGET-PORT DELAY-US\n", argv[0]);
		return 2;
	}
	delay_us = strtoull(argv[3], NULL, 0);
	sa.sin_port = htons(atoi(argv[1]));
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGUSR1, &act, NULL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 8)) {
		perror("delayproxy: listen");
		return 1;
	}
	for (;;) {
		int c = accept(lfd, NULL, NULL), t;
		pid_t pid;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (drop) {
			for (int i = 0; i < nkids; i++)
				kill(kids[i], SIGKILL);
			nkids = 0;
			drop = 0;
			fprintf(stderr, "delayproxy: dropped every connection\n");
		}
		if (c < 0)
			continue;
		t = connect_to(atoi(argv[2]));
		if (t < 0) {
			perror("delayproxy: connect");
			close(c);
			continue;
		}
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pid = fork();
		if (pid == 0) {
			close(lfd);
			signal(SIGUSR1, SIG_DFL);
			relay(c, t);
			_exit(0);
		}
		close(c);
		close(t);
		if (pid > 0 && nkids < 64)
			kids[nkids++] = pid;
	}
}
