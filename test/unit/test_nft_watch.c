/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table watch (nft_watch.h) and the kernel's view of the table
 * (pg_nft_table_state), against the real kernel in a private network
 * namespace: our own applies are not losses; the nft CLI (another process)
 * deleting or flushing the table is, named by what it did; other tables
 * are nobody's business; the table state follows.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "peergate/nft_show.h"
#include "peergate/nft_table.h"
#include "peergate/nft_watch.h"

static int sh(const char *cmd)
{
	int st = system(cmd);
	return st == -1 ? -1 : WEXITSTATUS(st);
}

static void small_config(struct pg_nft_config *c)
{
	memset(c, 0, sizeof(*c));
	c->hooks = PG_HOOK_OUTPUT | PG_HOOK_FORWARD;
	c->queue_count = 1;
	c->queue_bypass = true;
	c->mark_mask = 0x07000000;
	c->tcp_reset = true;
}

/* What the watch reports now (the nft CLI has exited, so the kernel has
 * sent all the events of its batch). */
static unsigned drained(struct pg_nft_watch *w)
{
	unsigned lost = 0;
	char err[256] = "";

	CHECK(pg_nft_watch_drain(w, &lost, err, sizeof(err)) == 0);
	if (err[0])
		fprintf(stderr, "drain: %s\n", err);
	return lost;
}

static void apply(const struct pg_nft_config *c)
{
	char err[512] = "";

	int rc = pg_nft_apply(c, NULL, err, sizeof(err));

	CHECK(rc == 0);
	if (rc < 0)
		fprintf(stderr, "apply: %s\n", err);
}

static void test_watch(void)
{
	struct pg_nft_config c;
	struct pg_nft_table_state st;
	struct pg_nft_watch *w;
	char err[256] = "";
	unsigned rules;

	small_config(&c);
	w = pg_nft_watch_open(err, sizeof(err));
	CHECK(w != NULL);
	if (!w) {
		fprintf(stderr, "watch: %s\n", err);
		return;
	}
	struct pollfd pfd = {.fd = pg_nft_watch_fd(w), .events = POLLIN};
	CHECK(poll(&pfd, 1, 0) == 0);            /* nothing yet */

	/* Our own apply, and our own update in place (which deletes our
	 * old rules and sets): events arrive, no loss. */
	apply(&c);
	CHECK(poll(&pfd, 1, 0) == 1);
	CHECK(drained(w) == 0);
	apply(&c);
	CHECK(drained(w) == 0);
	CHECK(pg_nft_table_state(&st, err, sizeof(err)) == 0);
	CHECK(st.present && st.chains == 2 && st.rules > 4);
	rules = st.rules;

	/* Another table, even one called peergate in another family. */
	CHECK(sh("nft add table ip peergate && nft add chain ip peergate c && "
		 "nft add rule ip peergate c counter && nft delete table ip peergate") == 0);
	CHECK(sh("nft add table inet other && nft delete table inet other") == 0);
	CHECK(drained(w) == 0);

	/* A rule deleted, a chain flushed, the table flushed. */
	CHECK(sh("h=$(nft -a list chain inet peergate output 2>/dev/null | sed -n 's/.* handle \\([0-9]*\\)$/\\1/p' | tail -1) && "
		 "nft delete rule inet peergate output handle $h") == 0);
	CHECK(drained(w) == PG_NFT_LOSS_RULES);
	CHECK(pg_nft_table_state(&st, err, sizeof(err)) == 0);
	CHECK(st.present && st.rules == rules - 1);
	CHECK(sh("nft flush chain inet peergate forward") == 0);
	CHECK(drained(w) == PG_NFT_LOSS_RULES);
	CHECK(sh("nft flush table inet peergate") == 0);
	CHECK(drained(w) == PG_NFT_LOSS_RULES);
	CHECK_STR(pg_nft_loss_describe(PG_NFT_LOSS_RULES), "rules flushed");
	CHECK(pg_nft_table_state(&st, err, sizeof(err)) == 0);
	CHECK(st.present && st.chains == 2 && st.rules == 0);

	/* Back by our apply, then deleted: the table's loss is named first
	 * (its rules, chains, sets and counters went with it). */
	apply(&c);
	CHECK(drained(w) == 0);
	CHECK(sh("nft delete table inet peergate") == 0);
	unsigned lost = drained(w);
	CHECK(lost & PG_NFT_LOSS_TABLE);
	CHECK_STR(pg_nft_loss_describe(lost), "table deleted");
	CHECK(pg_nft_table_state(&st, err, sizeof(err)) == 0);
	CHECK(!st.present && st.chains == 0 && st.rules == 0);

	/* flush ruleset, as nftables.service does on reload */
	apply(&c);
	CHECK(drained(w) == 0);
	CHECK(sh("nft flush ruleset") == 0);
	CHECK(drained(w) & PG_NFT_LOSS_TABLE);

	/* Our own delete (peergated's exit) is not a loss either. */
	apply(&c);
	CHECK(pg_nft_flush(err, sizeof(err)) == 0);
	CHECK(drained(w) == 0);
	pg_nft_watch_close(w);
}

static void test_describe(void)
{
	CHECK_STR(pg_nft_loss_describe(0), "unchanged");
	CHECK_STR(pg_nft_loss_describe(PG_NFT_LOSS_SETS | PG_NFT_LOSS_CHAIN), "chain deleted");
	CHECK_STR(pg_nft_loss_describe(PG_NFT_LOSS_SETS), "set or counter deleted");
	CHECK_STR(pg_nft_loss_describe(PG_NFT_LOSS_UNKNOWN), "events lost");
}

int main(void)
{
	char err[256] = "";

	test_describe();
	if (geteuid() != 0) {
		printf("test_nft_watch: skipped: needs root (nftables in a private network namespace)\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("test_nft_watch: skipped: cannot create a network namespace: %s\n",
		       strerror(errno));
		return 77;
	}
	if (sh("nft --version >/dev/null 2>&1") != 0) {
		printf("test_nft_watch: skipped: the nft CLI plays the other program\n");
		return 77;
	}
	if (pg_nft_flush(err, sizeof(err)) < 0) {
		printf("test_nft_watch: skipped: nf_tables unavailable: %s\n", err);
		return 77;
	}
	test_watch();
	return pg_test_summary("test_nft_watch");
}
