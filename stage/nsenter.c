// The C half of the stage contract (see stage.go for the exchange). It
// runs as an ELF constructor, before the Go runtime starts any thread,
// because a multithreaded process can neither unshare a user namespace nor
// keep its capabilities across the exec a Go child would need after its
// maps are written. The host passes one socket, named by _URUN_STAGE; its
// first message is the start message (struct start_header below, mirrored
// by startHeader in start.go, then the strings and the Go request).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <ftw.h>
#include <grp.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Messages (one byte, then text); their Go names are in messages.go.
#define MSG_USERNS_MADE 'U'
#define MSG_PROCEED 'M'
#define MSG_INIT_PID 'P'
#define MSG_ERRNO 'E'
#define MSG_INIT_ENDED 'D'

// What the start message asks for (startHeader.Do in start.go).
#define DO_CREATE_USERNS 0x01 // unshare a user namespace, wait for its maps
#define DO_JOIN 0x02          // join the namespaces of join_pid instead
#define DO_FORK_INIT 0x04     // fork init into new PID/mount namespaces; stay as its waiter
#define DO_FORK_PORTS 0x08    // fork the port child beside init
#define DO_TINY_INIT 0x10     // keep a C init as PID 1 (run --init)
#define DO_OUTLIVE 0x20       // no parent-death signal (exec -d, the monitor)
#define DO_HOLD_JOIN 0x40     // wait for MSG_PROCEED before joining
#define DO_NEST_USERNS 0x80   // in userns_fd, make a user namespace of its own mapped 1:1
#define DO_DAEMONIZE 0x100    // go on in a child; the process the host started exits

struct start_header {
	uint32_t magic;
	uint32_t do_flags;
	uint32_t clone_flags; // CLONE_NEW* to create inside the user namespace
	int32_t join_pid;
	int32_t ended_fd; // the waiter's end of the "init ended" socket, or -1
	// A user namespace to enter instead of creating one (a network's, or
	// a container's whose network namespace is shared), a network
	// namespace to enter instead of creating one, and a descriptor the
	// waiter keeps open (a network's namespace, see package usernet);
	// each -1 when not given.
	int32_t userns_fd, netns_fd, keep_fd;
	// The IPC, UTS and PID namespaces of another container to enter
	// instead of creating them (--ipc, --uts, --pid container:NAME), and
	// with the IPC one, that container's mount namespace and a directory
	// of the run state where init finds its /dev/shm; each -1 when not
	// given.
	int32_t ipcns_fd, utsns_fd, pidns_fd, shm_mntns_fd, shm_dir_fd;
	uint32_t join_namespaces_len, remove_on_exit_len, remove_now_len, request_len;
};
#define START_MAGIC 0x4e555255u // "URUN"

// urun_stage is the stage this process is (argv[0], or "urun-ports" for
// the port child); empty when it is no stage. urun_stage_socket is its end
// of the socket to the host (-1 when it has none); urun_stage_request the
// Go request of the start message.
char urun_stage[32];
int urun_stage_socket = -1;
char *urun_stage_request;
uint32_t urun_stage_request_len;

static int sync_fd = -1;

