// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: the configuration file and the keys the command line shares with
 * it (config.h, pcpd.conf(5)).  A line is a key and its values, separated
 * by blanks; '#' starts a comment.  "class NAME {" opens a class, a line
 * "}" closes it.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "subscriber.h"
#include "util.h"

#define MAX_WORDS	16
#define LINE_MAX_LEN	1024

/* A class as it is before the file says anything of it. */
static const struct pcpd_class class_defaults = {
	.mode = PCPD_CKPT_ON_REQUEST,
	.limits = { .max_entries = 16, .cost_ms = 100, .burst = 20 },
};

struct parser {
	struct pcpd_config *c;
	struct pcpd_class *class;	/* inside "class NAME {" */
	bool default_seen;		/* "class default {" comes once */
	char *err;
	size_t err_len;
};

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* A new zeroed element at the end of *V; NULL if memory runs out. */
static void *push(void *v, unsigned int *n, size_t size)
{
	void **vec = v;
	char *grown = realloc(*vec, (*n + 1) * size);

	if (!grown)
		return NULL;
	*vec = grown;
	memset(grown + *n * size, 0, size);
	return grown + (*n)++ * size;
}

static int parse_range(const char *s, unsigned long max, unsigned long *lo,
		       unsigned long *hi)
{
	const char *dash = strchr(s, '-');
	char first[16];

	if (!dash) {
		if (parse_decimal(s, max, lo))
			return -1;
		*hi = *lo;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(first))
		return -1;
	memcpy(first, s, (size_t)(dash - s));
	first[dash - s] = '\0';
	if (parse_decimal(first, max, lo) || parse_decimal(dash + 1, max, hi))
		return -1;
	return *lo > *hi ? -1 : 0;
}

static int set_path(char *dst, const char *value, char *err, size_t len)
{
	if (!*value || strlen(value) >= PCPD_PATH_MAX)
		return fail(err, len, "'%s' is not a path of 1 to %zu characters",
			    value, PCPD_PATH_MAX - 1);
	strcpy(dst, value);
	return 0;
}

static int add_listen(struct pcpd_config *c, const char *value, char *err,
		      size_t len)
{
	char canon[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	struct in_addr a;
	unsigned int i;
	bool v6 = false;
	uint32_t h;

	if (inet_pton(AF_INET, value, &a) == 1) {
		h = ntohl(a.s_addr);
		if (!h || h == 0xffffffff || h >> 28 == 0xe)
			return fail(err, len, "listen: %s is not one host's address; give the inside address clients send to",
				    value);
		inet_ntop(AF_INET, &a, canon, sizeof(canon));
	} else {
		v6 = inet_pton(AF_INET6, value, &a6) == 1;
		if (!v6)
			return fail(err, len, "listen: '%s' is not an IPv4 or IPv6 address",
				    value);
		if (IN6_IS_ADDR_LINKLOCAL(&a6))
			return fail(err, len, "listen: %s is link-local; give a global or unique local address",
				    value);
		if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_MULTICAST(&a6) ||
		    IN6_IS_ADDR_V4MAPPED(&a6))
			return fail(err, len, "listen: %s is not one host's address; give the inside address clients send to",
				    value);
		inet_ntop(AF_INET6, &a6, canon, sizeof(canon));
	}
	for (i = 0; i < c->n_listen; i++) {
		if (!strcmp(c->listen[i], canon))
			return fail(err, len, "listen: %s is given twice", canon);
	}
	if (c->n_listen == PCPD_MAX_LISTEN)
		return fail(err, len, "listen: more than %d addresses", PCPD_MAX_LISTEN);
	strcpy(c->listen[c->n_listen++], canon);
	c->listen6 |= v6;
	return 0;
}

