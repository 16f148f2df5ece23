// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pcpd's configuration and check-point policy
 * (userspace/pcpd/config.c, policy.c, subscriber.c): the file's keys and
 * classes, every mistake named with its line, which subscriber and class
 * an address belongs to, how a class overrides the client either way
 * (RFC 7767 sections 4 and 5), each class's limits, and what a reload
 * may not change.  KTAP.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ktap.h"

#include "config.h"
#include "subscriber.h"

#define PLAN 68

#define LONG_NAME	"0123456789abcdef0123456789abcdef0123456789"

/* The RFC's example: gold protects everything, bronze nothing. */
static const char example[] =
	"# pcpd.conf for the tests\n"
	"listen 192.0.2.1\n"
	"listen 192.0.2.129   # a second inside network\n"
	"external 198.51.100.1\n"
	"ports 20000-29999\n"
	"lifetime 60-3600\n"
	"quota 32\n"
	"subscriber-prefix-length 30\n"
	"subscriber 10.9.0.0/16\n"
	"third-party 192.0.2.10 192.0.2.0/24\n"
	"\n"
	"class default {\n"
	"\tcheckpoint-max 4\n"
	"\tprotect udp 5060\n"
	"}\n"
	"class gold {\n"
	"\tmembers 10.0.0.0/8 172.16.0.0/12\n"
	"\tcheckpoint all\n"
	"\tcheckpoint-max 64\n"
	"\tcheckpoint-rate 50/s\n"
	"\tcheckpoint-burst 100\n"
	"\tnever-protect tcp 1-1023\n"
	"}\n"
	"class bronze {\n"
	"\tmembers 10.1.0.0/16\n"
	"\tcheckpoint never\n"
	"}\n";

/* The key of address S (policy.h), IPv4 or IPv6. */
static uint64_t ip(const char *s)
{
	struct in6_addr a6 = { 0 };

	a6.s6_addr[10] = a6.s6_addr[11] = 0xff;
	if (inet_pton(AF_INET, s, a6.s6_addr + 12) != 1)
		inet_pton(AF_INET6, s, &a6);
	return pcpd_key_of(&a6);
}

/* Parse TEXT into C; the result, ERR filled in on a mistake. */
static int parse(struct pcpd_config *c, const char *text, char *err,
		 size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	pcpd_config_init(c);
	ret = pcpd_config_parse(c, f, "test.conf", err, len);
	fclose(f);
	return ret;
}

