/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Daemon logging: one line an event, "object key=value ... reason=...",
 * at syslog priorities, to syslog or to stderr.
 */
#ifndef CKPT_LOG_H
#define CKPT_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_open(const char *ident, bool use_syslog, bool debug);
void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)		log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)		log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)		log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* CKPT_LOG_H */
