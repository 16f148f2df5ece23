// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: the pcpd feed.  pcpd connects to the control socket, says
 * "feed", and the connection stays open, one text line a message:
 *
 *   pcpd -> ckpt-syncd   begin, then "map" for each of its check-pointed
 *                        mappings, then end (so that any mapping it no
 *                        longer has is dropped); afterwards "map" and
 *                        "unmap" as they change
 *   ckpt-syncd -> pcpd   "peer-map" and "peer-unmap" for the peer's
 *                        mappings, "synced" (key only) once the peer has
 *                        acknowledged one of pcpd's, and "takeover" once
 *                        this node has committed: pcpd then makes the
 *                        peer's its own
 *
 * The fields are those of mapline.h.  A bad line is logged, counted and
 * skipped; the connection stays.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "syncd.h"
#include "util.h"

/* A pcpd that reads nothing of this is cut; it resends all when back. */
#define FEED_OUT_MAX	(4u << 20)

static void feed_watch(struct syncd *d)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (d->feed.out_len ? EPOLLOUT : 0),
		.data.fd = d->feed.fd,
	};

	epoll_ctl(d->ep, EPOLL_CTL_MOD, d->feed.fd, &ev);
}

void feed_close(struct syncd *d, const char *why)
{
	if (d->feed.fd < 0)
		return;
	log_info("pcpd-feed state=closed reason=\"%s\" local_maps=%zu",
		 why, d->maps_local.count);
	epoll_ctl(d->ep, EPOLL_CTL_DEL, d->feed.fd, NULL);
	close(d->feed.fd);
	d->feed.fd = -1;
	d->feed.in_len = 0;
	d->feed.out_len = 0;
}

static void flush_out(struct syncd *d)
{
	struct feed *f = &d->feed;
	ssize_t n;

	while (f->out_len) {
		n = send(f->fd, f->out, f->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			feed_close(d, strerror(errno));
			return;
		}
		memmove(f->out, f->out + n, f->out_len - (size_t)n);
		f->out_len -= (size_t)n;
	}
	feed_watch(d);
}

static void put_line(struct syncd *d, const char *line, size_t len)
{
	struct feed *f = &d->feed;
	char *out;

	if (f->fd < 0)
		return;
	if (f->out_len + len > f->out_cap) {
		size_t cap = f->out_cap ? 2 * f->out_cap : 65536;

		while (cap < f->out_len + len)
			cap *= 2;
		out = cap > FEED_OUT_MAX ? NULL : realloc(f->out, cap);
		if (!out) {
			feed_close(d, "pcpd does not read what it is sent");
			return;
		}
		f->out = out;
		f->out_cap = cap;
	}
	memcpy(f->out + f->out_len, line, len);
	f->out_len += len;
	flush_out(d);
}

void feed_send(struct syncd *d, const char *verb, const struct map_record *r)
{
	char line[MAP_LINE_MAX];
	bool key_only = !strcmp(verb, "peer-unmap") || !strcmp(verb, "synced");

	put_line(d, line, map_line_format(line, verb, r, key_only));
}

static bool send_peer_map(void *arg, struct map_entry *e)
{
	struct syncd *d = arg;
	struct map_record r = maps_now(e, syncd_now_ms());

	feed_send(d, "peer-map", &r);
	return false;
}

/* Once pcpd holds the peer's mappings, a committed takeover is its. */
static void hand_over(struct syncd *d)
{
	if (d->feed.fd < 0)
		return;
	log_info("takeover-handed maps=%zu", d->maps_peer.count);
	put_line(d, "takeover\n", strlen("takeover\n"));
	maps_clear(&d->maps_peer);
	d->takeover_pending = false;
}

void feed_takeover(struct syncd *d)
{
	d->takeover_pending = true;
	if (d->feed.fd < 0 && d->maps_peer.count)
		log_warning("takeover-waiting maps=%zu reason=\"%s\"", d->maps_peer.count,
			    "pcpd is not connected; they are handed over when it connects");
	if (d->feed.fd < 0)
		return;
	hand_over(d);
}

void feed_attach(struct syncd *d, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	feed_close(d, "a new pcpd connected");
	if (epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev)) {
		log_err("pcpd-feed reason=\"epoll: %s\"", strerror(errno));
		close(fd);
		return;
	}
	d->feed.fd = fd;
	log_info("pcpd-feed state=open peer_maps=%zu", d->maps_peer.count);
	maps_walk(&d->maps_peer, send_peer_map, d);
	if (d->takeover_pending)
		hand_over(d);
}