static void test_example(void)
{
	const struct pcpd_class *gold, *def;
	struct pcpd_config c;
	char err[600] = "";
	int ret;

	ret = parse(&c, example, err, sizeof(err));
	if (ret)
		printf("# %s\n", err);
	ktap_check(!ret && c.n_listen == 2 && !strcmp(c.listen[1], "192.0.2.129") &&
		   c.has_external,
		   "the example file is read: two listen addresses, the external one");
	ktap_check(c.map.port_min == 20000 && c.map.port_max == 29999 &&
		   c.map.lifetime_min == 60 && c.map.lifetime_max == 3600 &&
		   c.map.quota == 32, "ports, lifetime and quota are the file's");
	ktap_check(c.policy.n_classes == 3, "three classes: default, gold, bronze");
	def = &c.policy.classes[0];
	gold = &c.policy.classes[1];
	ktap_check(!strcmp(def->name, "default") && def->limits.max_entries == 4 &&
		   def->limits.cost_ms == 100 && def->limits.burst == 20 &&
		   def->n_ports == 1 && def->mode == PCPD_CKPT_ON_REQUEST,
		   "class default keeps its other defaults and gains what the file sets");
	ktap_check(gold->mode == PCPD_CKPT_ALL && gold->limits.max_entries == 64 &&
		   gold->limits.cost_ms == 20 && gold->limits.burst == 100 &&
		   gold->n_members == 2 && gold->n_ports == 1,
		   "class gold: all, 64, 50/s (20 ms a token), burst 100, two members");
	ktap_check(pcpd_policy_class(&c.policy, ip("10.2.3.4")) == gold &&
		   pcpd_policy_class(&c.policy, ip("172.20.0.1")) == gold,
		   "an address in either of gold's prefixes is gold");
	ktap_check(!strcmp(pcpd_policy_class(&c.policy, ip("10.1.2.3"))->name, "bronze"),
		   "10.1.2.3 is bronze: its /16 is longer than gold's /8");
	ktap_check(pcpd_policy_class(&c.policy, ip("192.168.1.1")) == def,
		   "an address in no class's prefix is in class default");
	ktap_check(pcpd_policy_subscriber(&c.policy, ip("192.168.1.7")) == ip("192.168.1.4"),
		   "subscriber-prefix-length 30: 192.168.1.7 belongs to subscriber 192.168.1.4");
	ktap_check(pcpd_policy_subscriber(&c.policy, ip("10.9.200.3")) == ip("10.9.0.0"),
		   "a configured subscriber prefix makes 10.9.0.0/16 one subscriber");
	ktap_check(pcpd_policy_third_party(&c.policy, ip("192.0.2.10")) &&
		   !pcpd_policy_third_party(&c.policy, ip("192.0.2.11")),
		   "THIRD_PARTY is allowed to 192.0.2.10 only");
	ktap_check(pcpd_policy_third_party_host(&c.policy, ip("192.0.2.10"), ip("192.0.2.99")) &&
		   !pcpd_policy_third_party_host(&c.policy, ip("192.0.2.10"), ip("198.51.100.2")),
		   "...for hosts in 192.0.2.0/24 only");
	pcpd_config_free(&c);
}

static void test_verdicts(void)
{
	const struct pcpd_class *gold, *bronze, *def;
	struct pcpd_config c;
	char err[600];

	parse(&c, example, err, sizeof(err));
	def = &c.policy.classes[0];
	gold = &c.policy.classes[1];
	bronze = &c.policy.classes[2];
	ktap_check(pcpd_class_decide(def, IPPROTO_TCP, 8080, 0, true) == PCPD_CLASS_ASKED &&
		   pcpd_class_decide(def, IPPROTO_TCP, 8080, 0, false) == PCPD_CLASS_UNWANTED,
		   "on-request: protected when asked, not otherwise");
	ktap_check(pcpd_class_decide(def, IPPROTO_UDP, 5060, 0, false) == PCPD_CLASS_FORCED,
		   "protect udp 5060: a MAP of internal port 5060 is protected unasked");
	ktap_check(pcpd_class_decide(def, IPPROTO_UDP, 40000, 5060, false) == PCPD_CLASS_FORCED,
		   "...and so is a PEER to remote port 5060");
	ktap_check(pcpd_class_decide(def, IPPROTO_TCP, 5060, 0, false) == PCPD_CLASS_UNWANTED,
		   "...but not TCP 5060");
	ktap_check(pcpd_class_decide(gold, IPPROTO_TCP, 8080, 0, false) == PCPD_CLASS_FORCED,
		   "checkpoint all: gold's mapping is protected unasked");
	ktap_check(pcpd_class_decide(gold, IPPROTO_TCP, 22, 0, true) == PCPD_CLASS_REFUSED &&
		   pcpd_class_decide(gold, IPPROTO_UDP, 22, 0, false) == PCPD_CLASS_FORCED,
		   "never-protect tcp 1-1023 wins over all, for TCP only");
	ktap_check(pcpd_class_decide(bronze, IPPROTO_UDP, 5060, 0, true) == PCPD_CLASS_REFUSED &&
		   pcpd_class_decide(bronze, IPPROTO_UDP, 5060, 0, false) == PCPD_CLASS_UNWANTED,
		   "checkpoint never: bronze is refused when it asks");
	pcpd_config_free(&c);
}

