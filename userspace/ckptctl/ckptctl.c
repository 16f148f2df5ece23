// SPDX-License-Identifier: GPL-2.0
/*
 * ckptctl: the administration CLI of nf_ckpt, in the style of ip(8) and
 * wg(8).  See ckptctl(8).
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ckptctl.h"
#include "util.h"

struct command {
	const char *name;
	int (*run)(struct ckptctl *ctl, int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "set", ckptctl_set, "flag a connection: TUPLE [-o OWNER]" },
	{ "clear", ckptctl_clear, "clear a connection's flag: TUPLE" },
	{ "get", ckptctl_get, "show one flagged connection: TUPLE" },
	{ "list", ckptctl_list, "show flagged connections [-o OWNER]" },
	{ "rule", ckptctl_rule, "endpoint rules: add|del RULE, list" },
	{ "stats", ckptctl_stats, "show the budget and counters" },
	{ "budget", ckptctl_budget, "show or set the budget: [ENTRIES]" },
	{ "mark-bit", ckptctl_mark_bit, "set the mark bit of the flag: BIT" },
	{ "sync-set", ckptctl_sync_set, "report sync state: TUPLE --state done|pending" },
	{ "monitor", ckptctl_monitor, "print sync state changes as they happen" },
};

/* A number argument, or a message naming WHAT was bad. */
int ckptctl_number(const char *s, const char *what, unsigned long max,
		   unsigned long *out)
{
	if (!parse_number(s, max, out))
		return 0;
	fprintf(stderr, "ckptctl: bad %s '%s'\n", what, s);
	return -1;
}

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ckptctl [-j|--json] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nTUPLE: %s\n", ckptctl_tuple_usage);
	fprintf(f, "RULE: -a ADDR [-p PROTO] [--port PORT] [-o OWNER]\n");
	fprintf(f, "      [--remote PREFIX[/LEN]] [--remote-port PORT]\n");
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	struct ckptctl ctl = { 0 };
	int opt, err;

	while ((opt = getopt_long(argc, argv, "+jh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		print_usage(stderr);
		return 2;
	}

	cmd = find_command(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "ckptctl: unknown command '%s'\n", argv[optind]);
		print_usage(stderr);
		return 2;
	}

	/* Quiet getopt: the commands say what is wrong in their own words. */
	opterr = 0;
	err = cmd->run(&ctl, argc - optind, argv + optind);
	ckpt_nl_close(&ctl.nl);
	if (err == CKPTCTL_USAGE)
		return 2;
	return err ? 1 : 0;
}
