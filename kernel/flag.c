// SPDX-License-Identifier: GPL-2.0
/*
 * nf_ckpt: setting and clearing the flag of a connection on request.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netlink.h>

#include "nf_ckpt.h"

int ckpt_flag_set(struct ckpt_net *cn, const struct ckpt_key *req, u32 owner,
		  u32 portid, struct netlink_ext_ack *extack)
{
	struct ckpt_entry *e;
	struct ckpt_key key;
	struct nf_conn *ct;
	int err = 0;

	ct = ckpt_ct_find(cn->net, req);
	if (!ct) {
		NL_SET_ERR_MSG(extack, "no such connection in conntrack");
		return -ENOENT;
	}
	ckpt_key_from_ct(&key, ct);

	mutex_lock(&cn->lock);

	/*
	 * Under cn->lock no entry leaves the index: E stays valid.  A rule
	 * may add the entry from a packet path between lookup and add.
	 */
	e = ckpt_entry_lookup(cn, &key);
	if (!e) {
		err = ckpt_entry_add(cn, &key, owner, GFP_KERNEL_ACCOUNT, extack);
		if (err == -EEXIST)
			e = ckpt_entry_lookup(cn, &key);
		else if (err)
			goto unlock;
	}
	if (e)
		WRITE_ONCE(e->owner, owner);
	err = 0;

	if (ckpt_ct_mark(cn, ct, true)) {
		ckpt_ct_announce(ct, portid);
		if (e)
			WRITE_ONCE(e->announced, ckpt_now16());
	}

unlock:
	mutex_unlock(&cn->lock);
	nf_ct_put(ct);
	return err;
}

int ckpt_flag_clear(struct ckpt_net *cn, const struct ckpt_key *req,
		    u32 portid, struct netlink_ext_ack *extack)
{
	struct ckpt_entry *e;
	struct ckpt_key key;
	struct nf_conn *ct;

	/* A connection already gone may still be in the index: drop it. */
	ct = ckpt_ct_find(cn->net, req);
	if (ct)
		ckpt_key_from_ct(&key, ct);
	else
		key = *req;

	mutex_lock(&cn->lock);

	e = ckpt_entry_lookup(cn, &key);
	if (e && ckpt_entry_unlink(cn, e)) {
		ckpt_entry_free_rcu(e);
		atomic64_inc(&cn->cleared);
	}
	if (ct && ckpt_ct_mark(cn, ct, false)) {
		ckpt_ct_announce(ct, portid);
		ckpt_nl_notify_clear(cn, ct);
	}

	mutex_unlock(&cn->lock);
	if (ct)
		nf_ct_put(ct);
	return 0;
}

/*
 * A rule matched CT, a connection not yet confirmed: flag it now, in the
 * packet path, so that even its first event carries the flag.
 */
void ckpt_flag_new(struct ckpt_net *cn, struct nf_conn *ct, u32 owner)
{
	struct ckpt_entry *e;
	struct ckpt_key key;
	int err;

	ckpt_key_from_ct(&key, ct);
	err = ckpt_entry_add(cn, &key, owner, GFP_ATOMIC, NULL);
	if (err == -EEXIST) {
		/* A dead connection's entry, not yet collected: take it over. */
		e = ckpt_entry_lookup(cn, &key);
		if (e)
			WRITE_ONCE(e->owner, owner);
	} else if (err) {
		return;
	}

	ckpt_ct_mark(cn, ct, true);
	atomic64_inc(&cn->rule_hits);
}
