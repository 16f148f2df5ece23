// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd's mappings across a restart (the "state" key of pcpd.conf).  At a
 * clean stop pcpd writes every mapping with the lifetime it has left, and
 * at start it installs them again, less the time it was away:
 *
 *   pcpd-state version=1 epoch=812 saved=1796400000 peers=0
 *   map proto=6 internal=192.0.2.2 internal_port=6000 external=... owner=N
 *   plain ...      (not check-pointed)
 *   standby ...    (the peer's, held for a takeover)
 *
 * The epoch (RFC 6887 section 8.5) goes on from where it was when every
 * mapping came back; when anything was lost, PEER records (not kept:
 * conntrack keeps the connections, clients renew them) or a mapping that
 * could not be installed, a new epoch tells clients to check theirs.  The
 * file is consumed at start, so a crash later never brings back mappings
 * deleted since.  Wall-clock time is compared only with this machine's
 * own earlier reading, and a clock that went back discards the file.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pcpd.h"
#include "util.h"

#define STATE_VERSION	1

static uint64_t wall_seconds(void)
{
	return (uint64_t)time(NULL);
}

static const char *verb_of(const struct pcpd_mapping *m)
{
	return m->standby ? "standby" : m->checkpoint ? "map" : "plain";
}

static int write_mappings(const struct pcpd *d, FILE *f, unsigned int *n)
{
	char line[MAP_LINE_MAX];
	struct map_record r;
	const struct pcpd_mapping *m;
	unsigned int i;

	for (i = 0; i < PCPD_MAP_BUCKETS; i++) {
		for (m = d->table.buckets[i]; m; m = m->next) {
			r = map_record_of(m);
			if (!r.lifetime)
				continue;
			map_line_format(line, verb_of(m), &r, false);
			if (fputs(line, f) == EOF)
				return -1;
			(*n)++;
		}
	}
	return 0;
}

/*
 * The state file is this pcpd's alone for as long as it runs: a second
 * pcpd given the same path would overwrite it at its own stop.
 */
int state_lock(struct pcpd *d)
{
	char lock[PCPD_PATH_MAX + 8];

	snprintf(lock, sizeof(lock), "%s.lock", d->cfg.state);
	d->state_lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				0600);
	if (d->state_lock_fd < 0 || flock(d->state_lock_fd, LOCK_EX | LOCK_NB)) {
		log_event("start-failed state=%s reason=\"%s\"", d->cfg.state,
			  errno == EWOULDBLOCK ? "another pcpd uses this state file" :
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* A new file at TMP, ours alone: no link followed, nobody else reads it. */
static FILE *create_private(const char *tmp)
{
	int fd;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd < 0 ? NULL : fdopen(fd, "w");
}

/* Every mapping into the state file, written whole or not at all. */
int state_save(struct pcpd *d)
{
	char tmp[PCPD_PATH_MAX + 8];
	const char *path = d->cfg.state;
	unsigned int n = 0;
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = create_private(tmp);
	if (!f) {
		err = errno;
		goto fail;
	}
	fprintf(f, "pcpd-state version=%d epoch=%u saved=%llu peers=%u\n",
		STATE_VERSION, epoch(d), (unsigned long long)wall_seconds(),
		d->peers.count);
	err = write_mappings(d, f, &n) || fflush(f) || fsync(fileno(f)) ? errno : 0;
	if (fclose(f) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		goto fail;
	}
	log_event("state-saved path=%s mappings=%u peers_not_kept=%u", path, n,
		  d->peers.count);
	return 0;
fail:
	log_event("state-save-failed path=%s reason=\"%s\"", path, strerror(err));
	return -1;
}

struct restore {
	unsigned long epoch, peers, saved;
	unsigned int restored, expired, lost;
	uint64_t away;
};

/*
 * Whether a check-point saved for R may come back: the subscriber's class
 * may forbid it now (a held check-point otherwise keeps its place, as
 * across a reload).
 */
static bool checkpoint_allowed(struct pcpd *d, const struct map_record *r)
{
	struct in6_addr internal = map_record_addr(r, r->internal);
	struct pcpd_subscriber *sub = pcpd_subscriber_get(&d->subs,
							  subscriber_id(d, &internal),
							  now_ms());

	return sub && pcpd_class_decide(sub->class, r->proto, r->internal_port,
					0, true) != PCPD_CLASS_REFUSED;
}

/* One mapping line of the file; false if it could not be restored. */
static bool restore_line(struct pcpd *d, const char *text, struct restore *st)
{
	char line[MAP_LINE_MAX], *fields;
	const char *why = NULL;
	struct map_record r;
	bool standby;

	snprintf(line, sizeof(line), "%s", text);
	fields = strchr(line, ' ');
	if (!fields || map_line_parse(fields + 1, false, &r, &why))
		goto refused;
	*fields = '\0';
	standby = !strcmp(line, "standby");
	if (!standby && strcmp(line, "map") && strcmp(line, "plain")) {
		why = "unknown kind";
		goto refused;
	}
	if (r.lifetime <= st->away) {
		st->expired++;
		return true;
	}
	r.lifetime -= (uint32_t)st->away;
	/* The file is trusted no more than the feed. */
	why = map_record_invalid(d, &r);
	if (why)
		goto refused;
	if (!map_record_install(d, &r, standby,
				strcmp(line, "plain") && checkpoint_allowed(d, &r),
				"state-map"))
		return false;
	st->restored++;
	return true;
refused:
	log_event("state-refused reason=\"%s\" line=\"%s\"",
		  why ? why : "no fields", text);
	return false;
}

/* "pcpd-state version=1 epoch=N saved=N peers=N", each number decimal. */
static int parse_header(char *line, struct restore *st)
{
	static const char *const keys[] = { "version=", "epoch=", "saved=", "peers=" };
	unsigned long *vals[] = { NULL, &st->epoch, &st->saved, &st->peers };
	unsigned long version = 0;
	char *save, *w;
	unsigned int i;

	vals[0] = &version;
	line[strcspn(line, "\n")] = '\0';
	w = strtok_r(line, " ", &save);
	if (!w || strcmp(w, "pcpd-state"))
		return -1;
	for (i = 0; i < 4; i++) {
		w = strtok_r(NULL, " ", &save);
		if (!w || strncmp(w, keys[i], strlen(keys[i])) ||
		    parse_decimal(w + strlen(keys[i]), UINT32_MAX, vals[i]))
			return -1;
	}
	return strtok_r(NULL, " ", &save) || version != STATE_VERSION ? -1 : 0;
}

/* The state file, opened if it is one: a regular file, no link followed. */
static FILE *open_state(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_event("state-unreadable path=%s reason=\"%s\"", path,
				  errno == ELOOP ? "a symbolic link" : strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		log_event("state-unreadable path=%s reason=\"not a regular file\"", path);
		close(fd);
		return NULL;
	}
	return fdopen(fd, "r");
}

static void restore_lines(struct pcpd *d, FILE *f, struct restore *st)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n >= MAP_LINE_MAX || memchr(line, '\0', (size_t)n)) {
			log_event("state-refused reason=\"longer than %d characters, or a NUL\" length=%zd",
				  MAP_LINE_MAX - 1, n);
			st->lost++;
		} else if (!restore_line(d, line, st)) {
			st->lost++;
		}
	}
	free(line);
}

