#!/bin/sh
# PID 1 of one test host, started by testhosts/host.py as
#   unshare --net --mount --uts --ipc --pid --fork --kill-child sh hostinit.sh
# so everything below happens in the host's own namespaces: the mounts are seen
# by this host only and vanish with it. Runs with the runner's /bin/sh until
# pivot_root, then execs the base root's sshd as PID 1 (sshd reaps its orphans).
#
# Environment: TH_BASE (the cached base root, read-only lower layer),
# TH_DIR (this host's run directory: seed/, passwords, mnt/), TH_NAME (hostname).
set -eu
umask 022
root="$TH_DIR/mnt/root"

# Nothing mounted here may propagate back to the runner.
mount --make-rprivate /

# The host's writable layer lives in a tmpfs of its own mount namespace: when
# the host's last process ends, its files are gone, even after a SIGKILL.
mount -t tmpfs -o mode=0700,size=2g testhost-state "$TH_DIR/mnt"
mkdir -p "$TH_DIR/mnt/upper" "$TH_DIR/mnt/work" "$root"
mount -t overlay -o "lowerdir=$TH_BASE,upperdir=$TH_DIR/mnt/upper,workdir=$TH_DIR/mnt/work" testhost-root "$root"

# Its own /proc (its PID namespace), with the kernel-wide knobs read-only.
mount -t proc proc "$root/proc"
mount --bind "$root/proc/sys" "$root/proc/sys"
mount -o remount,bind,ro "$root/proc/sys"
for knob in sysrq-trigger kcore kmsg; do
  if [ -e "$root/proc/$knob" ]; then mount --bind /dev/null "$root/proc/$knob"; fi
done
mount -t sysfs -o ro sysfs "$root/sys"  # shows this host's network devices only
# A /sys/module of this host's own, listing the runner's modules: the modprobe
# stand-in adds to it, so a check for a loaded module answers from what this
# host was asked to load, and never loads anything into the runner's kernel.
mount -t tmpfs -o mode=0755,size=1m testhost-modules "$root/sys/module"
for module in /sys/module/*; do mkdir "$root/sys/module/${module##*/}"; done
# The runner's cgroup filesystem, read-only and without the hierarchies mounted
# below it, so that `stat -f /sys/fs/cgroup` on a host tells the runner's cgroup
# version (cgroup2fs: 2, tmpfs: 1), as on a machine. Never left writable.
if mountpoint -q /sys/fs/cgroup && mount --bind /sys/fs/cgroup "$root/sys/fs/cgroup"; then
  mount -o remount,bind,ro "$root/sys/fs/cgroup" || umount "$root/sys/fs/cgroup"
fi

# A minimal /dev: no disks of the runner, a pty instance of its own.
mount -t tmpfs -o mode=0755,size=1m testhost-dev "$root/dev"
for node in null zero full random urandom tty; do
  : >"$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs -o mode=1777 testhost-shm "$root/dev/shm"
mount -t tmpfs -o mode=0755 testhost-run "$root/run"
mount -t tmpfs -o mode=1777 testhost-tmp "$root/tmp"
mkdir -p "$root/run/sshd"

# Accounts, then the per-run files (keys, sshd_config, /etc/hosts, stand-ins).
chroot "$root" useradd --create-home --shell /bin/bash portal
# "*": no password, but not locked ("!"), which sshd without PAM would refuse even with a key.
chroot "$root" useradd --create-home --shell /bin/bash --password '*' automation
cp -a "$TH_DIR/seed/." "$root/"
# cp -a gave the homes the seed's owner (root): give them back.
chroot "$root" chown -R portal:portal /home/portal
chroot "$root" chown -R automation:automation /home/automation
chroot "$root" chpasswd <"$TH_DIR/passwords"

hostname "$TH_NAME"

# Make the overlay the root; the runner's tree is then unreachable from here.
cd "$root"
mkdir -p .runner-root
pivot_root . .runner-root
cd /
umount -l /.runner-root
rmdir /.runner-root

# Root on a test host may do what root on its own machine may, but not what
# would reach the runner's kernel or disks: no mounting (a devtmpfs would show
# the runner's disks), no modules, no raw I/O, no clock, no reboot, no audit.
exec setpriv --bounding-set -sys_admin,-sys_module,-sys_rawio,-sys_time,-sys_boot,-mknod,-syslog,-mac_admin,-mac_override,-audit_control,-audit_read,-sys_pacct,-wake_alarm,-block_suspend,-lease,-bpf,-perfmon \
  -- /usr/sbin/sshd -D -e