/* An interface name nft may quote: letters, digits, "-", "_", ".". */
static int add_outside(struct pcpd_config *c, const char *value, char *err,
		       size_t len)
{
	static const char allowed[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
	size_t n = strlen(value);
	unsigned int i;

	if (!n || n >= IFNAMSIZ || strspn(value, allowed) != n)
		return fail(err, len, "outside-interface: '%s' is not an interface name (1 to %d letters, digits, '-', '_' or '.')",
			    value, IFNAMSIZ - 1);
	for (i = 0; i < c->n_outside; i++) {
		if (!strcmp(c->outside[i], value))
			return fail(err, len, "outside-interface: %s is given twice", value);
	}
	if (c->n_outside == PCPD_MAX_OUTSIDE)
		return fail(err, len, "outside-interface: more than %d interfaces",
			    PCPD_MAX_OUTSIDE);
	strcpy(c->outside[c->n_outside++], value);
	return 0;
}

const char *pcpd_config_outside_list(const struct pcpd_config *c, char *buf,
				     size_t size)
{
	size_t used = 0;
	unsigned int i;

	if (!c->n_outside)
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < c->n_outside && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s\"%s\"",
					 i ? ", " : "", c->outside[i]);
	return buf;
}

int pcpd_config_check(const struct pcpd_config *c, char *err, size_t len)
{
	if (!c->n_listen || !c->has_external)
		return fail(err, len, "no %s address: give --%s or put it in the configuration file",
			    c->n_listen ? "external" : "listen",
			    c->n_listen ? "external" : "listen");
	if (c->listen6 && !c->n_outside)
		return fail(err, len, "IPv6 clients need outside-interface: pcpd is IPv6's firewall, and drops new connections coming in there unless a mapping opened them");
	return 0;
}

static int set_external(struct pcpd_config *c, const char *value, char *err,
			size_t len)
{
	struct in6_addr *a = &c->map.external_addr;

	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	if (inet_pton(AF_INET, value, a->s6_addr + 12) != 1)
		return fail(err, len, "external: '%s' is not an IPv4 address", value);
	c->has_external = true;
	return 0;
}

static int parse_prefix(struct pcpd_policy *pol, const char *key,
			const char *value, struct pcpd_prefix *p, char *err,
			size_t len)
{
	if (pcpd_parse_prefix(value, p))
		return fail(err, len, "%s: '%s' is not a prefix (IPv4 ADDR or ADDR/LEN, IPv6 ADDR/LEN up to /64; no host bits)",
			    key, value);
	/* Lists are searched linearly, and checked for repeats on the way in. */
	if (pol->n_prefixes == PCPD_PREFIXES_MAX)
		return fail(err, len, "%s: more than %d prefixes in all", key,
			    PCPD_PREFIXES_MAX);
	pol->n_prefixes++;
	return 0;
}

/* A prefix added to the list *V of *N, by a key named KEY. */
static int add_prefix(struct pcpd_policy *pol, struct pcpd_prefix **v,
		      unsigned int *n, const char *key, const char *value,
		      char *err, size_t len)
{
	struct pcpd_prefix p, *slot;

	if (parse_prefix(pol, key, value, &p, err, len))
		return -1;
	slot = push(v, n, sizeof(p));
	if (!slot)
		return fail(err, len, "out of memory");
	*slot = p;
	return 0;
}

static int set_class_number(struct pcpd_class *cls, const char *key,
			    const char *value, char *err, size_t len)
{
	unsigned long n;

	if (!strcmp(key, "checkpoint-rate")) {
		if (pcpd_parse_rate(value, &cls->limits.cost_ms))
			return fail(err, len, "checkpoint-rate: '%s' is not N or N/s (1 to 1000) or N/min (1 to 60000)",
				    value);
		return 0;
	}
	if (parse_decimal(value, 1u << 20, &n))
		return fail(err, len, "%s: '%s' is not a number from 0 to %u", key,
			    value, 1u << 20);
	if (!strcmp(key, "checkpoint-max"))
		cls->limits.max_entries = (unsigned int)n;
	else
		cls->limits.burst = (unsigned int)n;
	return 0;
}

static bool is_class_number(const char *key)
{
	return !strcmp(key, "checkpoint-max") || !strcmp(key, "checkpoint-rate") ||
	       !strcmp(key, "checkpoint-burst");
}

