/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemons' control sockets: a unix stream socket where a client
 * writes one command line and reads the answer until the daemon closes.
 */
#ifndef CKPT_CTL_H
#define CKPT_CTL_H

#include <stddef.h>

/*
 * A listening, non-blocking socket at PATH; -errno on failure: -EEXIST
 * when PATH is something other than a socket, -EADDRINUSE when a daemon
 * answers there already.  A stale socket is replaced.
 */
int ctl_listen(const char *path);

/*
 * The client: send CMD to the daemon PROG at PATH and copy its answer to
 * standard output, waiting at most LIMIT_S seconds between reads (0: as
 * long as it takes).  0, or 1 with a message on standard error.  If
 * ANSWER is not NULL, the answer's first SIZE - 1 octets are also left
 * there, ended by a NUL.
 */
int ctl_request(const char *prog, const char *path, const char *cmd,
		unsigned int limit_s, char *answer, size_t size);

#endif /* CKPT_CTL_H */
