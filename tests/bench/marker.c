/*
 * The benchmark's stage-2 marker (scripts/bench, tests/bench/builtin-kernel): a tiny
 * static /sbin/init that marks "stage 2 reached" in the kernel log and powers off, so
 * that the time from the kernel's "Run /init as init process" to this line is stage one
 * alone, without the page-in of a shell through dm-verity.
 *
 * Built at benchmark time against the kernel tree's nolibc (tools/include/nolibc), never
 * committed as a binary:
 *   gcc -Os -static -nostdlib -fno-asynchronous-unwind-tables -fno-ident \
 *       -Wl,-z,noseparate-code -include nolibc.h -I <kernel>/tools/include/nolibc \
 *       -o marker marker.c
 * (-z noseparate-code keeps it to one page, so that its page-in through dm-verity is
 * one block hashed, as small as a stage 2 can be.)
 *
 * It writes "ddiboot-marker: stage 2 reached" to /dev/kmsg (the line gets the kernel's
 * timestamp), then copies the kernel log lines holding "Run /init" or "ddiboot-marker"
 * (read with syslog(2), timestamps included) to the console, since "quiet" keeps both
 * off it, and powers off.
 */

#define LOG_SIZE (256 * 1024)
static char log_buf[LOG_SIZE];

static int has(const char *line, int len, const char *word)
{
	int n = strlen(word);

	for (int i = 0; i + n <= len; i++)
		if (memcmp(line + i, word, n) == 0)
			return 1;
	return 0;
}

int main(void)
{
	static const char mark[] = "<6>ddiboot-marker: stage 2 reached\n";
	int kmsg, con, len;

	kmsg = open("/dev/kmsg", O_WRONLY, 0);
	if (kmsg < 0) {
		/* A stage one that did not bring /dev along (the floors). */
		mkdir("/dev", 0755);
		mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
		kmsg = open("/dev/kmsg", O_WRONLY, 0);
	}
	if (kmsg >= 0)
		write(kmsg, mark, sizeof(mark) - 1);

	/* syslog(SYSLOG_ACTION_READ_ALL): the whole ring buffer, "<L>[ secs] text" lines. */
	len = my_syscall3(__NR_syslog, 3, log_buf, LOG_SIZE);
	con = open("/dev/console", O_WRONLY, 0);
	if (con < 0)
		con = 1;
	for (int start = 0, i = 0; i < len; i++) {
		if (log_buf[i] != '\n')
			continue;
		if (has(log_buf + start, i - start, "Run /init") ||
		    has(log_buf + start, i - start, "ddiboot-marker"))
			write(con, log_buf + start, i + 1 - start);
		start = i + 1;
	}
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
