// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd's side of replication: its check-pointed mappings go to the local
 * ckpt-syncd, which replicates them to the peer; the peer's come back and
 * are kept on standby (in the table, in nftables and in nf_ckpt, so that
 * nothing is left to install at takeover).  When this node takes over,
 * ckpt-syncd says "takeover": the standby mappings become pcpd's own, and
 * the epoch starts again, announced to the clients (RFC 6887 sections
 * 8.5 and 14.1.3), since mappings that were not check-pointed are gone.
 * The lines are those of mapline.h; see ckpt-syncd(8), "The pcpd feed".
 */

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mapline.h"
#include "pcpd.h"
#include "util.h"

#define RETRY_MS	1000
#define ANNOUNCEMENTS	10	/* RFC 6887 section 14.1.3: up to ten */
#define ANNOUNCE_FIRST_MS 250

void replica_init(struct pcpd *d, const char *path)
{
	d->replica.path = path;
	d->replica.fd = -1;
}

void replica_close(struct pcpd *d)
{
	if (d->replica.fd < 0)
		return;
	close(d->replica.fd);
	d->replica.fd = -1;
	d->replica.in_len = 0;
}

static void replica_lost(struct pcpd *d, const char *why)
{
	log_event("replica state=lost path=%s reason=\"%s\"", d->replica.path, why);
	replica_close(d);
	d->replica.retry_ms = now_ms() + RETRY_MS;
}

/* A whole line or nothing; a ckpt-syncd that does not read is left. */
static void send_line(struct pcpd *d, const char *line, size_t len)
{
	ssize_t n;

	if (d->replica.fd < 0)
		return;
	n = send(d->replica.fd, line, len, MSG_NOSIGNAL);
	if (n != (ssize_t)len)
		replica_lost(d, n < 0 ? strerror(errno) : "a line was cut");
}

/* A record's address into an in6_addr, IPv4-mapped for IPv4. */
struct in6_addr map_record_addr(const struct map_record *r, const uint8_t *a)
{
	struct in6_addr out = { 0 };

	if (r->family == AF_INET6) {
		memcpy(&out, a, 16);
	} else {
		out.s6_addr[10] = out.s6_addr[11] = 0xff;
		memcpy(out.s6_addr + 12, a, 4);
	}
	return out;
}

struct map_record map_record_of(const struct pcpd_mapping *m)
{
	bool v4 = pcpd_map_translated(m);
	size_t alen = v4 ? 4 : 16;
	struct map_record r = {
		.family = v4 ? AF_INET : AF_INET6,
		.proto = m->protocol,
		.internal_port = m->internal_port,
		.external_port = m->external_port,
		.owner = owner_of(m->subscriber),
	};
	uint64_t now = now_seconds();

	memcpy(r.internal, m->internal_addr.s6_addr + 16 - alen, alen);
	memcpy(r.external, m->external_addr.s6_addr + 16 - alen, alen);
	memcpy(r.nonce, m->nonce, MAP_NONCE_LEN);
	r.lifetime = m->expires > now ? (uint32_t)(m->expires - now) : 0;
	r.n_filters = m->n_filters;
	memcpy(r.filters, m->filters, sizeof(r.filters));
	return r;
}

void replica_map(struct pcpd *d, const struct pcpd_mapping *m)
{
	struct map_record r = map_record_of(m);
	char line[MAP_LINE_MAX];

	if (m->checkpoint && !m->standby)
		send_line(d, line, map_line_format(line, "map", &r, false));
}

void replica_unmap(struct pcpd *d, const struct pcpd_mapping *m)
{
	struct map_record r = map_record_of(m);
	char line[MAP_LINE_MAX];

	if (!m->standby)
		send_line(d, line, map_line_format(line, "unmap", &r, true));
}

