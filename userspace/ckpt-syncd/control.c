// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: the control socket.  A client connects, writes one command
 * line and reads the answer until the daemon closes the connection:
 *
 *   status       key=value lines
 *   status-json  one JSON object
 *   commit       commit the external cache; answers when it is done
 *   resync       ask the peer for its whole state again
 *   feed         pcpd's connection, which stays open (feed.c)
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "syncd.h"
#include "util.h"

int control_listen(const char *path)
{
	int fd = ctl_listen(path);

	if (fd < 0) {
		log_err("control path=%s reason=\"%s\"", path, strerror(-fd));
		return -1;
	}
	return fd;
}

static const char *peer_state(const struct syncd *d)
{
	return d->link.peer_up ? "up" : "down";
}

struct counter {
	const char *name;
	unsigned long long value;
};

static void put_counters(FILE *f, const struct counter *c, size_t n,
			 bool json)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (json)
			fprintf(f, ",\"%s\":%llu", c[i].name, c[i].value);
		else
			fprintf(f, "%s=%llu\n", c[i].name, c[i].value);
	}
}

static void put_status(const struct syncd *d, FILE *f, bool json)
{
	const struct link_stats *s = &d->link.stats;
	const struct commit_result *r = &d->last_commit;
	uint64_t now = syncd_now_ms();
	const struct counter link[] = {
		{ "queued", link_queued(&d->link) },
		{ "held", link_held(&d->link) },
		{ "lag_ms", link_oldest_unacked_ms(&d->link, now) },
		{ "rto_ms", d->link.rto_ms },
		{ "srtt_ms", d->link.srtt_us / 1000 },
		{ "data_age_ms", d->link.last_data_ms ? now - d->link.last_data_ms : 0 },
		{ "internal", d->internal.count },
		{ "external", d->external.count },
		{ "maps_local", d->maps_local.count },
		{ "maps_peer", d->maps_peer.count },
		{ "pcpd_connected", d->feed.fd >= 0 },
		{ "pcpd_malformed", d->feed.malformed },
		{ "sent", s->sent },
		{ "retransmitted", s->retransmitted },
		{ "received", s->received },
		{ "duplicates", s->duplicates },
		{ "out_of_order", s->out_of_order },
		{ "malformed", s->malformed },
		{ "foreign", s->foreign },
		{ "sessions", s->sessions },
		{ "peer_sessions", s->peer_sessions },
		{ "overflows", s->overflows },
		{ "events", d->kernel.events_received },
		{ "event_overruns", d->event_overruns },
		{ "report_errors", d->kernel.report_errors },
		{ "resyncs_requested", d->resyncs_requested },
		{ "commits", d->commits },
		{ "commit_created", r->created },
		{ "commit_failed", r->failed },
		{ "commit_expired", r->expired },
		{ "commit_adopted", r->adopted },
		{ "commit_adopt_failed", r->adopt_failed },
		{ "commit_ms", r->ms },
		{ "commit_adopt_ms", r->adopt_ms },
	};

	if (json)
		fprintf(f, "{\"peer\":\"%s\",\"session\":\"%08x\",\"peer_session\":\"%08x\"",
			peer_state(d), d->link.session, d->link.peer_session);
	else
		fprintf(f, "peer=%s\nsession=%08x\npeer_session=%08x\n",
			peer_state(d), d->link.session, d->link.peer_session);
	put_counters(f, link, ARRAY_SIZE(link), json);
	if (json)
		fprintf(f, ",\"commit_error\":%d}\n", d->last_commit_err);
	else
		fprintf(f, "commit_error=%d\n", d->last_commit_err);
}

static void run_command(struct syncd *d, const char *cmd, FILE *f)
{
	char result[256];

	if (!strcmp(cmd, "status")) {
		put_status(d, f, false);
	} else if (!strcmp(cmd, "status-json")) {
		put_status(d, f, true);
	} else if (!strcmp(cmd, "commit")) {
		syncd_commit(d);
		commit_result_str(&d->last_commit, result, sizeof(result));
		fprintf(f, "committed %s error=%d\n", result, d->last_commit_err);
	} else if (!strcmp(cmd, "resync")) {
		d->link.want_resync = true;
		fprintf(f, "resync requested\n");
	} else {
		fprintf(f, "error unknown command \"%s\"\n", cmd);
	}
}

/*
 * The command line, and only it: what follows is pcpd's feed.  -1 when
 * none came in time.
 */
static int read_command(int fd, char *cmd, size_t size)
{
	ssize_t n = recv(fd, cmd, size - 1, MSG_PEEK);
	size_t len;

	if (n <= 0)
		return -1;
	cmd[n] = '\0';
	len = strcspn(cmd, "\n");
	if (len < (size_t)n)
		len++;
	if (recv(fd, cmd, len, 0) != (ssize_t)len)
		return -1;
	cmd[len] = '\0';
	cmd[strcspn(cmd, "\r\n")] = '\0';
	return 0;
}

/* One client, one command; a client that does not write in time is cut. */
void control_serve(struct syncd *d, int lfd)
{
	struct timeval tv = { .tv_sec = 1 };
	char cmd[64];
	FILE *f;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (read_command(fd, cmd, sizeof(cmd))) {
			close(fd);
			continue;
		}
		if (!strcmp(cmd, "feed")) {
			feed_attach(d, fd);
			continue;
		}
		f = fdopen(fd, "w");
		if (!f) {
			close(fd);
			continue;
		}
		run_command(d, cmd, f);
		fclose(f);
	}
}

/*
 * The client side: send CMD, copy the answer to stdout.  A commit takes
 * as long as it takes (keepalived's notify waits for it), and exits 1
 * unless it ended with error=0; anything else is answered at once by a
 * daemon that is not stuck.
 */
int control_request(const char *path, const char *cmd)
{
	char answer[512];

	if (strcmp(cmd, "commit"))
		return ctl_request("ckpt-syncd", path, cmd, 30, NULL, 0);
	if (ctl_request("ckpt-syncd", path, cmd, 0, answer, sizeof(answer)))
		return 1;
	if (!strstr(answer, " error=0\n")) {
		fflush(stdout);
		fprintf(stderr, "ckpt-syncd: the commit failed or was cut short\n");
		return 1;
	}
	return 0;
}