/* The limits a subscriber meets are its class's. */
static void test_limits(void)
{
	struct pcpd_subscribers subs = { 0 };
	struct pcpd_subscriber *a, *b;
	struct pcpd_config c;
	char err[600];

	parse(&c, "class small {\n members 10.0.0.0/24\n checkpoint-max 1\n}\n"
		  "class none {\n members 10.0.1.0/24\n checkpoint-max 0\n}\n",
	      err, sizeof(err));
	subs.policy = &c.policy;
	a = pcpd_subscriber_get(&subs, ip("10.0.0.1"), 0);
	ktap_check(a && !strcmp(a->class->name, "small"), "a subscriber knows its class");
	ktap_check(pcpd_subscriber_ckpt(a, 0) == PCPD_CKPT_GRANT,
		   "small's first check-point is granted");
	a->checkpointed = 1;
	ktap_check(pcpd_subscriber_ckpt(a, 0) == PCPD_CKPT_QUOTA && a->refused_quota == 1,
		   "its second is refused: checkpoint-max 1");
	b = pcpd_subscriber_get(&subs, ip("10.0.1.1"), 0);
	ktap_check(pcpd_subscriber_ckpt(b, 0) == PCPD_CKPT_POLICY && b->refused_policy == 1,
		   "checkpoint-max 0 refuses every check-point, as policy");
	c.policy.classes[1].members[0].key = ip("10.0.1.0");
	c.policy.classes[2].members[0].key = ip("10.0.0.0");
	pcpd_subscribers_reclass(&subs);
	ktap_check(!strcmp(a->class->name, "none") && !strcmp(b->class->name, "small"),
		   "after the policy changes, each subscriber is put in its class again");
	pcpd_subscribers_free(&subs);
	pcpd_config_free(&c);
}

/* Each mistake: refused, with the line and the reason. */
static void expect_error(const char *text, const char *want, const char *what)
{
	struct pcpd_config c;
	char err[600] = "";
	int ret = parse(&c, text, err, sizeof(err));

	if (!ret || !strstr(err, want))
		printf("# got: %s\n", ret ? err : "(accepted)");
	ktap_check(ret && strstr(err, want), what);
	pcpd_config_free(&c);
}

static void test_errors(void)
{
	expect_error("quota 4\nlistne 192.0.2.1\n", "test.conf:2: 'listne' is not a key",
		     "an unknown key is named, with its line");
	expect_error("listen 192.0.2.300\n",
		     "test.conf:1: listen: '192.0.2.300' is not an IPv4 or IPv6 address",
		     "a bad listen address");
	expect_error("listen 192.0.2.1\nlisten 192.0.2.1\n", "listen: 192.0.2.1 is given twice",
		     "a listen address given twice");
	expect_error("ports 3000-2000\n", "ports: '3000-2000' is not a range",
		     "a port range upside down");
	expect_error("lifetime 0-100\n", "lifetime: '0-100' is not a range",
		     "a lifetime starting at 0");
	expect_error("subscriber 10.0.0.1/8\n", "subscriber: '10.0.0.1/8' is not a prefix",
		     "a prefix with host bits set");
	expect_error("subscriber-prefix-length 33\n", "'33' is not from 1 to 32",
		     "a subscriber prefix length of 33");
	expect_error("class gold {\n checkpoint sometimes\n}\n",
		     "test.conf:2: checkpoint: 'sometimes' is not on-request, all or never",
		     "a class mode that does not exist");
	expect_error("class gold {\n protect sctp 5060\n}\n", "'sctp' is not tcp, udp or any",
		     "a port rule for another protocol");
	expect_error("class gold {\n protect udp 0\n}\n", "'0' is not a port or a range",
		     "a port rule for port 0");
	expect_error("class gold {\n members 10.0.0.0/8\n", "class gold is not closed",
		     "a class left open at the end of the file");
	expect_error("}\n", "'}' closes no class", "a '}' that closes nothing");
	expect_error("class gold {\n}\nclass gold {\n}\n",
		     "test.conf:3: class: gold is defined twice",
		     "a class defined twice");
	expect_error("class Gold! {\n}\n", "'Gold!' is not a name",
		     "a class name with capitals and punctuation");
	expect_error("class default {\n members 10.0.0.0/8\n}\n",
		     "the class default holds everyone",
		     "members in class default");
	expect_error("class a {\n members 10.0.0.0/8\n}\nclass b {\n members 10.0.0.0/8\n}\n",
		     "test.conf:5: members: 10.0.0.0/8 is already in class a",
		     "the same prefix in two classes");
	expect_error("checkpoint-max 4\n", "checkpoint-max: belongs in a class",
		     "a class key at the top level");
	expect_error("class a {\n checkpoint-rate 0\n}\n", "checkpoint-rate: '0' is not",
		     "a check-point rate of 0");
	expect_error("quota 1 2\n", "quota: wants one value", "a key with two values");
	expect_error("third-party 192.0.2.10\n",
		     "third-party: wants the clients' prefix and the hosts' prefix",
		     "third-party without the hosts it may map");
	expect_error("class default {\n}\nclass default {\n}\n",
		     "test.conf:3: class: default is defined twice",
		     "class default given twice");
	expect_error("sync-wait 20000\n",
		     "sync-wait: '20000' is not a number of milliseconds from 0 to 10000",
		     "a sync-wait over 10 s");
	expect_error("control /run/" LONG_NAME LONG_NAME LONG_NAME "\n",
		     "is not a path of 1 to 107 characters",
		     "a control path too long for a socket address");
}

