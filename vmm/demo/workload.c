// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest workload of the QEMU post-copy demo: /init of a small Linux
 * guest. One thread per CPU writes to random pages of its share of a
 * buffer, verifying each page before it writes it; a reporter prints the
 * rate of page updates on the console at a fixed interval.
 *
 * Every 4 KiB page holds its index, its generation (how many times it was
 * written) and a check word derived from both. The expected generation of
 * every page lives in a separate array, so a page that migration lost
 * (zero), left stale (an older generation) or mixed up (another index)
 * fails the check. Both arrays are guest memory and travel with the
 * migration.
 *
 * Parameters (kernel command line, passed to init as environment):
 *   wl_mb=N   buffer size in MiB (default 128)
 *   wl_ms=N   report interval in ms (default 100)
 *
 * Console output, one line each:
 *   WL ready pages=N threads=N         after the first write of every page
 *   WL t=MS n=PAGES rate=MIBS bad=N    every interval: guest monotonic time,
 *                                      pages updated and MiB/s in the interval
 *   WL BAD page=N want=G got=I/G/C     a page that failed its check
 *   WL verify pages=N bad=N            after a line "v" arrives on the console:
 *                                      every page checked once
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))
#define MAGIC 0x9e3779b97f4a7c15ULL
#define MAX_THREADS 64

static uint64_t *mem;
static uint32_t *gen;
static unsigned long npages;
static int nthreads;
static _Atomic unsigned long done[MAX_THREADS];
static _Atomic unsigned long bad;
/* Set while a verification pass runs: the workers pause. */
static _Atomic int paused;
static _Atomic int parked;

static uint64_t check_word(uint64_t idx, uint64_t g)
{
	return (idx * MAGIC) ^ (g << 17) ^ ~g;
}

static void write_page(unsigned long p)
{
	uint64_t *w = mem + p * WORDS;
	uint32_t g = ++gen[p];

	w[0] = p;
	w[1] = g;
	w[WORDS - 1] = check_word(p, g);
}

static int check_page(unsigned long p)
{
	uint64_t *w = mem + p * WORDS;

	if (w[0] == p && w[1] == gen[p] && w[WORDS - 1] == check_word(p, gen[p]))
		return 0;
	if (atomic_fetch_add(&bad, 1) < 20)
		printf("WL BAD page=%lu want=%u got=%llu/%llu/%llx\n", p, gen[p],
		       (unsigned long long)w[0], (unsigned long long)w[1],
		       (unsigned long long)w[WORDS - 1]);
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	unsigned long first = npages * id / nthreads;
	unsigned long n = npages * (id + 1) / nthreads - first;
	uint64_t x = 88172645463325252ULL ^ (id + 1) * MAGIC;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(id, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (;;) {
		for (int i = 0; i < 64; i++) {
			unsigned long p;

			/* xorshift64 */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p = first + x % n;
			check_page(p);
			write_page(p);
		}
		atomic_fetch_add(&done[id], 64);
		if (atomic_load(&paused)) {
			atomic_fetch_add(&parked, 1);
			while (atomic_load(&paused))
				usleep(1000);
			atomic_fetch_sub(&parked, 1);
		}
	}
	return NULL;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

static void verify_all(void)
{
	unsigned long nbad = 0;

	atomic_store(&paused, 1);
	while (atomic_load(&parked) < nthreads)
		usleep(1000);
	for (unsigned long p = 0; p < npages; p++)
		nbad += check_page(p);
	printf("WL verify pages=%lu bad=%lu\n", npages, nbad);
	atomic_store(&paused, 0);
}

int main(void)
{
	unsigned long mb = env_ul("wl_mb", 128), ms = env_ul("wl_ms", 100);
	pthread_t tid[MAX_THREADS];
	uint64_t t0, last_t;
	unsigned long last = 0;
	char line[64];
	int fd;

	if (getpid() == 1) {
		mkdir("/dev", 0755);
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
		fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	npages = mb * (1024 * 1024 / PAGE);
	mem = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gen = calloc(npages, sizeof(*gen));
	if (mem == MAP_FAILED || !gen) {
		printf("WL FAIL cannot allocate %lu MiB\n", mb);
		for (;;)
			pause();
	}
	for (unsigned long p = 0; p < npages; p++)
		write_page(p);
	printf("WL ready pages=%lu threads=%d\n", npages, nthreads);
	for (long i = 0; i < nthreads; i++)
		pthread_create(&tid[i], NULL, worker, (void *)i);

	t0 = last_t = now_ms();
	for (;;) {
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		unsigned long total = 0, t;

		if (poll(&pfd, 1, ms) > 0 && fgets(line, sizeof(line), stdin) &&
		    line[0] == 'v')
			verify_all();
		t = now_ms();
		if (t - last_t < ms)
			continue;
		for (int i = 0; i < nthreads; i++)
			total += atomic_load(&done[i]);
		printf("WL t=%llu n=%lu rate=%.1f bad=%lu\n",
		       (unsigned long long)(t - t0), total - last,
		       (double)(total - last) * PAGE / (1 << 20) * 1000 / (t - last_t),
		       atomic_load(&bad));
		last = total;
		last_t = t;
	}
}
