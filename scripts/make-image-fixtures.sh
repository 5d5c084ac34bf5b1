#!/usr/bin/env bash
# Regenerates the disk-image fixtures in test/fixtures/images/ (gzip-compressed, committed).
#
# Needs Debian's qemu-utils (qemu-img), xorriso, genisoimage, gdisk (sgdisk), fdisk (sfdisk),
# cryptsetup-bin and python3:
#   apt-get install -y qemu-utils xorriso genisoimage gdisk fdisk cryptsetup-bin
#
# Every "real" fixture is written by the tool that owns the format, with a tiny virtual size so
# the compressed files stay small. The malicious fixtures start from a real image and change a
# few bytes (python3 below), or are what qemu-img itself writes when asked for something unsafe.
# qemu-img stamps random ids and times into its images, so a rerun changes the bytes but not
# what the tests expect (formats, virtual sizes and verdicts).
set -euo pipefail

OUT="$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/images"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# Tiny images: 1 MiB virtual disks, 512-byte qcow2 clusters.
MIB=1M

# --- real images -----------------------------------------------------------------------------
qemu-img create -q -f qcow2 -o compat=0.10,cluster_size=512 qcow2-v2.qcow2 "$MIB"
qemu-img create -q -f qcow2 -o compat=1.1,cluster_size=512 qcow2-v3.qcow2 "$MIB"
qemu-img create -q -f vmdk -o subformat=monolithicSparse vmdk-monolithic-sparse.vmdk "$MIB"
head -c 1048576 /dev/zero > zeros.raw
printf 'glance-edge fixture' | dd of=zeros.raw conv=notrunc status=none
qemu-img convert -q -O vmdk -o subformat=streamOptimized zeros.raw vmdk-stream-optimized.vmdk
qemu-img create -q -f vpc vhd-dynamic.vhd "$MIB"
qemu-img create -q -f vpc -o subformat=fixed vhd-fixed.vhd "$MIB"
qemu-img create -q -f vhdx vhdx.vhdx "$MIB"
qemu-img create -q -f vdi vdi.vdi "$MIB"
qemu-img create -q -f qed qed.qed "$MIB"
cp zeros.raw raw.raw

# LUKS1: qemu-img's luks driver times PBKDF2 with the CPU clock, which some sandboxes lack;
# cryptsetup writes the same LUKS1 layout with a fixed iteration count. 2 MiB = 1 MiB of header
# and key material + a 1 MiB payload. A 128-bit key keeps the one active key slot's random
# material at 64000 bytes; the disabled slots' areas (random filler) are zeroed below.
head -c 2097152 /dev/zero > luks.luks
printf 'fixture' | cryptsetup luksFormat --type luks1 --batch-mode \
	--cipher aes-cbc-essiv:sha256 --key-size 128 --pbkdf-force-iterations 1000 \
	--key-file - luks.luks

# Partitioned raw disks: GPT (sgdisk) and MBR (sfdisk).
head -c 1048576 /dev/zero > gpt-disk.raw
sgdisk -n 1:34:0 -t 1:8300 gpt-disk.raw >/dev/null 2>&1
head -c 1048576 /dev/zero > mbr-disk.raw
printf 'label: dos\nstart=1, type=83, bootable\n' | sfdisk -q mbr-disk.raw >/dev/null

# ISOs: plain ISO 9660, a bootable-style hybrid with an MBR, and one with a GPT.
mkdir iso-root
echo "glance-edge fixture" > iso-root/README.TXT
genisoimage -quiet -V FIXTURE -o iso9660.iso iso-root
xorriso -as mkisofs -quiet -V HYBRIDMBR -partition_offset 16 --protective-msdos-label \
	-o iso-hybrid-mbr.iso iso-root 2>/dev/null
head -c 65536 /dev/zero > efi.img
xorriso -as mkisofs -quiet -V HYBRIDGPT -append_partition 2 0xef efi.img \
	-appended_part_as_gpt -o iso-hybrid-gpt.iso iso-root 2>/dev/null