/* A NUL inside a line would hide what follows it: refused. */
static void test_nul(void)
{
	static const char text[] = "quota 4\0 garbage\n";
	struct pcpd_config c;
	char err[600] = "";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	int ret;

	pcpd_config_init(&c);
	ret = pcpd_config_parse(&c, f, "test.conf", err, sizeof(err));
	fclose(f);
	ktap_check(ret && strstr(err, "test.conf:1: a NUL character"),
		   "a NUL character in a line is refused");
	pcpd_config_free(&c);
}

/* Numbers are decimal: 010 is ten, not eight; 0x10 is no number. */
static void test_decimal(void)
{
	struct pcpd_config c;
	char err[600] = "";
	int ret = parse(&c, "quota 010\nports 01024-65535\n", err, sizeof(err));

	ktap_check(!ret && c.map.quota == 10 && c.map.port_min == 1024,
		   "numbers are decimal: quota 010 is ten, ports 01024 start at 1024");
	pcpd_config_free(&c);
	expect_error("quota 0x10\n", "quota: '0x10' is not a number", "a hex number is refused");
}

static void test_fixed(void)
{
	struct pcpd_config a, b;
	char err[600];

	parse(&a, example, err, sizeof(err));
	parse(&b, example, err, sizeof(err));
	b.map.quota = 1;
	b.policy.classes[1].mode = PCPD_CKPT_NEVER;
	ktap_check(!pcpd_config_fixed_change(&a, &b),
		   "a reload may change the quota and the classes");
	b.policy.subscriber_len = 32;
	ktap_check(pcpd_config_fixed_change(&a, &b) &&
		   !strcmp(pcpd_config_fixed_change(&a, &b), "subscriber"),
		   "...but not how subscribers are grouped");
	pcpd_config_free(&b);
	parse(&b, example, err, sizeof(err));
	strcpy(b.listen[1], "192.0.2.130");
	ktap_check(pcpd_config_fixed_change(&a, &b) &&
		   !strcmp(pcpd_config_fixed_change(&a, &b), "listen"),
		   "...nor the listen addresses");
	pcpd_config_free(&a);
	pcpd_config_free(&b);
}

