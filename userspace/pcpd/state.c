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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Every mapping into the state file, written whole or not at all. */
int state_save(struct pcpd *d)
{
	char tmp[PCPD_PATH_MAX + 8];
	const char *path = d->cfg.state;
	unsigned int n = 0;
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "we");
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
	unsigned int epoch, peers, restored, expired, lost;
	unsigned long long saved;
	uint64_t away;
};

/* One mapping line of the file; false if it could not be restored. */
static bool restore_line(struct pcpd *d, char *line, struct restore *st)
{
	char *fields = strchr(line, ' ');
	const char *why = NULL;
	struct map_record r;
	bool standby;

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
	why = map_record_invalid(d, &r);
	if (why)
		goto refused;
	if (!map_record_install(d, &r, standby, strcmp(line, "plain"),
				"state-map"))
		return false;
	st->restored++;
	return true;
refused:
	log_event("state-refused reason=\"%s\" line=\"%s\"",
		  why ? why : "no fields", line);
	return false;
}

static int read_header(FILE *f, struct restore *st)
{
	char line[128];
	int version;

	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "pcpd-state version=%d epoch=%u saved=%llu peers=%u",
		   &version, &st->epoch, &st->saved, &st->peers) != 4)
		return -1;
	return version == STATE_VERSION ? 0 : -1;
}

/*
 * The mappings of the last clean stop, if the file is there; whether the
 * epoch goes on (everything came back) or starts again.
 */
bool state_restore(struct pcpd *d)
{
	const char *path = d->cfg.state;
	struct restore st = { 0 };
	char line[MAP_LINE_MAX];
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT)
			log_event("state-unreadable path=%s reason=\"%s\"", path,
				  strerror(errno));
		return false;
	}
	if (read_header(f, &st) || st.saved > wall_seconds()) {
		log_event("state-discarded path=%s reason=\"%s\"", path,
			  st.saved > wall_seconds() ? "the clock went back" :
			  "not a pcpd state file of version 1");
		fclose(f);
		unlink(path);
		return false;
	}
	st.away = wall_seconds() - st.saved;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!restore_line(d, line, &st))
			st.lost++;
	}
	fclose(f);
	unlink(path);
	log_event("state-restored path=%s mappings=%u expired=%u lost=%u peers_lost=%u away_s=%llu",
		  path, st.restored, st.expired, st.lost, st.peers,
		  (unsigned long long)st.away);
	if (st.lost || st.peers)
		return false;
	d->epoch_base = st.epoch + (uint32_t)st.away;
	return true;
}