static bool drop_unseen(void *arg, struct map_entry *e)
{
	struct syncd *d = arg;

	if (e->gen == d->local_gen)
		return false;
	link_put_map(&d->link, SYNC_REC_MAP_DELETE, &e->r, syncd_now_ms());
	return true;
}

static bool on_line(void *arg, char *line)
{
	struct syncd *d = arg;
	char *fields = strchr(line, ' ');
	struct map_record r;
	struct map_entry *e;
	const char *why;
	uint32_t seq;
	bool unmap;

	if (fields)
		*fields++ = '\0';
	if (!strcmp(line, "begin") && !fields) {
		d->local_gen++;
		return true;
	}
	if (!strcmp(line, "end") && !fields) {
		size_t n = maps_walk(&d->maps_local, drop_unseen, d);

		log_info("pcpd-feed state=synced local_maps=%zu dropped=%zu",
			 d->maps_local.count, n);
		return true;
	}
	unmap = !strcmp(line, "unmap");
	if (!fields || (!unmap && strcmp(line, "map"))) {
		why = "unknown command";
		goto bad;
	}
	if (map_line_parse(fields, unmap, &r, &why))
		goto bad;
	if (unmap) {
		maps_delete(&d->maps_local, &r);
		link_put_map(&d->link, SYNC_REC_MAP_DELETE, &r, syncd_now_ms());
		return true;
	}
	e = maps_update(&d->maps_local, &r, syncd_now_ms());
	seq = link_put_map(&d->link, SYNC_REC_MAP_UPDATE, &r, syncd_now_ms());
	if (e) {
		e->gen = d->local_gen;
		e->seq = seq;
		e->confirmed = false;
		d->maps_waiting = true;
	}
	return true;
bad:
	d->feed.malformed++;
	log_warning("pcpd-feed-refused reason=\"%s\" command=\"%.32s\"", why, line);
	return true;
}

void feed_io(struct syncd *d, uint32_t events)
{
	struct feed *f = &d->feed;
	ssize_t n;

	if (events & EPOLLOUT)
		flush_out(d);
	if (f->fd < 0 || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv(f->fd, f->in + f->in_len, sizeof(f->in) - f->in_len,
		 MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		feed_close(d, n ? strerror(errno) : "pcpd closed it");
		return;
	}
	if (n < 0)
		return;
	f->in_len = split_lines(f->in, f->in_len + (size_t)n, on_line, d);
	if (f->in_len == sizeof(f->in)) {
		d->feed.malformed++;
		feed_close(d, "a line longer than the buffer");
	}
}

struct confirm {
	struct syncd *d;
	uint32_t upto;
	bool waiting;
};

static bool confirm_one(void *arg, struct map_entry *e)
{
	struct confirm *c = arg;

	if (e->confirmed)
		return false;
	if (e->seq && e->seq <= c->upto) {
		e->confirmed = true;
		feed_send(c->d, "synced", &e->r);
	} else {
		c->waiting = true;
	}
	return false;
}

/*
 * The peer holds every message up to UPTO: pcpd hears of each of its
 * mappings updated in one of them, so that it can answer its client
 * (RFC 7767 section 3.2: check-point on the backup before answering).
 */
void feed_confirm(struct syncd *d, uint32_t upto)
{
	struct confirm c = { .d = d, .upto = upto };

	if (!d->maps_waiting)
		return;
	maps_walk(&d->maps_local, confirm_one, &c);
	d->maps_waiting = c.waiting;
}

static bool expire_local(void *arg, struct map_entry *e)
{
	(void)arg;
	return !maps_now(e, syncd_now_ms()).lifetime;
}

static bool expire_peer(void *arg, struct map_entry *e)
{
	if (!expire_local(arg, e))
		return false;
	feed_send(arg, "peer-unmap", &e->r);
	return true;
}

/* Mappings whose lifetime has run out go, in case nobody said so. */
void maps_expire(struct syncd *d)
{
	maps_walk(&d->maps_local, expire_local, d);
	maps_walk(&d->maps_peer, expire_peer, d);
}