/* IPv6 subscribers, classes and listen addresses. */
static void test_ipv6(void)
{
	static const char text[] =
		"listen 2001:db8:1::1\n"
		"outside-interface eth1\n"
		"subscriber 2001:db8:aa00::/40\n"
		"class gold {\n members 2001:db8:100::/48 10.0.0.0/8\n}\n";
	const struct pcpd_policy *p;
	const struct pcpd_class *gold;
	struct pcpd_config c;
	char err[600], buf[256];

	ktap_check(!parse(&c, text, err, sizeof(err)), "an IPv6 configuration parses");
	gold = &c.policy.classes[1];
	ktap_check(pcpd_policy_subscriber(&c.policy, ip("2001:db8:5:1234::9")) ==
		   ip("2001:db8:5:1200::"),
		   "by default an IPv6 subscriber is its /56");
	ktap_check(pcpd_policy_subscriber(&c.policy, ip("2001:db8:aa12:3400::1")) ==
		   ip("2001:db8:aa00::"),
		   "a configured IPv6 subscriber prefix makes a /40 one subscriber");
	p = &c.policy;
	ktap_check(pcpd_policy_class(p, pcpd_policy_subscriber(p, ip("2001:db8:100:7::1"))) ==
		   gold &&
		   pcpd_policy_class(p, pcpd_policy_subscriber(p, ip("2001:db8:101::1"))) ==
		   &c.policy.classes[0],
		   "an IPv6 member prefix puts its subscribers in the class, and no others");
	ktap_check(pcpd_policy_subscriber(&c.policy, ip("10.1.2.3")) == ip("10.1.2.3") &&
		   pcpd_key_is_v4(ip("10.1.2.3")) && !pcpd_key_is_v4(ip("2001:db8::1")),
		   "IPv4 and IPv6 subscribers never share a key");
	ktap_check(!strcmp(pcpd_key_str(ip("2001:db8:5:1200::"), buf, sizeof(buf)),
			   "2001:db8:5:1200::") &&
		   !strcmp(pcpd_key_str(ip("192.0.2.4"), buf, sizeof(buf)), "192.0.2.4"),
		   "a subscriber prints as its address");
	ktap_check(pcpd_config_check(&c, err, sizeof(err)) &&
		   strstr(err, "no external address"),
		   "listen without external is refused by the check");
	ktap_check(!pcpd_config_set(&c, "external", "198.51.100.1", err, sizeof(err)) &&
		   !pcpd_config_check(&c, err, sizeof(err)),
		   "with an external address and an outside interface, IPv6 can be served");
	ktap_check(!strcmp(pcpd_config_outside_list(&c, buf, sizeof(buf)), "\"eth1\""),
		   "the outside interfaces make an nft list");
	c.n_outside = 0;
	ktap_check(pcpd_config_check(&c, err, sizeof(err)) &&
		   strstr(err, "IPv6 clients need outside-interface"),
		   "an IPv6 listen address without outside-interface is refused");
	pcpd_config_free(&c);

	expect_error("subscriber 2001:db8::/80\n", "subscriber: '2001:db8::/80' is not a prefix",
		     "an IPv6 subscriber longer than /64");
	expect_error("subscriber 2001:db8::1\n", "is not a prefix",
		     "an IPv6 prefix without a length");
	expect_error("class gold {\n members ff00::/8\n}\n", "is not a prefix",
		     "an IPv6 prefix that would hold every IPv4 subscriber's key");
	expect_error("outside-interface 'eth0'\n", "is not an interface name",
		     "an interface name nft would have to quote");
	expect_error("third-party 2001:db8::/64 2001:db8::/64\n", "IPv4 prefixes only",
		     "THIRD_PARTY clients by IPv6 prefix");
}

int main(void)
{
	ktap_plan(PLAN);
	test_example();
	test_verdicts();
	test_limits();
	test_errors();
	test_decimal();
	test_nul();
	test_fixed();
	test_ipv6();
	return ktap_done(PLAN);
}