static void connect_replica(struct pcpd *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 1 };
	struct pcpd_mapping *m;
	unsigned int i, n = 0;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", d->replica.path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		if (!d->replica.said_absent)
			log_event("replica state=absent path=%s reason=\"%s\"",
				  d->replica.path, strerror(errno));
		d->replica.said_absent = true;
		d->replica.retry_ms = now_ms() + RETRY_MS;
		if (fd >= 0)
			close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	d->replica.fd = fd;
	d->replica.said_absent = false;
	/* All of ours; ckpt-syncd drops what it had and we did not send. */
	send_line(d, "feed\nbegin\n", strlen("feed\nbegin\n"));
	for (i = 0; i < PCPD_MAP_BUCKETS; i++) {
		for (m = d->table.buckets[i]; m; m = m->next) {
			if (m->checkpoint && !m->standby) {
				replica_map(d, m);
				n++;
			}
		}
	}
	send_line(d, "end\n", strlen("end\n"));
	if (d->replica.fd >= 0)
		log_event("replica state=connected path=%s maps=%u",
			  d->replica.path, n);
}

void replica_poll(struct pcpd *d, uint64_t now)
{
	if (d->replica.path && d->replica.fd < 0 && now >= d->replica.retry_ms)
		connect_replica(d);
}

/* M goes, with its element, its rule and its replica. */
static void drop_mapping(struct pcpd *d, struct pcpd_mapping *m,
			 const char *why)
{
	struct pcpd_nft_mapping e = nft_of(m, 0);
	char ibuf[INET6_ADDRSTRLEN];

	pcpd_nft_del(&d->nft, &e);
	log_event("map-dropped internal=%s proto=%u port=%u external_port=%u why=\"%s\"",
		  addr_str(&m->internal_addr, ibuf), m->protocol,
		  m->internal_port, m->external_port, why);
	if (m->checkpoint)
		ckpt_release(d, m, why);
	replica_unmap(d, m);
	count_mapping(d, m->subscriber, -1);
	pcpd_map_remove(&d->table, m, now_seconds());
}

/*
 * What the peer sends must still fit this node's own policy: a TCP or UDP
 * mapping of a real internal host, to this node's external address and a
 * port it hands out, or for IPv6, of the host itself, untranslated, when
 * this node serves IPv6.  The reason it does not, or NULL.
 */