static void send_msg(const char *msg) {
	if (send(sync_fd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
		_exit(125);
}

// fail reports "E<errno> <what>" to the host, which words the message.
static void fail(const char *what) {
	char buf[512];
	snprintf(buf, sizeof buf, "%c%d %s", MSG_ERRNO, errno, what);
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

static void remove_tree(const char *dir) {
	nftw(dir, remove_entry, 32, FTW_DEPTH | FTW_PHYS);
}

// waiter is what the forked-from process does: it stays in the user
// namespace (so it may delete files owned by subordinate ids) but outside the
// container's PID namespace, deletes the newline-separated directories in
// remove_now while init runs, waits for init, ends the port child if there
// is one, removes the container's writable layer if asked to, and exits
// with init's status. With an ended_fd, it says MSG_INIT_ENDED there once init ended
// and waits until the host closes its end before it exits: the waiter is
// the last process in the container's cgroup, which systemd removes with
// the scope once it is empty, and the host reads the cgroup's OOM count
// meanwhile.
// kill_orphans ends what init left behind in a PID namespace the container
// does not own (--pid host), which nothing else would end: the waiter is
// their subreaper, so they are its children now. Their own children come
// to it in turn, until none is left.
// The tiny init of a container in another's PID namespace (--pid
// container:NAME) does the same as their subreaper there. It reads /proc
// of its own PID namespace only: with another /proc mounted (its command
// failed before its root moved) the numbers there are not its own, and
// it only reaps.
static void kill_orphans(void) {
	char path[64], buf[4096], self[32];
	ssize_t len = readlink("/proc/self", self, sizeof self - 1);
	int own_proc = len > 0 && (self[len] = 0, atoi(self) == (int)getpid());
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	for (;;) {
		int fd = own_proc ? open(path, O_RDONLY | O_CLOEXEC) : -1, found = 0;
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = 0;
			for (char *p = strtok(buf, " \n"); p; p = strtok(NULL, " \n")) {
				kill((pid_t)atoi(p), SIGKILL);
				found = 1;
			}
		}
		pid_t got = waitpid(-1, NULL, found ? 0 : WNOHANG);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 && !found)
			return;
	}
}

static void waiter(pid_t init, pid_t ports, const char *remove_dir, char *remove_now, int ended_fd, int orphans) {
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
	if (ended_fd >= 0)
		send(ended_fd, (char[]){MSG_INIT_ENDED}, 1, MSG_NOSIGNAL);
	if (ports > 0) {
		kill(ports, SIGKILL);
		while (waitpid(ports, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (orphans)
		kill_orphans();
	if (remove_dir && remove_dir[0])
		remove_tree(remove_dir);
	if (ended_fd >= 0) {
		char c;
		while (recv(ended_fd, &c, 1, 0) < 0 && errno == EINTR)
			;
	}
	if (got < 0)
		_exit(125);
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

// become_root makes the process root of the user namespace it is in. The
// setgroups call drops the host's supplementary groups, which would
// otherwise show up as "nogroup". A namespace urun mapped itself (a single
// id, without newgidmap) denies setgroups: the groups stay there.
//
// Where the caller's id is not root's in the namespace (keep-id), the
// kernel clears the process's dumpable flag as its ids change; it is set
// back as it was: the waiter must stay dumpable, since slirp4netns, run by
// the host user, opens the network namespace through its /proc entry.
static void become_root(void) {
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	// keep-id without subordinate ids maps the caller's own ids alone:
	// there is no root to become, and the capabilities the new namespace
	// gave its maker are all the stage needs until the command's exec.
	if (setresgid(0, 0, 0) < 0) {
		if (errno == EINVAL)
			return;
		fail("setresgid to root of the user namespace");
	}
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		fail("setgroups in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		fail("setresuid to root of the user namespace");
	if (dumpable == 1 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		fail("keep the process dumpable");
}

// The signals people and job controllers send, passed on to the child by a
// process that only waits for it (the tiny init, the exec stage): the
// list of ForwardedSignals (signals.go) and SIGWINCH. SIGXCPU and SIGXFSZ,
// left at their default, would end the waiting process instead.
static const int forwarded_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT,
	SIGWINCH, SIGXCPU, SIGXFSZ,
};
static volatile pid_t forward_to;

static void forward_signal(int sig) {
	int saved = errno;
	kill(forward_to, sig);
	errno = saved;
}

// fork_forwarding forks. In the parent, the signals above go on to the
// child from then on; signals are blocked across the fork so that none is
// lost or handled by the child with the parent's handler.
static pid_t fork_forwarding(const char *what) {
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t child = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child < 0)
		fail(what);
	if (child > 0) {
		forward_to = child;
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = forward_signal;
		sa.sa_flags = SA_RESTART;
		for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
			sigaction(forwarded_signals[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return child;
}

// exit_with_child waits for child and exits with its status (128+signal
// when it was killed). With reap_all it is PID 1 (or their subreaper) and
// also reaps every other process that ends, orphans included; with
// orphans it ends those left once child ended.
static void exit_with_child(pid_t child, int reap_all, int orphans) {
	int status;
	for (;;) {
		pid_t got = waitpid(reap_all ? -1 : child, &status, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			_exit(125);
		if (got == child)
			break;
	}
	if (orphans)
		kill_orphans();
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

static int same_namespace(int fd, const char *name) {
	char path[64];
	struct stat ours, theirs;
	snprintf(path, sizeof path, "/proc/self/ns/%s", name);
	if (stat(path, &ours) < 0 || fstat(fd, &theirs) < 0)
		return 0;
	return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

static int namespace_type(const char *name) {
	static const struct {
		const char *name;
		int type;
	} types[] = {
		{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
		{"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS}, {"cgroup", CLONE_NEWCGROUP},
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].type;
	return 0;
}

// join_namespaces enters the user namespace of pid as its root, then the
// comma-separated namespaces in list, the mount namespace last (setns
// moves root and working directory to its root). Every namespace is
// opened first: once in the mount namespace, /proc is the container's. A
// namespace the process is in already is skipped: entering one's own user
// namespace fails. It returns whether the PID namespace was entered, which
// only children of the process will be in.
static int join_namespaces(pid_t pid, char *list) {
	char path[64], what[96];
	const char *names[8];
	int fds[8], types[8], n = 0, mnt_fd = -1, joined_pid = 0;
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	int user_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (user_fd < 0)
		fail("open the container's user namespace");
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		int type = namespace_type(name);
		snprintf(what, sizeof what, "open the container's %s namespace", name);
		if (type == 0 || n == 8) {
			errno = EINVAL;
			fail(what);
		}
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail(what);
		if (same_namespace(fd, name)) {
			close(fd);
		} else if (type == CLONE_NEWNS) {
			mnt_fd = fd;
		} else {
			names[n] = name;
			fds[n] = fd;
			types[n++] = type;
		}
	}
	if (!same_namespace(user_fd, "user") && setns(user_fd, CLONE_NEWUSER) < 0)
		fail("join the container's user namespace");
	close(user_fd);
	become_root();
	for (int i = 0; i < n; i++) {
		if (setns(fds[i], types[i]) < 0) {
			snprintf(what, sizeof what, "join the container's %s namespace", names[i]);
			fail(what);
		}
		close(fds[i]);
		joined_pid |= types[i] == CLONE_NEWPID;
	}
	if (mnt_fd >= 0) {
		if (setns(mnt_fd, CLONE_NEWNS) < 0)
			fail("join the container's mount namespace");
		close(mnt_fd);
	}
	return joined_pid;
}

// join is the stage of `urun exec`: it enters the namespaces of a running
// container's process. Since only children enter a PID namespace, it then
// forks: the child goes on as the Child stage, this process passes signals
// on and exits with the child's status. Detached (exec -d), neither dies
// with its parent.
// hide_from_container is for a process that runs urun's binary in the
// container's namespaces until it execs a command there: nothing in the
// container may ptrace it or open its /proc/PID/exe, which is urun's binary
// on the host (the class of CVE-2019-5736). Exec resets the flag. The
// waiter stays dumpable: slirp4netns, run by the host user, opens its
// network namespace through /proc.
static void hide_from_container(void) {
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("make the process not dumpable");
}

static void join(pid_t pid, char *list, int detached, int hold) {
	hide_from_container();
	// The host moves this process into the container's cgroup through
	// systemd first: everything forked from here on starts in it.
	if (hold)
		wait_for(MSG_PROCEED);
	if (!join_namespaces(pid, list)) {
		urun_stage_socket = sync_fd;
		return;
	}
	pid_t child = fork_forwarding("fork into the container's PID namespace");
	if (child == 0) {
		if (!detached && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			fail("set parent death signal");
		urun_stage_socket = sync_fd;
		return;
	}
	close(sync_fd);
	exit_with_child(child, 0, 0);
}

// joined_pid is how the container's init in another container's PID
// namespace (--pid container:NAME) becomes known to the host: there the
// tiny init stays as the subreaper of the container's processes, and
// its child, the Go init that execs the command, is the init signals
// and `urun stop` reach (it is not PID 1, so they act as on any
// process): a SIGKILL then ends the command, and the tiny init ends what
// it left. The child sends its credentials on creds, which the kernel
// gives the waiter with its pid in the waiter's PID namespace, and waits
// on pid_sent until the waiter told the host.
struct joined_pid {
	int creds, pid_sent;
};

static void report_init(struct joined_pid *j) {
	struct ucred cred = {getpid(), getuid(), getgid()};
	char data = MSG_INIT_PID, c;
	struct iovec iov = {&data, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof cred);
	memcpy(CMSG_DATA(cm), &cred, sizeof cred);
	if (sendmsg(j->creds, &msg, MSG_NOSIGNAL) < 0)
		fail("tell the waiter the pid of the container's init");
	close(j->creds);
	while (read(j->pid_sent, &c, 1) < 0 && errno == EINTR)
		;
	close(j->pid_sent);
}

// receive_init is the waiter's half of report_init: the pid of the
// container's init in the waiter's PID namespace, or 0 when init ended
// first (it has said why).
static pid_t receive_init(int creds) {
	char data;
	struct iovec iov = {&data, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
	ssize_t n;
	do {
		n = recvmsg(creds, &msg, 0);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;
			memcpy(&cred, CMSG_DATA(cm), sizeof cred);
			return cred.pid;
		}
	}
	return 0;
}

// keep_only_kill leaves the tiny init CAP_KILL alone: it only forks, waits
// and passes signals on (to a command that may run as another user), and
// must not be a process with more capabilities than the container's own.
static void keep_only_kill(void) {
	for (int cap = 0; cap < 64; cap++)
		if (cap != CAP_KILL && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{1u << CAP_KILL, 1u << CAP_KILL, 0}, {0, 0, 0}};
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("drop the tiny init's capabilities");
}

// run_tiny_init is `urun run --init`: this process stays PID 1, reaps
// every process that ends (orphans are reparented to it) and passes
// signals on to its child, which returns to go on as the Go init (and
// execs the command); it exits with the child's status. It shares the
// child's mount namespace, so the child's pivot_root moves its root too.
// In another container's PID namespace (joined, see join_pid) it is not
// PID 1: as the subreaper of the container's processes it reaps them, and
// ends those left when its child ends, as the end of a PID 1 would; its
// child is the container's init for the host.
static void run_tiny_init(struct joined_pid *joined) {
	if (joined && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		fail("become the container's subreaper");
	pid_t child = fork_forwarding("fork the container's command under the tiny init");
	if (child == 0) {
		// The Go init sets it again before exec, after changing credentials.
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			fail("set parent death signal");
		if (joined)
			report_init(joined);
		return;
	}
	if (joined) {
		close(joined->creds);
		close(joined->pid_sent);
	}
	// Nothing in the container may ptrace PID 1 or open /proc/1/exe, which
	// is the host's urun binary.
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	keep_only_kill();
	// The host learns that the command started when the last holder of the
	// socket, the command, execs.
	close(sync_fd);
	exit_with_child(child, 1, joined != NULL);
}

// write_identity_map maps the ids of the user namespace this process is
// in (file is "uid_map" or "gid_map" of /proc/self) one to one into the
// namespace of pid, a child namespace of ours.
static int write_identity_map(pid_t pid, const char *file) {
	char path[64], in[1024], out[1024];
	snprintf(path, sizeof path, "/proc/self/%s", file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, in, sizeof in - 1);
	close(fd);
	if (n <= 0)
		return -1;
	in[n] = 0;
	size_t used = 0;
	for (char *line = strtok(in, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long inside, outside, count;
		if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) != 3)
			return -1;
		int w = snprintf(out + used, sizeof out - used, "%lu %lu %lu\n", inside, inside, count);
		if (w < 0 || (size_t)w >= sizeof out - used)
			return -1;
		used += (size_t)w;
	}
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ok = write(fd, out, used) == (ssize_t)used;
	close(fd);
	return ok ? 0 : -1;
}

// nest_user_namespace makes this process root of a new user namespace
// inside the one it is root of, with the same ids. No setuid helper is
// needed: a child left behind in the outer namespace, where it holds
// CAP_SETUID, writes the maps. A container on a network nests so in the
// network's namespace: the kernel moves a veth into a network namespace
// only from its user namespace's own or an outer one, and each container
// still gets a user namespace, and so capabilities, of its own.
static void nest_user_namespace(void) {
	int unshared[2];
	if (pipe2(unshared, O_CLOEXEC) < 0)
		fail("create pipe");
	pid_t self = getpid();
	pid_t mapper = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (mapper < 0)
		fail("fork the id mapper");
	if (mapper == 0) {
		char c;
		close(unshared[1]);
		if (read(unshared[0], &c, 1) != 1)
			_exit(1);
		if (write_identity_map(self, "uid_map") < 0 || write_identity_map(self, "gid_map") < 0)
			_exit(2);
		_exit(0);
	}
	close(unshared[0]);
	int unshare_errno = 0;
	if (unshare(CLONE_NEWUSER) < 0)
		unshare_errno = errno;
	// Closing the pipe unblocks the mapper either way.
	if (!unshare_errno && write(unshared[1], "u", 1) != 1)
		unshare_errno = errno;
	close(unshared[1]);
	int status;
	while (waitpid(mapper, &status, 0) < 0 && errno == EINTR)
		;
	if (unshare_errno) {
		errno = unshare_errno;
		fail("unshare user namespace");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = EPERM;
		fail("write the id maps of the container's user namespace");
	}
	become_root();
}

// shared_shm_dir is the path of the run state's directory dir_fd where
// init mounts the shared /dev/shm, read while the process is still in
// the mount namespace the descriptor was opened in.
static char *shared_shm_dir(int dir_fd) {
	static char dir[4096];
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", dir_fd);
	ssize_t n = readlink(link, dir, sizeof dir - 1);
	if (n <= 0 || dir[0] != '/')
		fail("find the directory of the shared /dev/shm");
	dir[n] = 0;
	close(dir_fd);
	return dir;
}

// mount_shared_shm mounts the /dev/shm of the container in whose IPC
// namespace this one runs (--ipc container:NAME) on dir (shared_shm_dir),
// in this process's own mount namespace, where init binds it as the
// container's /dev/shm. Its tmpfs is in that container's mount namespace
// alone, and a mount is cloned only from the namespace the caller is in:
// the process enters it, clones the mount and comes back. Only a
// single-threaded process may change its mount namespace.
static void mount_shared_shm(int mntns_fd, const char *dir) {
	int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (own < 0)
		fail("open the container's mount namespace");
	if (setns(mntns_fd, CLONE_NEWNS) < 0)
		fail("enter the mount namespace of the container whose IPC namespace is shared");
	int shm = (int)syscall(SYS_open_tree, AT_FDCWD, "/dev/shm", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (shm < 0)
		fail("take the /dev/shm of the container whose IPC namespace is shared");
	if (setns(own, CLONE_NEWNS) < 0)
		fail("come back to the container's mount namespace");
	if (syscall(SYS_move_mount, shm, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		fail("mount the /dev/shm of the container whose IPC namespace is shared");
	close(shm);
	close(own);
	close(mntns_fd);
}

// read_start reads the start message, the socket's first: the header,
// then its strings (each NUL-terminated by read_start) and the request.
static struct start_header read_start(char **join_list, char **remove_dir, char **remove_now) {
	struct start_header h;
	ssize_t n;
	do {
		n = recv(sync_fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < (ssize_t)sizeof h)
		fail("read the start message");
	char *msg = malloc((size_t)n + 4);
	if (msg == NULL)
		fail("read the start message");
	if (recv(sync_fd, msg, (size_t)n, 0) != n)
		fail("read the start message");
	memcpy(&h, msg, sizeof h);
	size_t want = sizeof h + (size_t)h.join_namespaces_len + h.remove_on_exit_len + h.remove_now_len + h.request_len;
	if (h.magic != START_MAGIC || want != (size_t)n) {
		errno = EPROTO;
		fail("read the start message (is urun's binary the same on both sides?)");
	}
	// Each string is copied out with its terminating NUL.
	char *p = msg + sizeof h;
	char **dst[] = {join_list, remove_dir, remove_now};
	uint32_t lens[] = {h.join_namespaces_len, h.remove_on_exit_len, h.remove_now_len};
	for (int i = 0; i < 3; i++) {
		*dst[i] = strndup(p, lens[i]);
		p += lens[i];
	}
	urun_stage_request = p;
	urun_stage_request_len = h.request_len;
	return h;
}

// set_stage_name names the stage after argv[0]'s last element.
static void set_stage_name(const char *argv0) {
	const char *slash = strrchr(argv0, '/');
	snprintf(urun_stage, sizeof urun_stage, "%s", slash ? slash + 1 : argv0);
}

__attribute__((constructor)) static void urun_stage_entry(int argc, char **argv) {
	const char *fd_env = getenv("_URUN_STAGE");
	if (fd_env == NULL || argc < 1)
		return;
	sync_fd = atoi(fd_env);
	// Nothing this process execs (the storage library re-executes its own
	// binary) may take itself for a stage. glibc unsets in place, so the
	// Go runtime, which reads the same array later, sees it gone.
	unsetenv("_URUN_STAGE");
	if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0)
		fail("mark the stage socket close-on-exec");
	set_stage_name(argv[0]);
	char *join_list, *remove_dir, *remove_now;
	struct start_header h = read_start(&join_list, &remove_dir, &remove_now);
	int flags = (int)h.clone_flags;
	int fork_init = h.do_flags & DO_FORK_INIT, fork_ports = h.do_flags & DO_FORK_PORTS;
	int tiny_init = h.do_flags & DO_TINY_INIT, detached = h.do_flags & DO_OUTLIVE;
	int hold = h.do_flags & DO_HOLD_JOIN;
	int ended_fd = h.ended_fd;
	if (ended_fd >= 0 && fcntl(ended_fd, F_SETFD, FD_CLOEXEC) < 0)
		fail("mark the end socket close-on-exec");
	// The kept descriptor stays with the waiter; the command init execs
	// must not see it.
	if (h.keep_fd >= 0 && fcntl(h.keep_fd, F_SETFD, FD_CLOEXEC) < 0)
		fail("mark the kept descriptor close-on-exec");
	int joined[] = {h.ipcns_fd, h.utsns_fd, h.pidns_fd, h.shm_mntns_fd, h.shm_dir_fd};
	for (size_t i = 0; i < sizeof joined / sizeof joined[0]; i++)
		if (joined[i] >= 0 && fcntl(joined[i], F_SETFD, FD_CLOEXEC) < 0)
			fail("mark a shared namespace close-on-exec");

	// Die with the host-side urun: nothing of the container may outlive it.
	if (!detached && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail("set parent death signal");

	if (h.do_flags & DO_JOIN) {
		join(h.join_pid, join_list, detached, hold);
		return;
	}
	if (!(h.do_flags & DO_CREATE_USERNS)) {
		// A stage in the caller's namespaces (the monitor).
		urun_stage_socket = sync_fd;
		return;
	}

	if (h.userns_fd >= 0) {
		if (setns(h.userns_fd, CLONE_NEWUSER) < 0)
			fail("join the network's user namespace");
		close(h.userns_fd);
		become_root();
		if (h.do_flags & DO_NEST_USERNS)
			nest_user_namespace();
		// The host wrote what the stage reads.
		wait_for(MSG_PROCEED);
	} else {
		if (unshare(CLONE_NEWUSER) < 0)
			fail("unshare user namespace");
		send_msg((char[]){MSG_USERNS_MADE, 0});
		// The host ran newuidmap and newgidmap, and wrote what the stage reads.
		wait_for(MSG_PROCEED);
		become_root();
	}
	if (h.netns_fd >= 0) {
		if (setns(h.netns_fd, CLONE_NEWNET) < 0)
			fail("join the shared network namespace");
		close(h.netns_fd);
	}
	if (h.ipcns_fd >= 0) {
		if (setns(h.ipcns_fd, CLONE_NEWIPC) < 0)
			fail("join the shared IPC namespace");
		close(h.ipcns_fd);
	}
	if (h.utsns_fd >= 0) {
		if (setns(h.utsns_fd, CLONE_NEWUTS) < 0)
			fail("join the shared UTS namespace");
		close(h.utsns_fd);
	}

	if (!fork_init) {
		if (flags && unshare(flags) < 0)
			fail("unshare namespaces");
		// A stage that outlives whoever started it (the network holder)
		// must not stay its child: a long-lived parent (a detached
		// container's monitor) would never reap it.
		if (h.do_flags & DO_DAEMONIZE) {
			pid_t child = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
			if (child < 0)
				fail("fork the stage");
			if (child > 0)
				_exit(0);
			// The host may use the namespaces (through /proc/PID) while
			// the stage's Go code starts.
			char msg[32];
			snprintf(msg, sizeof msg, "%c%d", MSG_INIT_PID, (int)getpid());
			send_msg(msg);
		}
		urun_stage_socket = sync_fd;
		return;
	}
	// The container and urun's helpers for it (this waiter, the port
	// child) get a session of their own. A signal sent to the caller's
	// process group (a terminal's ^C without -t, `timeout`, kill -- -PGID)
	// then reaches urun alone, which passes it on to the container as
	// Docker's sig-proxy does: the helpers live as long as the container,
	// not as long as the caller's group, and the container hears it once.
	if (setsid() < 0)
		fail("start a session for the container");

	// The mount namespace is init's alone: pivot_root must not move the
	// waiter's root, which keeps the host's view of the store. The PID
	// namespace comes after the port child, which must not be in it: init's
	// exit would wait for it to be reaped.
	if ((flags & ~(CLONE_NEWNS | CLONE_NEWPID)) && unshare(flags & ~(CLONE_NEWNS | CLONE_NEWPID)) < 0)
		fail("unshare namespaces");
	pid_t ports = 0;
	if (fork_ports) {
		// The port child shares the waiter's namespaces: the container's
		// user and network namespaces, the host's mount and PID namespaces
		// (its sockets live in the run state). It ends with the waiter.
		ports = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		if (ports < 0)
			fail("fork the port forwarder");
		if (ports == 0) {
			// Only init may hold the sync socket: its closing on exec tells
			// the host the command started.
			close(sync_fd);
			if (ended_fd >= 0)
				close(ended_fd);
			if (h.shm_mntns_fd >= 0)
				close(h.shm_mntns_fd);
			if (h.shm_dir_fd >= 0)
				close(h.shm_dir_fd);
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
				_exit(125);
			snprintf(urun_stage, sizeof urun_stage, "urun-ports");
			return;
		}
	}
	if ((flags & CLONE_NEWPID) && unshare(CLONE_NEWPID) < 0)
		fail("unshare PID namespace");
	// Init is forked into another container's PID namespace (--pid
	// container:NAME): only children enter one.
	int joined_pid = h.pidns_fd >= 0;
	if (joined_pid) {
		if (setns(h.pidns_fd, CLONE_NEWPID) < 0)
			fail("join the shared PID namespace");
		close(h.pidns_fd);
	}
	// Without a PID namespace of its own (--pid host) the container's
	// processes do not end with init: the waiter adopts them to end them.
	// In another container's, only a process in it can: the tiny init
	// does (run_tiny_init).
	int orphans = !(flags & CLONE_NEWPID) && !joined_pid;
	if (orphans && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		fail("become the container's subreaper");
	// Init speaks on the socket only after the waiter has sent its pid, so
	// the host reads the messages in order.
	int pid_sent[2], creds[2] = {-1, -1}, one = 1;
	if (pipe2(pid_sent, O_CLOEXEC) < 0)
		fail("create pipe");
	if (joined_pid && (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, creds) < 0 ||
	                   setsockopt(creds[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0))
		fail("create the socket for the pid of the container's init");
	pid_t init = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (init < 0)
		fail("fork the container's init");
	if (init == 0) {
		char c;
		close(pid_sent[1]);
		if (ended_fd >= 0)
			close(ended_fd);
		struct joined_pid joined = {creds[1], pid_sent[0]};
		if (joined_pid) {
			// Its child waits instead (report_init).
			close(creds[0]);
		} else {
			while (read(pid_sent[0], &c, 1) < 0 && errno == EINTR)
				;
			close(pid_sent[0]);
		}
		hide_from_container();
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			fail("set parent death signal");
		const char *shm_dir = h.shm_dir_fd >= 0 ? shared_shm_dir(h.shm_dir_fd) : NULL;
		if ((flags & CLONE_NEWNS) && unshare(CLONE_NEWNS) < 0)
			fail("unshare mount namespace");
		if (h.shm_mntns_fd >= 0 && shm_dir)
			mount_shared_shm(h.shm_mntns_fd, shm_dir);
		if (tiny_init || joined_pid)
			run_tiny_init(joined_pid ? &joined : NULL);
		urun_stage_socket = sync_fd;
		return;
	}
	pid_t reported = init;
	if (joined_pid) {
		close(creds[1]);
		reported = receive_init(creds[0]);
		close(creds[0]);
	}
	char msg[32];
	snprintf(msg, sizeof msg, "%c%d", MSG_INIT_PID, (int)reported);
	// Init that ended before it said its pid has said why.
	if (reported > 0)
		send_msg(msg);
	close(pid_sent[1]);
	close(pid_sent[0]);
	close(sync_fd);
	// The other container's mount namespace is init's business alone.
	if (h.shm_mntns_fd >= 0)
		close(h.shm_mntns_fd);
	if (h.shm_dir_fd >= 0)
		close(h.shm_dir_fd);
	waiter(init, ports, remove_dir, remove_now, ended_fd, orphans);
}
