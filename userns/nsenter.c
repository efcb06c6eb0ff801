// The namespace entry stage. It runs as an ELF constructor, before the Go
// runtime starts any thread, because a multithreaded process can neither
// unshare a user namespace nor keep its capabilities across the exec a Go
// child would need after its maps are written. Host-side Go code (spawn.go)
// drives it over a SOCK_SEQPACKET socket whose number is in _URUN_NSENTER.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// urun_ns_role tells the Go side what this process became: "" (not a
// namespace stage), "child" (in the new namespaces, no fork), "init"
// (forked to be PID 1 of the new PID namespace) or "ports" (forked to
// forward published ports inside the container's network namespace).
char urun_ns_role[8];
int urun_ns_sync_fd = -1;

static int sync_fd = -1;

static void send_msg(const char *msg) {
	if (send(sync_fd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
		_exit(125);
}

// fail reports "E<errno> <what>" to the host, which words the message.
static void fail(const char *what) {
	char buf[512];
	snprintf(buf, sizeof buf, "E%d %s", errno, what);
	send_msg(buf);
	_exit(125);
}

static void wait_for(char want) {
	char buf[64];
	ssize_t n;
	do {
		n = recv(sync_fd, buf, sizeof buf, 0);
	} while (n < 0 && errno == EINTR);
	// The host closes the socket without a word when it gave up (and has
	// reported why): leave quietly.
	if (n <= 0 || buf[0] != want)
		_exit(125);
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
	(void)sb; (void)type; (void)ftw;
	remove(path);
	return 0;
}

// monitor is what the forked-from process does: it stays in the user
// namespace (so it may delete files owned by subordinate ids) but outside the
// container's PID namespace, waits for init, removes the container's
// writable layer if asked to, and exits with init's status.
static void remove_tree(const char *dir) {
	nftw(dir, remove_entry, 32, FTW_DEPTH | FTW_PHYS);
}

// monitor is what the forked-from process does: it stays in the user
// namespace (so it may delete files owned by subordinate ids) but outside the
// container's PID namespace, deletes the newline-separated directories in
// remove_now while init runs, waits for init, ends the port child if there
// is one, removes the container's writable layer if asked to, and exits
// with init's status.
static void monitor(pid_t init, pid_t ports, const char *remove_dir, char *remove_now) {
	int status;
	pid_t got;
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	for (char *dir = remove_now ? strtok(remove_now, "\n") : NULL; dir; dir = strtok(NULL, "\n"))
		remove_tree(dir);
	do {
		got = waitpid(init, &status, 0);
	} while (got < 0 && errno == EINTR);
	if (ports > 0) {
		kill(ports, SIGKILL);
		while (waitpid(ports, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (remove_dir && remove_dir[0])
		remove_tree(remove_dir);
	if (got < 0)
		_exit(125);
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

__attribute__((constructor)) static void urun_nsenter(void) {
	const char *fd_env = getenv("_URUN_NSENTER");
	if (fd_env == NULL)
		return;
	sync_fd = atoi(fd_env);
	const char *flags_env = getenv("_URUN_NSFLAGS");
	int flags = flags_env ? (int)strtol(flags_env, NULL, 16) : 0;
	int fork_init = getenv("_URUN_NSFORK") != NULL;
	int fork_ports = getenv("_URUN_NSPORTS") != NULL;
	char *remove_dir = NULL, *remove_now = NULL;
	if (getenv("_URUN_NSREMOVE"))
		remove_dir = strdup(getenv("_URUN_NSREMOVE"));
	if (getenv("_URUN_NSREMOVENOW"))
		remove_now = strdup(getenv("_URUN_NSREMOVENOW"));
	// Nothing this process execs (the storage library re-executes its own
	// binary) may take itself for a namespace stage. glibc unsets in place,
	// so the Go runtime, which reads the same array later, sees them gone.
	unsetenv("_URUN_NSENTER");
	unsetenv("_URUN_NSFLAGS");
	unsetenv("_URUN_NSFORK");
	unsetenv("_URUN_NSPORTS");
	unsetenv("_URUN_NSREMOVE");
	unsetenv("_URUN_NSREMOVENOW");
	if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0)
		fail("mark sync socket close-on-exec");

	// Die with the host-side urun: nothing of the container may outlive it.
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail("set parent death signal");

	if (unshare(CLONE_NEWUSER) < 0)
		fail("unshare user namespace");
	send_msg("U");
	wait_for('M'); // the host ran newuidmap and newgidmap

	// Become root of the namespace. The setgroups call drops the host's
	// supplementary groups, which would otherwise show up as "nogroup".
	if (setresgid(0, 0, 0) < 0)
		fail("setresgid to root of the user namespace");
	if (setgroups(0, NULL) < 0)
		fail("setgroups in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		fail("setresuid to root of the user namespace");

	if (!fork_init) {
		if (flags && unshare(flags) < 0)
			fail("unshare namespaces");
		strcpy(urun_ns_role, "child");
		urun_ns_sync_fd = sync_fd;
		return;
	}

	// The mount namespace is init's alone: pivot_root must not move the
	// monitor's root, which keeps the host's view of the store. The PID
	// namespace comes after the port child, which must not be in it: init's
	// exit would wait for it to be reaped.
	if ((flags & ~(CLONE_NEWNS | CLONE_NEWPID)) && unshare(flags & ~(CLONE_NEWNS | CLONE_NEWPID)) < 0)
		fail("unshare namespaces");
	pid_t ports = 0;
	if (fork_ports) {
		// The port child shares the monitor's namespaces: the container's
		// user and network namespaces, the host's mount and PID namespaces
		// (its sockets live in the run state). It ends with the monitor.
		ports = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		if (ports < 0)
			fail("fork the port forwarder");
		if (ports == 0) {
			// Only init may hold the sync socket: its closing on exec tells
			// the host the command started.
			close(sync_fd);
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
				_exit(125);
			strcpy(urun_ns_role, "ports");
			return;
		}
	}
	if ((flags & CLONE_NEWPID) && unshare(CLONE_NEWPID) < 0)
		fail("unshare PID namespace");
	// Init speaks on the socket only after the monitor has sent its pid, so
	// the host reads the messages in order.
	int pid_sent[2];
	if (pipe2(pid_sent, O_CLOEXEC) < 0)
		fail("create pipe");
	pid_t init = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (init < 0)
		fail("fork the container's init");
	if (init == 0) {
		char c;
		close(pid_sent[1]);
		while (read(pid_sent[0], &c, 1) < 0 && errno == EINTR)
			;
		close(pid_sent[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			fail("set parent death signal");
		if ((flags & CLONE_NEWNS) && unshare(CLONE_NEWNS) < 0)
			fail("unshare mount namespace");
		strcpy(urun_ns_role, "init");
		urun_ns_sync_fd = sync_fd;
		return;
	}
	char msg[32];
	snprintf(msg, sizeof msg, "P%d", (int)init);
	send_msg(msg);
	close(pid_sent[1]);
	close(pid_sent[0]);
	close(sync_fd);
	monitor(init, ports, remove_dir, remove_now);
}
