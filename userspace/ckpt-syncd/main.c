// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: options, the configuration file and the event loop.
 *
 *   ckpt-syncd [-f FILE] --local ADDR:PORT --peer ADDR:PORT [options]
 *   ckpt-syncd [--control PATH] -s|--status [--json]
 *   ckpt-syncd [--control PATH] -c|--commit
 *   ckpt-syncd [--control PATH] -r|--resync
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "syncd.h"
#include "util.h"

#define DEFAULT_CONTROL	"/run/ckpt-syncd.sock"
#define TICK_MS		10

struct options {
	char local[128];
	char peer[128];
	char control[108];	/* sun_path */
	unsigned long queue;
	unsigned long rto_ms;
	unsigned long keepalive_ms;
	unsigned long dead_ms;
	unsigned long rcvbuf;
	bool use_syslog;
	bool debug;
	bool json;
	const char *command;	/* a client command, or NULL for the daemon */
};

uint64_t syncd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum {
	OPT_LOCAL = 256,
	OPT_PEER,
	OPT_CONTROL,
	OPT_QUEUE,
	OPT_RTO,
	OPT_KEEPALIVE,
	OPT_DEAD,
	OPT_RCVBUF,
	OPT_SYSLOG,
	OPT_DEBUG,
	OPT_JSON,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "local", required_argument, NULL, OPT_LOCAL },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "rto", required_argument, NULL, OPT_RTO },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "dead", required_argument, NULL, OPT_DEAD },
	{ "event-buffer", required_argument, NULL, OPT_RCVBUF },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "status", no_argument, NULL, 's' },
	{ "commit", no_argument, NULL, 'c' },
	{ "resync", no_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: ckpt-syncd [-f|--config FILE] --local ADDR:PORT --peer ADDR:PORT\n"
		"                  [--control PATH] [--queue N] [--rto MS] [--keepalive MS]\n"
		"                  [--dead MS] [--event-buffer BYTES] [--syslog] [--debug]\n"
		"       ckpt-syncd [--control PATH] -s|--status [--json]\n"
		"       ckpt-syncd [--control PATH] -c|--commit\n"
		"       ckpt-syncd [--control PATH] -r|--resync\n"
		"       ckpt-syncd -h|--help\n");
}

static int option_number(const char *arg, const char *name, unsigned long min,
		  unsigned long max, unsigned long *out)
{
	if (parse_number(arg, max, out) || *out < min) {
		fprintf(stderr, "ckpt-syncd: %s must be a number from %lu to %lu, not \"%s\"\n",
			name, min, max, arg);
		return -1;
	}
	return 0;
}

static int config_file(const char *path, struct options *o);

static int set_command(struct options *o, const char *cmd)
{
	if (o->command && strcmp(o->command, cmd)) {
		fprintf(stderr, "ckpt-syncd: choose one of --status, --commit, --resync\n");
		return -1;
	}
	o->command = cmd;
	return 0;
}

static int copy(char *dst, size_t size, const char *arg, const char *name)
{
	if (strlen(arg) >= size) {
		fprintf(stderr, "ckpt-syncd: %s is too long: \"%s\"\n", name, arg);
		return -1;
	}
	strcpy(dst, arg);
	return 0;
}

static int apply_option(int c, const char *arg, struct options *o)
{
	switch (c) {
	case 'f':
		return config_file(arg, o);
	case OPT_LOCAL:
		return copy(o->local, sizeof(o->local), arg, "local");
	case OPT_PEER:
		return copy(o->peer, sizeof(o->peer), arg, "peer");
	case OPT_CONTROL:
		return copy(o->control, sizeof(o->control), arg, "control");
	case OPT_QUEUE:
		return option_number(arg, "queue", 64, 1u << 20, &o->queue);
	case OPT_RTO:
		return option_number(arg, "rto", 1, 1000, &o->rto_ms);
	case OPT_KEEPALIVE:
		return option_number(arg, "keepalive", 10, 60000, &o->keepalive_ms);
	case OPT_DEAD:
		return option_number(arg, "dead", 20, 600000, &o->dead_ms);
	case OPT_RCVBUF:
		return option_number(arg, "event-buffer", 65536, 1u << 30, &o->rcvbuf);
	case OPT_SYSLOG:
		o->use_syslog = true;
		return 0;
	case OPT_DEBUG:
		o->debug = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case 's':
		return set_command(o, "status");
	case 'c':
		return set_command(o, "commit");
	case 'r':
		return set_command(o, "resync");
	case 'h':
		print_usage(stdout);
		exit(0);
	}
	print_usage(stderr);
	return -1;
}