const char *map_record_invalid(const struct pcpd *d, struct map_record *r)
{
	const struct pcpd_map_config *cfg = &d->table.cfg;
	struct in6_addr internal = map_record_addr(r, r->internal);
	struct in6_addr external = map_record_addr(r, r->external);

	if (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
		return "not TCP or UDP";
	if (!host_addr(&internal))
		return "not a host address";
	if (!r->internal_port || !r->external_port)
		return "a port is 0";
	if (r->family == AF_INET6) {
		if (!d->cfg.listen6)
			return "IPv6, which this node does not serve (no IPv6 listen address)";
		if (memcmp(&internal, &external, sizeof(external)) ||
		    r->internal_port != r->external_port)
			return "an IPv6 mapping that is not the host's own address and port";
		if (r->proto == IPPROTO_UDP &&
		    (r->external_port == PCP_CLIENT_PORT || r->external_port == PCP_SERVER_PORT))
			return "an external port this node does not hand out";
		goto lifetime;
	}
	if (memcmp(&external, &cfg->external_addr, sizeof(external)))
		return "not this node's external address";
	if (r->external_port < cfg->port_min || r->external_port > cfg->port_max ||
	    r->external_port == PCP_CLIENT_PORT || r->external_port == PCP_SERVER_PORT)
		return "an external port this node does not hand out";
lifetime:
	if (!r->lifetime)
		return "lifetime 0";
	if (r->lifetime > cfg->lifetime_max)
		r->lifetime = cfg->lifetime_max;
	return NULL;
}

/*
 * The mapping a record describes, not yet installed, charged as a request
 * from its host would be, whatever the record's owner says.
 */
static struct pcpd_mapping mapping_of(const struct pcpd *d,
				      const struct map_record *r, bool standby)
{
	struct pcpd_mapping m = {
		.protocol = r->proto,
		.internal_port = r->internal_port,
		.external_port = r->external_port,
		.expires = now_seconds() + r->lifetime,
		.standby = standby,
		.internal_addr = map_record_addr(r, r->internal),
		.external_addr = map_record_addr(r, r->external),
	};

	m.subscriber = subscriber_id(d, &m.internal_addr);
	memcpy(m.nonce, r->nonce, PCP_NONCE_LEN);
	m.n_filters = r->n_filters;
	memcpy(m.filters, r->filters, sizeof(m.filters));
	return m;
}

/*
 * A mapping made elsewhere (the peer's, or this pcpd's before a restart):
 * its element, its rule when CHECKPOINT, then the table.  EVENT names the
 * log line.  Whether it is installed; nothing is left if not.
 */
bool map_record_install(struct pcpd *d, const struct map_record *r,
			bool standby, bool checkpoint, const char *event)
{
	struct pcpd_mapping m = mapping_of(d, r, standby);
	struct pcpd_nft_mapping e = nft_of(&m, elem_timeout(r->lifetime));
	struct pcpd_ckpt_rule rule = ckpt_rule(&m);
	struct pcpd_subscriber *sub;
	char ibuf[INET6_ADDRSTRLEN];
	const char *msg = NULL;
	int err;

	msg = pcpd_map_lookup(&d->table, &m.internal_addr, m.protocol, m.internal_port) ?
	      "a mapping of this internal endpoint exists" :
	      pcpd_map_translated(&m) &&
	      pcpd_map_by_external(&d->table, m.protocol, m.external_port) ?
	      "its external port is taken" : NULL;
	if (msg) {
		log_event("%s-refused internal=%s proto=%u port=%u external_port=%u reason=\"%s\"",
			  event, addr_str(&m.internal_addr, ibuf), m.protocol,
			  m.internal_port, m.external_port, msg);
		return false;
	}
	err = pcpd_nft_add(&d->nft, &e, NULL);
	if (err) {
		log_event("%s-failed internal=%s proto=%u port=%u reason=nftables:%s",
			  event, addr_str(&m.internal_addr, ibuf), m.protocol,
			  m.internal_port, strerror(-err));
		return false;
	}
	err = checkpoint ? pcpd_ckpt_rule_add(&d->ckpt, &rule, &msg) : 0;
	if (err)
		log_event("%s-checkpoint-failed internal=%s proto=%u port=%u reason=\"nf_ckpt: %s\"",
			  event, addr_str(&m.internal_addr, ibuf), m.protocol,
			  m.internal_port, msg ? msg : strerror(-err));
	m.checkpoint = checkpoint && !err;
	m.elem_expires = now_seconds() + e.timeout;
	sub = pcpd_subscriber_get(&d->subs, m.subscriber, now_ms());
	if (sub && m.checkpoint)
		sub->checkpointed++;
	if (!pcpd_map_insert(&d->table, &m)) {
		pcpd_nft_del(&d->nft, &e);
		if (m.checkpoint)
			ckpt_release(d, &m, "out of memory");
		return false;
	}
	count_mapping(d, m.subscriber, 1);
	log_event("%s internal=%s proto=%u port=%u external_port=%u lifetime=%u checkpoint=%s",
		  event, addr_str(&m.internal_addr, ibuf), m.protocol,
		  m.internal_port, m.external_port, r->lifetime,
		  m.checkpoint ? "yes" : "no");
	return true;
}

/* The peer's mapping, installed here ready for a takeover. */
static void standby_map(struct pcpd *d, const struct map_record *r)
{
	struct pcpd_mapping m = mapping_of(d, r, true);
	struct pcpd_nft_mapping e = nft_of(&m, elem_timeout(r->lifetime)), was;
	struct pcpd_mapping *old;
	bool same;

	old = pcpd_map_lookup(&d->table, &m.internal_addr, m.protocol,
			      m.internal_port);
	/* A refresh on the peer: the same mapping, with a new lifetime. */
	if (old && old->standby && old->external_port == m.external_port &&
	    !memcmp(&old->external_addr, &m.external_addr, sizeof(m.external_addr))) {
		same = map_filters_equal(old->filters, old->n_filters, m.filters,
					 m.n_filters);
		was = nft_of(old, 0);
		if ((m.expires <= old->elem_expires && same) ||
		    !pcpd_nft_add(&d->nft, &e, &was)) {
			if (m.expires > old->elem_expires || !same)
				old->elem_expires = now_seconds() + e.timeout;
			old->expires = m.expires;
			memcpy(old->nonce, m.nonce, PCP_NONCE_LEN);
			old->n_filters = m.n_filters;
			memcpy(old->filters, m.filters, sizeof(m.filters));
			return;
		}
	}
	/* The peer's view wins: it is the one clients were answered from. */
	if (old)
		drop_mapping(d, old, "replaced by the peer's");
	old = pcpd_map_translated(&m) ?
	      pcpd_map_by_external(&d->table, m.protocol, m.external_port) : NULL;
	if (old)
		drop_mapping(d, old, "its external port is the peer's");
	map_record_install(d, r, true, true, "standby-map");
}

static void standby_unmap(struct pcpd *d, const struct map_record *r)
{
	struct in6_addr internal = map_record_addr(r, r->internal);
	struct pcpd_mapping *m;

	m = pcpd_map_lookup(&d->table, &internal, r->proto, r->internal_port);
	if (m && m->standby)
		drop_mapping(d, m, "the peer dropped it");
}

/* This node is master now: the peer's mappings are ours; a new epoch. */
static void take_over(struct pcpd *d)
{
	struct pcpd_mapping *m;
	unsigned int i, n = 0;

	for (i = 0; i < PCPD_MAP_BUCKETS; i++) {
		for (m = d->table.buckets[i]; m; m = m->next) {
			if (!m->standby)
				continue;
			m->standby = false;
			replica_map(d, m);
			n++;
		}
	}
	d->start = now_seconds();
	d->epoch_base = 0;
	log_event("takeover epoch=0 mappings=%u adopted=%u", d->table.count, n);
	announce_start(d);
}

/* The peer holds one of our mappings: its answer may go. */
static void map_synced(struct pcpd *d, const struct map_record *r)
{
	struct in6_addr internal = map_record_addr(r, r->internal);
	struct pcpd_mapping *m;

	m = pcpd_map_lookup(&d->table, &internal, r->proto, r->internal_port);
	if (!m || m->standby || !m->unsynced)
		return;
	m->unsynced = false;
	pending_confirmed(d);
}

/* One line from ckpt-syncd; false once the connection is gone. */
static bool on_line(void *arg, char *line)
{
	struct pcpd *d = arg;
	char *fields = strchr(line, ' ');
	struct map_record r;
	const char *why = "unknown command";
	bool unmap;

	if (fields)
		*fields++ = '\0';
	if (!strcmp(line, "takeover") && !fields) {
		take_over(d);
		return d->replica.fd >= 0;
	}
	if (!strcmp(line, "synced") && fields &&
	    !map_line_parse(fields, true, &r, &why)) {
		map_synced(d, &r);
		return d->replica.fd >= 0;
	}
	unmap = !strcmp(line, "peer-unmap");
	if (fields && (unmap || !strcmp(line, "peer-map")) &&
	    !map_line_parse(fields, unmap, &r, &why)) {
		why = unmap ? NULL : map_record_invalid(d, &r);
		if (!why && unmap)
			standby_unmap(d, &r);
		else if (!why)
			standby_map(d, &r);
		if (!why)
			return d->replica.fd >= 0;
	}
	log_event("replica-refused reason=\"%s\" command=\"%.32s %.480s\"", why,
		  line, fields ? fields : "");
	return true;
}

void replica_input(struct pcpd *d)
{
	struct pcpd_replica *rp = &d->replica;
	ssize_t n;

	n = recv(rp->fd, rp->in + rp->in_len, sizeof(rp->in) - rp->in_len,
		 MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			replica_lost(d, n ? strerror(errno) : "ckpt-syncd closed it");
		return;
	}
	rp->in_len = split_lines(rp->in, rp->in_len + (size_t)n, on_line, d);
	if (rp->fd >= 0 && rp->in_len == sizeof(rp->in))
		replica_lost(d, "a line longer than the buffer");
}

void announce_start(struct pcpd *d)
{
	d->announce.left = ANNOUNCEMENTS;
	d->announce.next_ms = now_ms();
	d->announce.interval_ms = ANNOUNCE_FIRST_MS;
}

/* The interface holding local IPv6 address A, or 0. */
static unsigned int ifindex_of(const struct in6_addr *a)
{
	struct ifaddrs *list, *ifa;
	unsigned int index = 0;

	if (getifaddrs(&list))
		return 0;
	for (ifa = list; ifa && !index; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET6 &&
		    !memcmp(&((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, a,
			    sizeof(*a)))
			index = if_nametoindex(ifa->ifa_name);
	}
	freeifaddrs(list);
	return index;
}

/*
 * Socket FD's multicast goes out where its address is, to TO: 224.0.0.1
 * or ff02::1, port 5350 (RFC 6887 section 14.1.3).  0 or -1.
 */
static int announce_target(int fd, struct sockaddr_storage *to,
			   socklen_t *to_len, char *self_str)
{
	struct sockaddr_in6 *to6 = (struct sockaddr_in6 *)to;
	struct sockaddr_in *to4 = (struct sockaddr_in *)to;
	struct sockaddr_storage self;
	socklen_t len = sizeof(self);
	unsigned int index;

	strcpy(self_str, "?");
	memset(to, 0, sizeof(*to));
	if (getsockname(fd, (struct sockaddr *)&self, &len))
		return -1;
	if (self.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&self)->sin6_addr,
			  self_str, INET6_ADDRSTRLEN);
		index = ifindex_of(&((struct sockaddr_in6 *)&self)->sin6_addr);
		to6->sin6_family = AF_INET6;
		to6->sin6_port = htons(PCP_CLIENT_PORT);
		inet_pton(AF_INET6, "ff02::1", &to6->sin6_addr);
		to6->sin6_scope_id = index;
		*to_len = sizeof(*to6);
		if (!index)
			errno = EADDRNOTAVAIL;
		return index && !setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
					    &index, sizeof(index)) ? 0 : -1;
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)&self)->sin_addr, self_str,
		  INET6_ADDRSTRLEN);
	to4->sin_family = AF_INET;
	to4->sin_port = htons(PCP_CLIENT_PORT);
	to4->sin_addr.s_addr = htonl(INADDR_ALLHOSTS_GROUP);
	*to_len = sizeof(*to4);
	return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF,
			  &((struct sockaddr_in *)&self)->sin_addr,
			  sizeof(struct in_addr));
}

