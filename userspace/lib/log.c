// SPDX-License-Identifier: GPL-2.0
/*
 * Daemon logging (see log.h).  On stderr each line starts with the
 * program and the priority, so that "grep err" finds the errors.
 */

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static const char *log_ident = "";
static bool log_syslog;
static bool log_debug_on;

void log_open(const char *ident, bool use_syslog, bool debug)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_debug_on = debug;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void log_msg(int prio, const char *fmt, ...)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info",
		"debug",
	};
	va_list ap;

	if (prio == LOG_DEBUG && !log_debug_on)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fprintf(stderr, "%s: %s ", log_ident, names[prio & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
