/*
 * linkem: a userspace impaired link. It bridges two interfaces at layer 2 (AF_PACKET), so ARP, ICE,
 * DTLS and TCP cross it untouched, and applies per direction a one-way delay, uniform jitter (order
 * kept, as on a real path), random or bursty (Gilbert-Elliott) loss, and optionally drops all UDP
 * (a firewall). Why userspace: this kernel has no netem and the machine no iptables/nftables.
 * Why C: a forwarded packet costs ~2 µs here, against ~60 µs for the same loop in Python.
 *
 *   linkem IF_A IF_B [SEED]
 *
 * stdin, one command a line (answers "ok" or "error: ..." on stdout):
 *   set ab|ba|both [delay=MS] [jitter=MS] [loss=PCT] [burst=MEAN_FRAMES] [udp=pass|drop]
 *   stats            one JSON line of counters per direction
 * "ready" is printed once both sockets are bound. Exits when stdin closes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 16384 /* frames queued per direction: 16 s of a 1000 pkt/s flow at 1 s delay would not fit; 2 s does */
#define FRAME_MAX 2048

typedef struct {
	double delay_us, jitter_us, loss, burst; /* loss as a fraction; burst = mean loss run (0: Bernoulli) */
	int drop_udp;
	int bad; /* Gilbert-Elliott: in the bad (losing) state */
	int64_t last_release;
	uint64_t in, lost, udp_dropped, overflow, out, bytes_out;
	int head, tail;
	int64_t when[SLOTS];
	uint16_t len[SLOTS];
	unsigned char *frames;
	int from, to; /* sockets */
} direction;