/*
 * The configuration file: one option a line, "name value" with the long
 * option's name ("local 10.0.0.1:3780"), "#" starting a comment.
 */
static int config_file(const char *path, struct options *o)
{
	char line[512], *name, *value, *save;
	const struct option *opt;
	unsigned int lineno = 0;
	int err = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "ckpt-syncd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "#\n")] = '\0';
		name = strtok_r(line, " \t", &save);
		if (!name)
			continue;
		value = strtok_r(NULL, " \t", &save);
		for (opt = long_options; opt->name; opt++)
			if (!strcmp(opt->name, name))
				break;
		if (!opt->name || opt->val == 'f' || opt->val < 256 ||
		    (opt->has_arg == required_argument) != !!value ||
		    strtok_r(NULL, " \t", &save)) {
			fprintf(stderr, "ckpt-syncd: %s:%u: not an option line: \"%s\"\n",
				path, lineno, name);
			err = -1;
			break;
		}
		err = apply_option(opt->val, value, o);
	}
	fclose(f);
	return err;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int c;

	while ((c = getopt_long(argc, argv, "f:scrh", long_options, NULL)) != -1)
		if (apply_option(c, optarg, o))
			return -1;
	if (optind != argc) {
		fprintf(stderr, "ckpt-syncd: unexpected argument \"%s\"\n",
			argv[optind]);
		return -1;
	}
	if (o->dead_ms <= o->keepalive_ms) {
		fprintf(stderr, "ckpt-syncd: dead (%lu ms) must be longer than keepalive (%lu ms)\n",
			o->dead_ms, o->keepalive_ms);
		return -1;
	}
	if (!*o->control) {
		fprintf(stderr, "ckpt-syncd: control needs a path\n");
		return -1;
	}
	if (!o->command && (!*o->local || !*o->peer)) {
		fprintf(stderr, "ckpt-syncd: the daemon needs --local and --peer\n");
		print_usage(stderr);
		return -1;
	}
	return 0;
}

/* "ADDR:PORT" or "[ADDR6]:PORT" into an address. */
static int resolve(const char *spec, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(spec, ':');
	struct addrinfo *ai;
	size_t hl;

	if (!colon || colon == spec)
		return -1;
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl > 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (!strcmp(colon + 1, "0") || getaddrinfo(host, colon + 1, &hints, &ai))
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int open_link_socket(const struct options *o,
			    struct sockaddr_storage *peer, socklen_t *peer_len)
{
	struct sockaddr_storage local;
	socklen_t local_len;
	int fd, buf = 4 << 20;

	if (resolve(o->local, &local, &local_len)) {
		log_err("config local=%s reason=\"not ADDR:PORT, with a port from 1 to 65535\"",
			o->local);
		return -1;
	}
	if (resolve(o->peer, peer, peer_len) ||
	    peer->ss_family != local.ss_family) {
		log_err("config peer=%s reason=\"not an ADDR:PORT of the local address's family\"",
			o->peer);
		return -1;
	}
	fd = socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/*
	 * The window (256 messages) must fit in the peer's buffer while it
	 * is busy: rmem_max (208 KiB by default) holds about 90.  Past the
	 * limits, as root may; within them otherwise.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&local, local_len)) {
		log_err("config local=%s reason=\"bind: %s\"", o->local,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int open_timer(void)
{
	struct itimerspec its = {
		.it_interval.tv_nsec = TICK_MS * 1000000L,
		.it_value.tv_nsec = TICK_MS * 1000000L,
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd >= 0)
		timerfd_settime(fd, 0, &its, NULL);
	return fd;
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

struct loop {
	int ep, timer, sig, control;
};

/* A signal: false when the daemon should stop. */
static bool on_signal(int fd)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGHUP) {
			log_info("stopping signal=%u", si.ssi_signo);
			return false;
		}
		log_info("sighup reason=\"nothing to reload; options are read at start\"");
	}
	return true;
}

static void on_kernel_events(struct syncd *d)
{
	if (kernel_read_events(&d->kernel, syncd_on_event, d) == -ENOBUFS) {
		d->event_overruns++;
		d->resync_due = true;
		d->resync_reason = "the kernel dropped events (socket overrun)";
	}
	if (kernel_read_notifications(&d->kernel, syncd_on_event, d) == -ENOBUFS) {
		d->event_overruns++;
		d->resync_due = true;
		d->resync_reason = "the kernel dropped notifications (socket overrun)";
	}
}

