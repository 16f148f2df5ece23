# SPDX-License-Identifier: GPL-2.0
#
# The VM lab, host side.  Sourced by host scripts that boot guests:
#
#   lab_init NAME                 a run directory and the initramfs
#   lab_link LINK GUEST_A GUEST_B [dgram|stream]
#                                 a point-to-point link over unix sockets,
#                                 QEMU dgram (default) or stream; the guests
#                                 see it as an interface named LINK.  For a
#                                 stream link GUEST_A listens, so it must be
#                                 started before GUEST_B
#   lab_start GUEST PROG [ARG..]  boot GUEST running PROG (a path in this
#                                 tree, run in the guest's overlay root)
#   lab_wait_output GUEST REGEX [SECONDS]
#                                 wait until GUEST's output matches REGEX
#   lab_kill GUEST                kill GUEST's QEMU, as a crash would
#   lab_finish GUEST [SECONDS]    wait for GUEST to end; its verdict as an
#                                 exit code: 0 pass, 1 fail, 4 skip
#
# Guests boot Debian's packaged kernel (scripts/kernel-version) under QEMU
# with software emulation, LAB_SMP vCPUs (1) and LAB_MEM MiB, with slab
# debugging.
# The host's root is their root, read-only over virtio-9p under a tmpfs
# overlay, so they run this very tree and the host's tools.  No guest has
# any network but the links declared here.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TOP=$(cd "$LAB_DIR/../.." && pwd)
LAB_MEM=${LAB_MEM:-512}
LAB_SMP=${LAB_SMP:-1}
LAB_TIMEOUT=${LAB_TIMEOUT:-300}
# Slab debugging, unless a benchmark needs true object sizes (LAB_SLUB=).
LAB_SLUB=${LAB_SLUB-slub_debug=FZPU}
LAB_CMDLINE="console=ttyS0 ignore_loglevel $LAB_SLUB panic=-1 \
oops=panic mitigations=off tsc=reliable no_timer_check \
i8042.noaux i8042.nokbd"

declare -A lab_pid lab_links

lab_say()
{
	echo "# lab: $*"
}

lab_init()
{
	local name=$1 kver

	kver=$("$LAB_TOP/scripts/kernel-version") || return 1
	LAB_KERNEL=/boot/vmlinuz-$kver
	LAB_LOGS=${LAB_LOGS:-$LAB_TOP/build/selftests/logs}/$name
	LAB_INITRD=$LAB_TOP/build/selftests/initrd-$kver.gz
	# Unix socket paths must stay short: keep them out of the tree.
	LAB_RUN=$(mktemp -d /tmp/lab.XXXXXX)

	rm -rf "$LAB_LOGS"
	mkdir -p "$LAB_LOGS"
	trap lab_cleanup EXIT

	if [ ! -r "$LAB_KERNEL" ]; then
		lab_say "no kernel image $LAB_KERNEL (run 'make deps')"
		return 1
	fi
	if [ ! -s "$LAB_INITRD" ] ||
	   [ "$LAB_DIR/initramfs-init" -nt "$LAB_INITRD" ] ||
	   [ "$LAB_DIR/mkinitramfs" -nt "$LAB_INITRD" ]; then
		mkdir -p "$(dirname "$LAB_INITRD")"
		"$LAB_DIR/mkinitramfs" "$kver" "$LAB_INITRD" || return 1
	fi
	lab_pick_accel
}

# Software emulation (TCG) unless KVM is there and a probe shows that it
# really boots a guest: on some hosts /dev/kvm exists but guests hang.  The
# probe's answer is kept for later runs; LAB_ACCEL=tcg|kvm overrides it.
lab_pick_accel()
{
	local cache=$LAB_TOP/build/selftests/accel guest=kvm-probe

	if [ -n "${LAB_ACCEL:-}" ]; then
		return
	fi
	if [ -s "$cache" ]; then
		LAB_ACCEL=$(cat "$cache")
		return
	fi

	LAB_ACCEL=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		LAB_ACCEL=kvm
		lab_start "$guest" "$LAB_DIR/probes/clean.sh"
		if lab_finish "$guest" 30 > /dev/null; then
			lab_say "KVM boots guests: using it"
		else
			lab_say "KVM does not boot a guest here: using TCG"
			LAB_ACCEL=tcg
		fi
	fi
	echo "$LAB_ACCEL" > "$cache"
}

lab_cleanup()
{
	local g

	for g in "${!lab_pid[@]}"; do
		kill -9 "${lab_pid[$g]}" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$LAB_RUN"
}

lab_link()
{
	local link=$1 a=$2 b=$3 kind=${4:-dgram}

	if [ ${#link} -gt 15 ]; then
		lab_say "link name '$link' is longer than an interface name may be"
		return 1
	fi
	case $kind in
	dgram)
		lab_links[$a]+="$link:$b:dgram "
		lab_links[$b]+="$link:$a:dgram "
		;;
	stream)
		lab_links[$a]+="$link:$b:listen "
		lab_links[$b]+="$link:$a:connect "
		;;
	*)
		lab_say "link kind '$kind' is neither dgram nor stream"
		return 1
		;;
	esac
}

