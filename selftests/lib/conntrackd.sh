# SPDX-License-Identifier: GPL-2.0
#
# conntrackd beside ckpt-syncd in the benchmarks.  Sourced.
#
#   conntrackd_conf LOCAL PEER IFACE PATH
#       a configuration for FTFW over UDP port 3790 from address LOCAL to
#       PEER on IFACE, big enough for 100 000 UDP entries; its log, lock
#       and control socket are PATH.ctd.log, PATH.ctd.lock, PATH.ctd.ctl

conntrackd_conf()
{
	cat <<-EOF
	Sync {
		Mode FTFW {
			ResendQueueSize 262144
		}
		UDP {
			IPv4_address $1
			IPv4_Destination_Address $2
			Port 3790
			Interface $3
			SndSocketBuffer 24985600
			RcvSocketBuffer 24985600
			Checksum on
		}
	}
	General {
		HashSize 262144
		HashLimit 1048576
		LogFile $4.ctd.log
		Syslog off
		LockFile $4.ctd.lock
		UNIX {
			Path $4.ctd.ctl
		}
		NetlinkBufferSize 2097152
		NetlinkBufferSizeMaxGrowth 134217728
		Filter From Kernelspace {
			Protocol Accept {
				UDP
			}
		}
	}
	EOF
}