static void run(struct syncd *d, struct loop *lp)
{
	struct epoll_event evs[8];
	uint64_t now, ticks, last_expiry = 0;
	bool running = true;
	int i, n, fd;

	while (running) {
		n = epoll_wait(lp->ep, evs, 8, -1);
		if (n < 0 && errno != EINTR)
			break;
		now = syncd_now_ms();
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			/* A stop, once read, is not undone by a later event. */
			if (fd == lp->sig) {
				if (!on_signal(fd))
					running = false;
			} else if (fd == lp->timer) {
				if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					running = false;
			} else if (fd == lp->control) {
				control_serve(d, fd);
			} else if (fd == d->link.fd) {
				link_receive(&d->link, now);
			} else if (fd == d->feed.fd) {
				feed_io(d, evs[i].events);
			} else if (fd == mnl_socket_get_fd(d->kernel.genl)) {
				kernel_drain_reports(&d->kernel);
			} else {
				on_kernel_events(d);
			}
		}
		if (d->link.overflowed) {
			d->resync_due = true;
			d->resync_reason = "the queue to the peer overflowed";
		}
		if (d->resync_due)
			syncd_resync(d);
		/* What ran may have stamped the link with times after NOW. */
		now = syncd_now_ms();
		link_flush(&d->link, now);
		link_tick(&d->link, now);
		if (now - last_expiry >= 1000) {
			maps_expire(d);
			last_expiry = now;
		}
	}
}

static int setup_loop(struct syncd *d, struct loop *lp, const char *control)
{
	lp->ep = epoll_create1(EPOLL_CLOEXEC);
	d->ep = lp->ep;
	lp->timer = open_timer();
	lp->sig = open_signals();
	lp->control = control_listen(control);
	if (lp->ep < 0 || lp->timer < 0 || lp->sig < 0 || lp->control < 0)
		return -1;
	if (add_fd(lp->ep, lp->timer) || add_fd(lp->ep, lp->sig) ||
	    add_fd(lp->ep, lp->control) || add_fd(lp->ep, d->link.fd) ||
	    add_fd(lp->ep, mnl_socket_get_fd(d->kernel.events)) ||
	    add_fd(lp->ep, mnl_socket_get_fd(d->kernel.ntf)) ||
	    add_fd(lp->ep, mnl_socket_get_fd(d->kernel.genl)))
		return -1;
	return 0;
}

static int daemon_main(const struct options *o)
{
	static struct syncd d;
	struct sockaddr_storage peer;
	struct loop lp = { -1, -1, -1, -1 };
	socklen_t peer_len;
	int fd, ret = 1;

	d.feed.fd = -1;
	/* Until it runs, the daemon says what is wrong where it was started. */
	log_open("ckpt-syncd", false, o->debug);
	fd = open_link_socket(o, &peer, &peer_len);
	if (fd < 0)
		return 1;
	if (cache_init(&d.internal) || cache_init(&d.external) ||
	    link_init(&d.link, fd, &peer, peer_len, (uint32_t)o->queue,
		      &syncd_link_ops, &d))
		return 1;
	d.link.rto_min_ms = (uint32_t)o->rto_ms;
	d.link.rto_ms = (uint32_t)o->rto_ms;
	d.link.keepalive_ms = (uint32_t)o->keepalive_ms;
	d.link.dead_ms = (uint32_t)o->dead_ms;
	if (kernel_open(&d.kernel, (unsigned int)o->rcvbuf))
		goto out;
	if (setup_loop(&d, &lp, o->control)) {
		log_err("start reason=\"cannot set up the event loop: %s\"",
			strerror(errno));
		goto out;
	}

	if (o->use_syslog)
		log_open("ckpt-syncd", true, o->debug);
	log_info("started local=%s peer=%s control=%s mark=0x%08x",
		 o->local, o->peer, o->control, d.kernel.mark_bit);
	d.resync_reason = "start";
	syncd_resync(&d);
	run(&d, &lp);
	ret = 0;
	unlink(o->control);
out:
	feed_close(&d, "stopping");
	free(d.feed.out);
	maps_clear(&d.maps_local);
	maps_clear(&d.maps_peer);
	kernel_close(&d.kernel);
	link_destroy(&d.link);
	cache_destroy(&d.internal);
	cache_destroy(&d.external);
	free(d.reports);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	struct options o = {
		.control = DEFAULT_CONTROL,
		.queue = 65536,
		.rto_ms = 50,
		.keepalive_ms = 250,
		.dead_ms = 3000,
		.rcvbuf = 16 << 20,
	};

	if (parse_args(argc, argv, &o))
		return 2;
	if (o.command) {
		if (!strcmp(o.command, "status") && o.json)
			return control_request(o.control, "status-json");
		return control_request(o.control, o.command);
	}
	return daemon_main(&o);
}
