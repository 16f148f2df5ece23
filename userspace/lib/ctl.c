// SPDX-License-Identifier: GPL-2.0
/*
 * The daemons' control sockets (see ctl.h).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

static int ctl_address(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

int ctl_listen(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, err;

	err = ctl_address(path, &sun);
	if (err)
		return err;
	/* Only a stale socket goes: never a file, nor a live daemon's socket. */
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
			close(fd);
			return -EADDRINUSE;
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 8)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ctl_request(const char *prog, const char *path, const char *cmd,
		unsigned int limit_s, char *answer, size_t size)
{
	struct timeval limit = { .tv_sec = limit_s };
	struct sockaddr_un sun;
	size_t kept = 0, take;
	char buf[4096];
	ssize_t n;
	int fd;

	if (answer && size)
		answer[0] = '\0';

	if (ctl_address(path, &sun)) {
		fprintf(stderr, "%s: control path too long: %s\n", prog, path);
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "%s: cannot reach the daemon at %s: %s\n",
			prog, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	/* A daemon that is stuck must not hang its operator's shell too. */
	if (limit_s)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	/*
	 * One write: the daemon reads the whole line, so it closes with
	 * nothing unread and the answer is not cut by a reset.
	 */
	snprintf(buf, sizeof(buf), "%s\n", cmd);
	if (write(fd, buf, strlen(buf)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		if (answer && kept + 1 < size) {
			take = size - 1 - kept < (size_t)n ? size - 1 - kept : (size_t)n;
			memcpy(answer + kept, buf, take);
			kept += take;
			answer[kept] = '\0';
		}
	}
	if (n < 0)
		fprintf(stderr, "%s: no answer from the daemon at %s within %ld s: %s\n",
			prog, path, (long)limit.tv_sec, strerror(errno));
	close(fd);
	return n < 0 ? 1 : 0;
}
