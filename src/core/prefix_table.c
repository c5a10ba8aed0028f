/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A binary trie per family, its nodes in one array (indexes, not pointers,
 * so growing it is one realloc).  Node 0 and 1 are the IPv4 and IPv6 roots
 * (the /0 prefixes); index 0 also means "no child", which is safe because a
 * root is never anyone's child.
 */
#include "peergate/prefix_table.h"

#include <stdlib.h>

struct trie_node {
	uint32_t child[2];
	uint32_t value;
	bool set;
};

struct pg_prefix_table {
	struct trie_node *nodes;
	uint32_t count, cap;
	size_t prefixes;
};

enum { ROOT4 = 0, ROOT6 = 1 };

struct pg_prefix_table *pg_prefix_table_create(void)
{
	struct pg_prefix_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cap = 64;
	t->nodes = calloc(t->cap, sizeof(*t->nodes));
	if (!t->nodes) {
		free(t);
		return NULL;
	}
	t->count = 2;
	return t;
}

void pg_prefix_table_destroy(struct pg_prefix_table *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t);
}

static unsigned bit_at(const uint8_t *addr, unsigned i)
{
	return (addr[i / 8] >> (7 - i % 8)) & 1u;
}

static uint32_t new_node(struct pg_prefix_table *t)
{
	if (t->count == t->cap) {
		if (t->cap > UINT32_MAX / 2)
			return 0;
		struct trie_node *n = realloc(t->nodes, 2 * (size_t)t->cap * sizeof(*n));
		if (!n)
			return 0;
		t->nodes = n;
		t->cap *= 2;
	}
	t->nodes[t->count] = (struct trie_node){ 0 };
	return t->count++;
}

bool pg_prefix_table_add(struct pg_prefix_table *t, const struct pg_prefix *p,
			 uint32_t value)
{
	if (!t || !p || (p->family != 4 && p->family != 6) ||
	    p->len > (p->family == 6 ? 128 : 32))
		return false;
	uint32_t at = p->family == 6 ? ROOT6 : ROOT4;
	for (unsigned i = 0; i < p->len; i++) {
		unsigned b = bit_at(p->addr, i);
		if (!t->nodes[at].child[b]) {
			uint32_t n = new_node(t);
			if (!n)
				return false;
			t->nodes[at].child[b] = n;
		}
		at = t->nodes[at].child[b];
	}
	if (!t->nodes[at].set) {
		t->nodes[at].set = true;
		t->nodes[at].value = value;
		t->prefixes++;
	}
	return true;
}

bool pg_prefix_table_lookup(const struct pg_prefix_table *t, uint8_t family,
			    const uint8_t *addr, uint32_t *value, uint8_t *len)
{
	if (!t || !addr || (family != 4 && family != 6))
		return false;
	unsigned bits = family == 6 ? 128 : 32, i = 0;
	uint32_t at = family == 6 ? ROOT6 : ROOT4;
	bool found = false;

	for (;;) {
		const struct trie_node *n = &t->nodes[at];
		if (n->set) {
			found = true;
			*value = n->value;
			if (len)
				*len = (uint8_t)i;
		}
		if (i == bits || !n->child[bit_at(addr, i)])
			break;
		at = n->child[bit_at(addr, i)];
		i++;
	}
	return found;
}

size_t pg_prefix_table_count(const struct pg_prefix_table *t)
{
	return t ? t->prefixes : 0;
}