# --- unsafe images ---------------------------------------------------------------------------
# What qemu-img writes when asked for a backing file or an external data file on the host.
qemu-img create -q -f qcow2 -o cluster_size=512 -b /etc/passwd -F raw \
	bad-qcow2-backing-file.qcow2 "$MIB"
qemu-img create -q -f qcow2 -o cluster_size=512,data_file=data.raw,data_file_raw=on \
	bad-qcow2-data-file.qcow2 "$MIB"
qemu-img create -q -f qcow2 -o cluster_size=16384,extended_l2=on bad-qcow2-extended-l2.qcow2 "$MIB"
# A monolithicFlat descriptor (a text file) whose extent is a host path.
qemu-img create -q -f vmdk -o subformat=monolithicFlat flat.vmdk "$MIB"

python3 - <<'PY'
import struct

def read(name):
    with open(name, "rb") as f:
        return bytearray(f.read())

def write(name, data):
    with open(name, "wb") as f:
        f.write(data)

# qcow2 v3 with incompatible feature bits 10 and 40 set (no qemu version knows them).
q = read("qcow2-v3.qcow2")
features = struct.unpack_from(">Q", q, 0x48)[0] | (1 << 10) | (1 << 40)
struct.pack_into(">Q", q, 0x48, features)
write("bad-qcow2-unknown-features.qcow2", q)

# monolithicFlat descriptor pointing its extent at a host file.
d = open("flat.vmdk").read()
lines = [l if not l.startswith("RW ") else 'RW 2048 FLAT "/etc/shadow" 0' for l in d.splitlines()]
write("bad-vmdk-flat-host-path.vmdk", ("\n".join(lines) + "\n").encode())

# monolithicSparse whose embedded descriptor names a host path (same length, in place).
v = read("vmdk-monolithic-sparse.vmdk")
old = b'SPARSE "vmdk-monolithic-sparse.vmdk"'
new = b'SPARSE "/etc/shadow"'
i = v.index(old)
v[i:i + len(old)] = new + b" " * (len(old) - len(new))
write("bad-vmdk-sparse-host-path.vmdk", v)

# streamOptimized in VMware's layout: header says "grain directory in the footer", and the
# file ends with a footer marker, the footer (a copy of the header with the real offset) and
# an end-of-stream marker.
s = read("vmdk-stream-optimized.vmdk")
header = bytes(s[:512])
while s.endswith(b"\0" * 512):
    del s[-512:]
s[56:64] = b"\xff" * 8
footer_marker = struct.pack("<QII", 1, 0, 3) + b"\0" * 496
eos = b"\0" * 512
good = s + footer_marker + header + eos
write("vmdk-stream-optimized-footer.vmdk", good)
# The same with a footer that does not mirror the header: its magic is broken.
bad = bytearray(good)
footer_at = len(bad) - 1024
bad[footer_at:footer_at + 4] = b"XXXX"
write("bad-vmdk-stream-optimized-footer.vmdk", bad)

# Polyglot: a real ISO whose (unused) system area starts with a real qcow2 header.
iso = read("iso9660.iso")
qcow = read("qcow2-v3.qcow2")
iso[:len(qcow)] = qcow
write("bad-polyglot-qcow2-iso.iso", iso)

# LUKS: zero the key material areas of the disabled slots (their contents are never read).
l = read("luks.luks")
for slot in range(1, 8):
    at = 208 + 48 * slot
    (active,) = struct.unpack_from(">I", l, at)
    material, stripes = struct.unpack_from(">II", l, at + 40)
    if active == 0x0000DEAD:
        start = material * 512
        l[start:start + stripes * 16] = b"\0" * (stripes * 16)
write("luks.luks", l)

# An MBR whose partition entry has an invalid boot flag.
m = read("mbr-disk.raw")
m[446] = 0x42
write("bad-mbr-boot-flag.raw", m)
PY

rm -f flat.vmdk flat-flat.vmdk data.raw

mkdir -p "$OUT"
rm -f "$OUT"/*.gz
for f in *.qcow2 *.vmdk *.vhd *.vhdx *.vdi *.qed *.luks *.iso *.raw; do
	[ "$f" = zeros.raw ] && continue
	gzip -9 -n -c "$f" > "$OUT/$f.gz"
done
ls -l "$OUT"