/*
 * The mappings of the last clean stop, if the file is there; whether the
 * epoch goes on (everything came back) or starts again.
 */
bool state_restore(struct pcpd *d)
{
	const char *path = d->cfg.state;
	struct restore st = { 0 };
	char header[128] = "";
	FILE *f;

	f = open_state(path);
	if (!f)
		return false;
	if (!fgets(header, sizeof(header), f) || parse_header(header, &st) ||
	    st.saved > wall_seconds()) {
		log_event("state-discarded path=%s reason=\"%s\"", path,
			  st.saved > wall_seconds() ? "the clock went back" :
			  "not a pcpd state file of version 1");
		fclose(f);
		unlink(path);
		return false;
	}
	st.away = wall_seconds() - st.saved;
	restore_lines(d, f, &st);
	fclose(f);
	unlink(path);
	log_event("state-restored path=%s mappings=%u expired=%u lost=%u peers_lost=%lu away_s=%llu",
		  path, st.restored, st.expired, st.lost, st.peers,
		  (unsigned long long)st.away);
	/* An epoch that would run past 2^31 is no continuation either. */
	if (st.lost || st.peers || st.epoch + st.away >= 1u << 31)
		return false;
	d->epoch_base = (uint32_t)(st.epoch + st.away);
	return true;
}
