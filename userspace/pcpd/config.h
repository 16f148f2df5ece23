/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpd's configuration: the file (pcpd.conf(5)) and the command line,
 * which sets the same keys and wins over the file.  A configuration is
 * built whole and checked before pcpd uses it, so a reload with a
 * mistake in it changes nothing.
 */
#ifndef PCPD_CONFIG_H
#define PCPD_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/un.h>

#include "mapping.h"
#include "policy.h"

#define PCPD_MAX_LISTEN	8
#define PCPD_MAX_OUTSIDE	8
#define PCPD_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)

struct pcpd_config {
	char listen[PCPD_MAX_LISTEN][INET6_ADDRSTRLEN];
	unsigned int n_listen;
	bool listen6;			/* an IPv6 address among them */
	char outside[PCPD_MAX_OUTSIDE][IFNAMSIZ];	/* IPv6's firewall */
	unsigned int n_outside;
	bool has_external;
	struct pcpd_map_config map;
	char syncd[PCPD_PATH_MAX];	/* "": no replication */
	char control[PCPD_PATH_MAX];
	char state[PCPD_PATH_MAX];	/* "": mappings end with pcpd */
	unsigned int sync_wait_ms;	/* for the backup, before answering */
	struct pcpd_policy policy;
};

/* The defaults, with the class "default"; -1 if memory runs out. */
int pcpd_config_init(struct pcpd_config *c);
void pcpd_config_free(struct pcpd_config *c);

/*
 * Read the file at PATH into C.  On a mistake, -1 and ERR says
 * "PATH:LINE: what", and C is left for pcpd_config_free only.
 */
int pcpd_config_read(struct pcpd_config *c, const char *path,
		     char *err, size_t err_len);
/* The same, from F, NAME standing for the file in messages. */
int pcpd_config_parse(struct pcpd_config *c, FILE *f, const char *name,
		      char *err, size_t err_len);

/*
 * One key of the top level ("listen", "quota", ...) or, with a name
 * starting "checkpoint-", of the class "default": how the command line
 * sets what the file does.  -1 with ERR filled in if VALUE is wrong.
 */
int pcpd_config_set(struct pcpd_config *c, const char *key, const char *value,
		    char *err, size_t err_len);

/*
 * Whether C can run: ERR says what is missing if not ("listen" without
 * "external", IPv6 without "outside-interface").
 */
int pcpd_config_check(const struct pcpd_config *c, char *err, size_t err_len);
/* The outside interfaces as an nft list, into BUF; NULL if none. */
const char *pcpd_config_outside_list(const struct pcpd_config *c, char *buf,
				     size_t size);
/*
 * What a reload cannot change while pcpd runs: NULL if NEW keeps it, or
 * the name of the first key that differs.
 */
const char *pcpd_config_fixed_change(const struct pcpd_config *old,
				     const struct pcpd_config *new);

#endif /* PCPD_CONFIG_H */