static int set_mode(struct pcpd_class *cls, const char *value, char *err,
		    size_t len)
{
	if (!strcmp(value, "on-request"))
		cls->mode = PCPD_CKPT_ON_REQUEST;
	else if (!strcmp(value, "all"))
		cls->mode = PCPD_CKPT_ALL;
	else if (!strcmp(value, "never"))
		cls->mode = PCPD_CKPT_NEVER;
	else
		return fail(err, len, "checkpoint: '%s' is not on-request, all or never",
			    value);
	return 0;
}

/* "protect udp 5060" or "never-protect any 1-1023". */
static int add_port_rule(struct pcpd_class *cls, char **w, unsigned int n,
			 char *err, size_t len)
{
	struct pcpd_port_rule r = { .protect = !strcmp(w[0], "protect") };
	struct pcpd_port_rule *slot;
	unsigned long lo, hi;

	if (n != 3)
		return fail(err, len, "%s: wants a protocol (tcp, udp or any) and a port or range",
			    w[0]);
	if (!strcmp(w[1], "tcp"))
		r.protocol = IPPROTO_TCP;
	else if (!strcmp(w[1], "udp"))
		r.protocol = IPPROTO_UDP;
	else if (strcmp(w[1], "any"))
		return fail(err, len, "%s: '%s' is not tcp, udp or any", w[0], w[1]);
	if (parse_range(w[2], 65535, &lo, &hi) || !lo)
		return fail(err, len, "%s: '%s' is not a port or a range of ports (1-65535)",
			    w[0], w[2]);
	r.lo = (uint16_t)lo;
	r.hi = (uint16_t)hi;
	slot = push(&cls->ports, &cls->n_ports, sizeof(r));
	if (!slot)
		return fail(err, len, "out of memory");
	*slot = r;
	return 0;
}

/* Is prefix P a member of another class already? */
static const char *member_elsewhere(const struct pcpd_policy *p,
				    const struct pcpd_prefix *m)
{
	unsigned int i, j;

	for (i = 1; i < p->n_classes; i++) {
		for (j = 0; j < p->classes[i].n_members; j++) {
			if (p->classes[i].members[j].key == m->key &&
			    p->classes[i].members[j].len == m->len)
				return p->classes[i].name;
		}
	}
	return NULL;
}

static int add_members(struct parser *ps, char **w, unsigned int n)
{
	struct pcpd_prefix p;
	const char *other;
	unsigned int i;

	if (ps->class == &ps->c->policy.classes[0])
		return fail(ps->err, ps->err_len, "members: the class default holds everyone no other class holds, and has none");
	if (n < 2)
		return fail(ps->err, ps->err_len, "members: wants one prefix or more");
	for (i = 1; i < n; i++) {
		if (pcpd_parse_prefix(w[i], &p))
			return fail(ps->err, ps->err_len, "members: '%s' is not a prefix (IPv4 ADDR or ADDR/LEN, IPv6 ADDR/LEN up to /64; no host bits)",
				    w[i]);
		other = member_elsewhere(&ps->c->policy, &p);
		if (other)
			return fail(ps->err, ps->err_len, "members: %s is already in class %s",
				    w[i], other);
		if (add_prefix(&ps->c->policy, &ps->class->members,
			       &ps->class->n_members, "members", w[i], ps->err,
			       ps->err_len))
			return -1;
	}
	return 0;
}

static int class_line(struct parser *ps, char **w, unsigned int n)
{
	if (!strcmp(w[0], "members"))
		return add_members(ps, w, n);
	if (!strcmp(w[0], "protect") || !strcmp(w[0], "never-protect"))
		return add_port_rule(ps->class, w, n, ps->err, ps->err_len);
	if (strcmp(w[0], "checkpoint") && !is_class_number(w[0]))
		return fail(ps->err, ps->err_len, "'%s' is not a key of a class", w[0]);
	if (n != 2)
		return fail(ps->err, ps->err_len, "%s: wants one value", w[0]);
	if (!strcmp(w[0], "checkpoint"))
		return set_mode(ps->class, w[1], ps->err, ps->err_len);
	return set_class_number(ps->class, w[0], w[1], ps->err, ps->err_len);
}

