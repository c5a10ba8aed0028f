/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Keeps the pgnet library non-empty until nft.c and nfq.c land. */
int pg_net_placeholder;