static uint64_t rng_state;
/* xorshift64*: reproducible runs from a seed, and cheap */
static double rnd(void) {
	rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
	return (double)((rng_state * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

static int64_t now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int open_if(const char *name) {
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if(s < 0) { perror("socket"); exit(2); }
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = if_nametoindex(name) };
	if(sll.sll_ifindex == 0) { fprintf(stderr, "linkem: no interface %s\n", name); exit(2); }
	if(bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) { perror("bind"); exit(2); }
	int buf = 4 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return s;
}

static int is_udp(const unsigned char *f, int n) {
	return n >= 34 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 17;
}

/* One frame's fate: Bernoulli, or a two-state chain whose mean loss and mean run match the settings */
static int lose(direction *d) {
	if(d->loss <= 0) return 0;
	if(d->burst <= 1) return rnd() < d->loss;
	double r = 1.0 / d->burst, p = d->loss / (d->burst * (1.0 - d->loss));
	if(d->bad) { if(rnd() < r) d->bad = 0; }
	else if(rnd() < p) d->bad = 1;
	return d->bad;
}

static void receive(direction *d) {
	for(;;) {
		int slot = d->tail;
		unsigned char *f = d->frames + (size_t)slot * FRAME_MAX;
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(d->from, f, FRAME_MAX, 0, (struct sockaddr *)&from, &fl);
		if(n < 0) return;
		if(from.sll_pkttype == PACKET_OUTGOING) continue; /* our own sends, seen again on the socket */
		d->in++;
		if(d->drop_udp && is_udp(f, (int)n)) { d->udp_dropped++; continue; }
		if(lose(d)) { d->lost++; continue; }
		int next = (slot + 1) % SLOTS;
		if(next == d->head) { d->overflow++; continue; }
		int64_t t = now_us() + (int64_t)d->delay_us;
		if(d->jitter_us > 0) t += (int64_t)((rnd() * 2 - 1) * d->jitter_us);
		if(t < d->last_release) t = d->last_release; /* order kept */
		d->last_release = t;
		d->when[slot] = t;
		d->len[slot] = (uint16_t)n;
		d->tail = next;
	}
}

static void release(direction *d, int64_t now) {
	while(d->head != d->tail && d->when[d->head] <= now) {
		const unsigned char *f = d->frames + (size_t)d->head * FRAME_MAX;
		if(send(d->to, f, d->len[d->head], 0) == d->len[d->head]) { d->out++; d->bytes_out += d->len[d->head]; }
		else d->overflow++;
		d->head = (d->head + 1) % SLOTS;
	}
}

static int configure(direction *d, char *args) {
	for(char *tok = strtok(args, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
		char *eq = strchr(tok, '=');
		if(!eq) return -1;
		*eq = 0;
		const char *v = eq + 1;
		char *end;
		double x = strtod(v, &end);
		int numeric = end != v && *end == 0 && x >= 0;
		if(!strcmp(tok, "delay") && numeric) d->delay_us = x * 1000;
		else if(!strcmp(tok, "jitter") && numeric) d->jitter_us = x * 1000;
		else if(!strcmp(tok, "loss") && numeric && x < 100) d->loss = x / 100;
		else if(!strcmp(tok, "burst") && numeric) d->burst = x;
		else if(!strcmp(tok, "udp") && (!strcmp(v, "drop") || !strcmp(v, "pass"))) d->drop_udp = !strcmp(v, "drop");
		else return -1;
	}
	if(d->jitter_us > d->delay_us) d->jitter_us = d->delay_us;
	return 0;
}

static void print_stats(const char *name, const direction *d, const char *sep) {
	printf("\"%s\":{\"in\":%lu,\"lost\":%lu,\"udpDropped\":%lu,\"overflow\":%lu,\"out\":%lu,\"bytesOut\":%lu,\"queued\":%d,"
		"\"delayMs\":%g,\"jitterMs\":%g,\"lossPct\":%g,\"burst\":%g,\"udp\":\"%s\"}%s",
		name, d->in, d->lost, d->udp_dropped, d->overflow, d->out, d->bytes_out, (d->tail - d->head + SLOTS) % SLOTS,
		d->delay_us / 1000, d->jitter_us / 1000, d->loss * 100, d->burst, d->drop_udp ? "drop" : "pass", sep);
}

static void command(char *line, direction *ab, direction *ba) {
	char copy[512];
	snprintf(copy, sizeof(copy), "%s", line);
	if(!strncmp(line, "stats", 5)) {
		printf("{");
		print_stats("ab", ab, ",");
		print_stats("ba", ba, "}\n");
	} else if(!strncmp(line, "set ", 4)) {
		char *which = line + 4, *args = strchr(which, ' ');
		if(!args) { printf("error: set ab|ba|both key=value...\n"); fflush(stdout); return; }
		*args++ = 0;
		direction tmp_ab = *ab, tmp_ba = *ba;
		int both = !strcmp(which, "both"), ok = 0;
		char args2[512];
		snprintf(args2, sizeof(args2), "%s", args);
		if(both || !strcmp(which, "ab")) ok |= configure(&tmp_ab, args) ? 2 : 1;
		if(both || !strcmp(which, "ba")) ok |= configure(&tmp_ba, both ? args2 : args) ? 2 : 1;
		if(ok != 1) { printf("error: bad setting in '%s'\n", copy); fflush(stdout); return; }
		/* only the settings are copied back: the queues move on untouched */
		ab->delay_us = tmp_ab.delay_us; ab->jitter_us = tmp_ab.jitter_us; ab->loss = tmp_ab.loss; ab->burst = tmp_ab.burst; ab->drop_udp = tmp_ab.drop_udp;
		ba->delay_us = tmp_ba.delay_us; ba->jitter_us = tmp_ba.jitter_us; ba->loss = tmp_ba.loss; ba->burst = tmp_ba.burst; ba->drop_udp = tmp_ba.drop_udp;
		printf("ok\n");
	} else {
		printf("error: unknown command '%s'\n", copy);
	}
	fflush(stdout);
}

int main(int argc, char **argv) {
	if(argc < 3) { fprintf(stderr, "usage: linkem IF_A IF_B [SEED]\n"); return 2; }
	signal(SIGPIPE, SIG_IGN);
	/* The kernel may wake a sleeper up to 50 µs late by default; a delay line wants its wake-ups on time */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	if(rng_state == 0) rng_state = 1;
	static direction ab, ba;
	int a = open_if(argv[1]), b = open_if(argv[2]);
	ab.from = a; ab.to = b; ba.from = b; ba.to = a;
	ab.frames = malloc((size_t)SLOTS * FRAME_MAX);
	ba.frames = malloc((size_t)SLOTS * FRAME_MAX);
	if(!ab.frames || !ba.frames) return 2;
	printf("ready\n");
	fflush(stdout);
	char line[512];
	size_t have = 0;
	for(;;) {
		int64_t now = now_us(), next = -1;
		direction *ds[2] = { &ab, &ba };
		for(int i = 0; i < 2; i++)
			if(ds[i]->head != ds[i]->tail && (next < 0 || ds[i]->when[ds[i]->head] < next)) next = ds[i]->when[ds[i]->head];
		struct timespec wait = { 1, 0 };
		if(next >= 0) {
			int64_t w = next > now ? next - now : 0;
			wait.tv_sec = w / 1000000;
			wait.tv_nsec = (w % 1000000) * 1000;
		}
		struct pollfd fds[3] = { { a, POLLIN, 0 }, { b, POLLIN, 0 }, { 0, POLLIN, 0 } };
		if(ppoll(fds, 3, &wait, NULL) < 0 && errno != EINTR) { perror("ppoll"); return 2; }
		if(fds[0].revents & POLLIN) receive(&ab);
		if(fds[1].revents & POLLIN) receive(&ba);
		if(fds[2].revents) {
			ssize_t n = read(0, line + have, sizeof(line) - 1 - have);
			if(n <= 0) return 0; /* the harness went away: so does the link */
			have += (size_t)n;
			line[have] = 0;
			char *nl;
			while((nl = strchr(line, '\n')) != NULL) {
				*nl = 0;
				command(line, &ab, &ba);
				memmove(line, nl + 1, have - (size_t)(nl + 1 - line) + 1);
				have -= (size_t)(nl + 1 - line);
			}
			if(have == sizeof(line) - 1) have = 0; /* an endless line: dropped */
		}
		now = now_us();
		release(&ab, now);
		release(&ba, now);
	}
}