static struct pcpd_class *find_class(struct pcpd_policy *p, const char *name)
{
	unsigned int i;

	for (i = 0; i < p->n_classes; i++) {
		if (!strcmp(p->classes[i].name, name))
			return &p->classes[i];
	}
	return NULL;
}

/* "class NAME {": a new class, or the default one's settings. */
static int open_class(struct parser *ps, char **w, unsigned int n)
{
	struct pcpd_policy *p = &ps->c->policy;
	struct pcpd_class *cls;
	size_t i, len;

	if (n != 3 || strcmp(w[2], "{"))
		return fail(ps->err, ps->err_len, "class: wants 'class NAME {'");
	len = strlen(w[1]);
	for (i = 0; i < len; i++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-_", w[1][i]))
			break;
	}
	if (i < len || len >= PCPD_CLASS_NAME_MAX)
		return fail(ps->err, ps->err_len, "class: '%s' is not a name of 1 to %d characters a-z, 0-9, - and _",
			    w[1], PCPD_CLASS_NAME_MAX - 1);
	cls = find_class(p, w[1]);
	if (cls && (cls != &p->classes[0] || ps->default_seen))
		return fail(ps->err, ps->err_len, "class: %s is defined twice", w[1]);
	if (cls)
		ps->default_seen = true;
	if (!cls) {
		cls = push(&p->classes, &p->n_classes, sizeof(*cls));
		if (!cls)
			return fail(ps->err, ps->err_len, "out of memory");
		*cls = class_defaults;
		strcpy(cls->name, w[1]);
	}
	ps->class = cls;
	return 0;
}

/* "third-party CLIENTS HOSTS": CLIENTS may make mappings for HOSTS. */
static int add_third_party(struct parser *ps, char **w, unsigned int n)
{
	struct pcpd_policy *pol = &ps->c->policy;
	struct pcpd_third_party t, *slot;

	if (n != 3)
		return fail(ps->err, ps->err_len, "third-party: wants the clients' prefix and the hosts' prefix they may map");
	if (parse_prefix(pol, w[0], w[1], &t.clients, ps->err, ps->err_len) ||
	    parse_prefix(pol, w[0], w[2], &t.hosts, ps->err, ps->err_len))
		return -1;
	if (!pcpd_key_is_v4(t.clients.key) || !pcpd_key_is_v4(t.hosts.key))
		return fail(ps->err, ps->err_len, "third-party: IPv4 prefixes only; THIRD_PARTY is not served for IPv6");
	slot = push(&pol->third_party, &pol->n_third_party, sizeof(t));
	if (!slot)
		return fail(ps->err, ps->err_len, "out of memory");
	*slot = t;
	return 0;
}

static int top_line(struct parser *ps, char **w, unsigned int n)
{
	if (!strcmp(w[0], "class"))
		return open_class(ps, w, n);
	if (!strcmp(w[0], "third-party"))
		return add_third_party(ps, w, n);
	if (!strcmp(w[0], "}"))
		return fail(ps->err, ps->err_len, "'}' closes no class");
	if (n != 2)
		return fail(ps->err, ps->err_len, "%s: wants one value", w[0]);
	if (is_class_number(w[0]))
		return fail(ps->err, ps->err_len, "%s: belongs in a class (class default { ... } for everyone)",
			    w[0]);
	return pcpd_config_set(ps->c, w[0], w[1], ps->err, ps->err_len);
}

/* Split LINE into at most MAX_WORDS words; the count, or -1. */
static int split_words(char *line, char **w)
{
	unsigned int n = 0;
	char *save, *word;

	line[strcspn(line, "#\n")] = '\0';
	for (word = strtok_r(line, " \t\r", &save); word;
	     word = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_WORDS)
			return -1;
		w[n++] = word;
	}
	return (int)n;
}