# The QEMU arguments of GUEST's NICs: one virtio-net device for each link,
# sending datagrams from its own socket to the peer's, or on one stream
# socket that the listening side creates.
lab_nic_args()
{
	local guest=$1 entry link peer n=0 id

	# A MAC that names the guest and the link: 52:54:00:GG:GG:NN.
	id=$(printf '%s' "$guest" | cksum | cut -d' ' -f1)

	for entry in ${lab_links[$guest]}; do
		IFS=: read -r link peer kind <<< "$entry"
		n=$((n + 1))
		case $kind in
		dgram)
			printf -- '-netdev dgram,id=%s,local.type=unix,local.path=%s,' \
				"$link" "$LAB_RUN/$link.$guest"
			printf -- 'remote.type=unix,remote.path=%s ' "$LAB_RUN/$link.$peer"
			;;
		listen|connect)
			printf -- '-netdev stream,id=%s,server=%s,addr.type=unix,addr.path=%s ' \
				"$link" "$([ "$kind" = listen ] && echo on || echo off)" \
				"$LAB_RUN/$link.stream"
			;;
		esac
		printf -- '-device virtio-net-pci,netdev=%s,mac=52:54:00:%02x:%02x:%02x ' \
			"$link" $((id >> 8 & 255)) $((id & 255)) "$n"
	done
}

# A guest connecting on stream links waits until each peer listens.
lab_wait_listeners()
{
	local entry link peer kind t

	for entry in ${lab_links[$1]}; do
		IFS=: read -r link peer kind <<< "$entry"
		[ "$kind" = connect ] || continue
		for t in $(seq 50); do
			[ -S "$LAB_RUN/$link.stream" ] && break
			sleep 0.2
		done
		if [ ! -S "$LAB_RUN/$link.stream" ]; then
			lab_say "$1: $peer does not listen on $link (start it first)"
			return 1
		fi
	done
}

lab_link_names()
{
	local entry names=""

	for entry in ${lab_links[$1]}; do
		names+="${names:+,}${entry%%:*}"
	done
	echo "${names:--}"
}

lab_start()
{
	local guest=$1 prog=$2 args nics
	shift 2

	args=$(IFS=,; echo "$*")
	lab_wait_listeners "$guest" || return 1
	nics=$(lab_nic_args "$guest")
	: > "$LAB_LOGS/$guest.out"

	# shellcheck disable=SC2086
	qemu-system-x86_64 -machine q35 -accel "$LAB_ACCEL" -cpu max -smp "$LAB_SMP" \
		-m "$LAB_MEM" -nodefaults -no-reboot -display none \
		-kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
		-append "$LAB_CMDLINE lab_init=$LAB_DIR/guest-init \
lab_test=$prog lab_args=${args:--} lab_name=$guest lab_cwd=$PWD \
lab_links=$(lab_link_names "$guest")" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-serial "file:$LAB_LOGS/$guest.console" \
		-serial "file:$LAB_LOGS/$guest.out" \
		$nics > "$LAB_LOGS/$guest.qemu" 2>&1 &
	lab_pid[$guest]=$!
}

lab_wait_output()
{
	local guest=$1 regex=$2 limit=${3:-$LAB_TIMEOUT} t=0

	while ! grep -aEq -- "$regex" "$LAB_LOGS/$guest.out"; do
		if ! kill -0 "${lab_pid[$guest]}" 2>/dev/null; then
			lab_say "$guest ended before printing /$regex/"
			return 1
		fi
		if [ $t -ge $((limit * 5)) ]; then
			lab_say "$guest did not print /$regex/ within ${limit}s"
			return 1
		fi
		sleep 0.2
		t=$((t + 1))
	done
}

lab_kill()
{
	kill -9 "${lab_pid[$1]}" 2>/dev/null
	wait "${lab_pid[$1]}" 2>/dev/null
	unset "lab_pid[$1]"
	lab_say "$1 killed"
}

# Wait for GUEST's QEMU to exit, killing it at the deadline, then judge the
# run from its output and its kernel log.  A pass needs the guest init's
# LAB-RESULT line with rc=0, a kernel log without warnings and no taint but
# that of an out-of-tree module.
lab_finish()
{
	local guest=$1 limit=${2:-$LAB_TIMEOUT} pid=${lab_pid[$1]} t=0 rc problems
	local out=$LAB_LOGS/$guest.out

	while kill -0 "$pid" 2>/dev/null; do
		if [ $t -ge $((limit * 5)) ]; then
			lab_say "$guest timed out after ${limit}s"
			kill -9 "$pid"
			break
		fi
		sleep 0.2
		t=$((t + 1))
	done
	wait "$pid" 2>/dev/null
	unset "lab_pid[$guest]"

	if grep -aq '^LAB-INIT-ERROR:' "$LAB_LOGS/$guest.console" "$out"; then
		grep -ah '^LAB-INIT-ERROR:' "$LAB_LOGS/$guest.console" "$out" |
			sed 's/^/# lab: /'
		return 1
	fi
	if [ -s "$LAB_LOGS/$guest.qemu" ]; then
		sed 's/^/# lab: qemu: /' "$LAB_LOGS/$guest.qemu"
	fi
	problems=$("$LAB_DIR/check-console" "$LAB_LOGS/$guest.console" "$out")
	if [ -n "$problems" ]; then
		printf '%s\n' "$problems" | sed 's/^/# /'
		lab_say "$guest: console log kept in $LAB_LOGS/$guest.console"
		return 1
	fi

	rc=$(grep -a '^LAB-RESULT:' "$out" | sed -n 's/.*rc=\([0-9]*\).*/\1/p')
	case "$rc" in
	0) return 0 ;;
	4) return 4 ;;
	*) lab_say "$guest: test exited with $rc"; return 1 ;;
	esac
}

# In a guest, the lab has put its result protocol around the test already.
lab_in_guest()
{
	[ "${LAB_GUEST:-0}" = 1 ]
}
