#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install and make uninstall into a staging root (DESTDIR), from this
# built tree: every program, man page, unit and configuration file lands
# where the admin guide says; the units and the keepalived example name
# the installed programs, also under another PREFIX and SYSCONFDIR; an
# operator's edited configuration survives a second install and an
# uninstall.  Nothing is installed on this machine itself.

. "$(dirname "$0")/../lib/ktap.sh"

for f in nf_ckpt.ko build/ckptctl build/pcpd build/pcpc build/ckpt-syncd; do
	[ -e "$TOP_DIR/$f" ] || ktap_skip_all "$f is not built (run 'make')"
done

PATH=$PATH:/usr/sbin:/sbin	# modinfo
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
KVER=$(modinfo -F vermagic "$TOP_DIR/nf_ckpt.ko" | cut -d ' ' -f 1)

# inst DIR [VAR=VALUE...] [uninstall]: make install (or uninstall) into
# DIR, its output passed on.
inst()
{
	local dir=$1 target=install
	shift
	[ "${*: -1}" = uninstall ] && { target=uninstall; set -- "${@:1:$#-1}"; }
	make -s -C "$TOP_DIR" --no-print-directory "$target" DESTDIR="$dir" "$@"
}

# every_file DIR MODE PATH...: each PATH is a regular file under DIR with
# permissions MODE.
every_file()
{
	local dir=$1 mode=$2 p ok=0
	shift 2

	for p in "$@"; do
		if [ ! -f "$dir$p" ] || [ "$(stat -c %a "$dir$p")" != "$mode" ]; then
			echo "missing or not mode $mode: $p"
			ok=1
		fi
	done
	return $ok
}

# The programs units start (ExecStart=, ExecStartPre=) and the keepalived
# example's notify lines run (the script, and its SYNCD argument).
named_programs()
{
	sed -n -e 's/^ExecStart[A-Za-z]*=\([^ ]*\).*/\1/p' \
	       -e 's/^[[:space:]]*notify_[a-z]* "\([^ ]*\) [^ ]* [^ ]* [^ ]* \([^ "]*\)"/\1\n\2/p' "$@"
}

# programs_installed DIR PREFIX FILE...: every program the FILEs name under
# PREFIX is installed in DIR, and there are at least 8 of them (2 units'
# daemons, 3 notify scripts and their 3 ckpt-syncd; the gate's unit runs
# /usr/sbin/nft).
programs_installed()
{
	local dir=$1 prefix=$2 p n=0 ok=0
	shift 2

	for p in $(named_programs "$@"); do
		[[ $p == "$prefix"/* ]] || continue
		n=$((n + 1))
		[ -x "$dir$p" ] || { echo "named but not installed: $p"; ok=1; }
	done
	echo "$n program paths under $prefix named"
	[ $n -ge 8 ] && return $ok
	return 1
}

kept_edit()
{
	grep -q "operator's edit" "$A/etc/pcpd.conf" &&
		cmp "$TOP_DIR/contrib/pcpd.conf" "$A/etc/pcpd.conf.new" &&
		[ ! -e "$A/etc/ckpt/gate.nft.new" ]
}

# Only what install put: an operator's file in the doc directory stays.
# Run from an empty directory: uninstalling needs no build tree.
removed_all()
{
	echo notes > "$A/usr/local/share/doc/nf-ckpt/site-notes"
	mkdir -p "$ROOT/empty"
	(cd "$ROOT/empty" && DESTDIR=$A "$TOP_DIR/scripts/install" --uninstall) || return 1
	find "$A/usr" "$A/lib" -type f | grep -v '/doc/nf-ckpt/site-notes$' && return 1
	[ -f "$A/usr/local/share/doc/nf-ckpt/site-notes" ]
}

# bad_prefix PREFIX: refused, with the reason, nothing installed.
bad_prefix()
{
	local out

	out=$(inst "$ROOT/c" PREFIX="$1" 2>&1) && return 1
	echo "$out"
	[[ $out == *"is not an absolute path"* ]] && [ ! -e "$ROOT/c" ]
}

other_paths()
{
	local unit=$B/opt/nat/lib/systemd/system

	every_file "$B" 644 /srv/etc/ckpt/ckpt-syncd.conf /srv/etc/ckpt/gate.nft \
		/srv/etc/pcpd.conf || return 1
	grep -q -- '-f /srv/etc/ckpt/ckpt-syncd.conf' "$unit/ckpt-syncd.service" &&
		grep -q -- '--config /srv/etc/pcpd.conf' "$unit/pcpd.service" &&
		grep -q -- '-f /srv/etc/ckpt/gate.nft' "$unit/ckpt-gate.service" || return 1
	! grep -rnE '(^|[ "=])(/etc/ckpt|/etc/pcpd|/usr/local)' "$B/opt/nat/lib" \
		"$B/opt/nat/share/doc"
}

ktap_plan 12

A=$ROOT/a
B=$ROOT/b
MAN=/usr/local/share/man
UNITS=/usr/local/lib/systemd/system

ktap_check "make install into a staging root succeeds" inst "$A"
ktap_check "programs in /usr/local/sbin and /usr/local/bin, executable" \
	every_file "$A" 755 /usr/local/sbin/{ckptctl,pcpd,ckpt-syncd,ckpt-notify} \
	/usr/local/bin/pcpc
ktap_check "man pages, units, examples, configuration and the module" \
	every_file "$A" 644 $MAN/man8/{ckpt-syncd,ckptctl,pcpd}.8 $MAN/man5/pcpd.conf.5 \
	$MAN/man1/pcpc.1 $UNITS/{ckpt-gate,ckpt-syncd,pcpd}.service \
	/usr/local/share/doc/nf-ckpt/keepalived.conf.example \
	/etc/ckpt/ckpt-syncd.conf /etc/ckpt/gate.nft /etc/pcpd.conf \
	"/lib/modules/$KVER/updates/nf_ckpt.ko"
ktap_check "units and keepalived example name the installed programs" \
	programs_installed "$A" /usr/local "$A$UNITS"/*.service \
	"$A/usr/local/share/doc/nf-ckpt/keepalived.conf.example"

echo "# operator's edit" >> "$A/etc/pcpd.conf"
ktap_check "a second install succeeds" inst "$A"
ktap_check "...keeps the edited pcpd.conf, the shipped one beside it, no .new of the others" \
	kept_edit
ktap_check "uninstall, without a build tree, removes the programs, units and module, and only them" \
	removed_all
ktap_check "...and keeps the configuration" \
	every_file "$A" 644 /etc/ckpt/ckpt-syncd.conf /etc/ckpt/gate.nft /etc/pcpd.conf

ktap_check "install under PREFIX=/opt/nat SYSCONFDIR=/srv/etc" \
	inst "$B" PREFIX=/opt/nat SYSCONFDIR=/srv/etc
ktap_check "...its units and example name its programs and its configuration" \
	eval 'programs_installed "$B" /opt/nat "$B"/opt/nat/lib/systemd/system/*.service \
		"$B/opt/nat/share/doc/nf-ckpt/keepalived.conf.example" && other_paths'
ktap_check "a PREFIX with a character the rewrite would misread is refused" \
	bad_prefix '/opt/a|b'
ktap_check "a relative PREFIX is refused" bad_prefix opt/nat
ktap_finish