static int parse_line(struct parser *ps, char *line)
{
	char *w[MAX_WORDS];
	int n = split_words(line, w);

	if (n < 0)
		return fail(ps->err, ps->err_len, "more than %d words", MAX_WORDS);
	if (!n)
		return 0;
	if (!ps->class)
		return top_line(ps, w, (unsigned int)n);
	if (!strcmp(w[0], "}") && n == 1) {
		ps->class = NULL;
		return 0;
	}
	return class_line(ps, w, (unsigned int)n);
}

int pcpd_config_read(struct pcpd_config *c, const char *path, char *err,
		     size_t err_len)
{
	/* Not blocking: a FIFO put there must not hang pcpd or a reload. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	FILE *f;
	int ret;

	if (fd < 0 || fstat(fd, &st)) {
		ret = fail(err, err_len, "%s: %s", path, strerror(errno));
		goto close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = fail(err, err_len, "%s: not a regular file", path);
		goto close;
	}
	f = fdopen(fd, "r");
	if (!f) {
		ret = fail(err, err_len, "%s: %s", path, strerror(errno));
		goto close;
	}
	ret = pcpd_config_parse(c, f, path, err, err_len);
	fclose(f);
	return ret;
close:
	if (fd >= 0)
		close(fd);
	return ret;
}

int pcpd_config_parse(struct pcpd_config *c, FILE *f, const char *name,
		      char *err, size_t err_len)
{
	char *line = NULL, what[512];
	struct parser ps = { .c = c, .err = what, .err_len = sizeof(what) };
	unsigned int lineno = 0;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	while (!ret && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n > LINE_MAX_LEN)
			ret = fail(what, sizeof(what), "longer than %d characters",
				   LINE_MAX_LEN);
		else if (memchr(line, '\0', (size_t)n))
			ret = fail(what, sizeof(what), "a NUL character");
		else
			ret = parse_line(&ps, line);
	}
	free(line);
	if (!ret && ferror(f))
		ret = fail(what, sizeof(what), "%s", strerror(errno));
	else if (!ret && ps.class)
		ret = fail(what, sizeof(what), "class %s is not closed with '}'",
			   ps.class->name);
	if (ret)
		fail(err, err_len, "%s:%u: %s", name, lineno, what);
	return ret;
}

int pcpd_config_set(struct pcpd_config *c, const char *key, const char *value,
		    char *err, size_t len)
{
	unsigned long lo, hi;

	if (!strcmp(key, "listen"))
		return add_listen(c, value, err, len);
	if (!strcmp(key, "external"))
		return set_external(c, value, err, len);
	if (!strcmp(key, "ports")) {
		if (parse_range(value, 65535, &lo, &hi) || !lo || lo == hi)
			return fail(err, len, "ports: '%s' is not a range MIN-MAX within 1-65535",
				    value);
		c->map.port_min = (uint16_t)lo;
		c->map.port_max = (uint16_t)hi;
		return 0;
	}
	if (!strcmp(key, "lifetime")) {
		if (parse_range(value, UINT32_MAX, &lo, &hi) || !lo)
			return fail(err, len, "lifetime: '%s' is not a range MIN-MAX of seconds, MIN 1 or more",
				    value);
		c->map.lifetime_min = (uint32_t)lo;
		c->map.lifetime_max = (uint32_t)hi;
		return 0;
	}
	if (!strcmp(key, "quota")) {
		if (parse_decimal(value, UINT32_MAX, &lo))
			return fail(err, len, "quota: '%s' is not a number", value);
		c->map.quota = (unsigned int)lo;
		return 0;
	}
	if (!strcmp(key, "subscriber-prefix-length")) {
		if (parse_decimal(value, 32, &lo) || !lo)
			return fail(err, len, "subscriber-prefix-length: '%s' is not from 1 to 32",
				    value);
		c->policy.subscriber_len = (unsigned int)lo;
		return 0;
	}
	if (!strcmp(key, "subscriber-prefix-length6")) {
		if (parse_decimal(value, 64, &lo) || !lo)
			return fail(err, len, "subscriber-prefix-length6: '%s' is not from 1 to 64",
				    value);
		c->policy.subscriber_len6 = (unsigned int)lo;
		return 0;
	}
	if (!strcmp(key, "outside-interface"))
		return add_outside(c, value, err, len);
	if (!strcmp(key, "subscriber"))
		return add_prefix(&c->policy, &c->policy.subscribers,
				  &c->policy.n_subscribers, key, value, err, len);
	if (!strcmp(key, "syncd"))
		return set_path(c->syncd, value, err, len);
	if (!strcmp(key, "control"))
		return set_path(c->control, value, err, len);
	if (!strcmp(key, "state"))
		return set_path(c->state, value, err, len);
	if (!strcmp(key, "port-hold")) {
		if (parse_decimal(value, 86400, &lo))
			return fail(err, len, "port-hold: '%s' is not a number of seconds from 0 to 86400",
				    value);
		c->map.port_hold = (uint32_t)lo;
		return 0;
	}
	if (!strcmp(key, "sync-wait")) {
		if (parse_decimal(value, 10000, &lo))
			return fail(err, len, "sync-wait: '%s' is not a number of milliseconds from 0 to 10000",
				    value);
		c->sync_wait_ms = (unsigned int)lo;
		return 0;
	}
	if (is_class_number(key))
		return set_class_number(&c->policy.classes[0], key, value, err, len);
	return fail(err, len, "'%s' is not a key", key);
}

int pcpd_config_init(struct pcpd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->map = (struct pcpd_map_config){
		.port_min = 1024, .port_max = 65535,
		.lifetime_min = 120, .lifetime_max = 86400, .quota = 64,
		.port_hold = 120,
	};
	strcpy(c->control, "/run/pcpd.sock");
	c->sync_wait_ms = 500;
	c->policy.subscriber_len = 32;
	c->policy.subscriber_len6 = 56;
	c->policy.classes = calloc(1, sizeof(*c->policy.classes));
	if (!c->policy.classes)
		return -1;
	c->policy.classes[0] = class_defaults;
	strcpy(c->policy.classes[0].name, "default");
	c->policy.n_classes = 1;
	return 0;
}

void pcpd_config_free(struct pcpd_config *c)
{
	pcpd_policy_free(&c->policy);
}

static bool has_listen(const struct pcpd_config *c, const char *addr)
{
	unsigned int i;

	for (i = 0; i < c->n_listen; i++) {
		if (!strcmp(c->listen[i], addr))
			return true;
	}
	return false;
}

static bool same_prefixes(const struct pcpd_prefix *a, unsigned int na,
			  const struct pcpd_prefix *b, unsigned int nb)
{
	unsigned int i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		if (a[i].key != b[i].key || a[i].len != b[i].len)
			return false;
	}
	return true;
}

const char *pcpd_config_fixed_change(const struct pcpd_config *old,
				     const struct pcpd_config *new)
{
	unsigned int i;

	if (old->n_listen != new->n_listen)
		return "listen";
	for (i = 0; i < new->n_listen; i++) {	/* in any order */
		if (!has_listen(old, new->listen[i]))
			return "listen";
	}
	if (memcmp(&old->map.external_addr, &new->map.external_addr,
		   sizeof(new->map.external_addr)))
		return "external";
	if (old->map.port_min != new->map.port_min ||
	    old->map.port_max != new->map.port_max)
		return "ports";
	if (strcmp(old->syncd, new->syncd))
		return "syncd";
	if (strcmp(old->control, new->control))
		return "control";
	if (strcmp(old->state, new->state))
		return "state";
	for (i = 0; i < new->n_outside || i < old->n_outside; i++) {
		if (old->n_outside != new->n_outside ||
		    strcmp(old->outside[i], new->outside[i]))
			return "outside-interface";
	}
	if (old->policy.subscriber_len != new->policy.subscriber_len ||
	    old->policy.subscriber_len6 != new->policy.subscriber_len6 ||
	    !same_prefixes(old->policy.subscribers, old->policy.n_subscribers,
			   new->policy.subscribers, new->policy.n_subscribers))
		return "subscriber";
	return NULL;
}