/* One unsolicited ANNOUNCE from each listen address, to all hosts. */
static void send_announce(struct pcpd *d)
{
	struct pcp_request req = { .opcode = PCP_OP_ANNOUNCE };
	struct pcp_response resp = { .result = PCP_SUCCESS, .epoch = epoch(d) };
	char self[INET6_ADDRSTRLEN];
	uint8_t out[PCP_HEADER_LEN];
	struct sockaddr_storage to;
	socklen_t to_len;
	unsigned int i;
	size_t n;

	n = pcp_build_response(&req, &resp, out);
	for (i = 0; i < d->n_fds; i++) {
		if (announce_target(d->fds[i].fd, &to, &to_len, self) ||
		    sendto(d->fds[i].fd, out, n, 0, (struct sockaddr *)&to,
			   to_len) < 0) {
			/* A backup does not hold the address: quietly, once. */
			if (d->announce.left == ANNOUNCEMENTS - 1)
				log_event("announce-failed addr=%s reason=\"%s\"",
					  self, strerror(errno));
		}
	}
}

/* Send what is due; the milliseconds until the next, or -1 for none. */
int announce_poll(struct pcpd *d, uint64_t now)
{
	struct pcpd_announce *a = &d->announce;

	if (!a->left)
		return -1;
	if (now >= a->next_ms) {
		a->left--;
		send_announce(d);
		a->next_ms = now + a->interval_ms;
		a->interval_ms *= 2;	/* at least doubling */
		if (!a->left)
			return -1;
	}
	return (int)(a->next_ms - now);
}
