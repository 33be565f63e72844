#!/usr/bin/env python3
"""Writes the small synthetic seed corpora in fuzz/corpus/<target>/seed-* (deterministic; stdlib only).

Every seed is made up here; none is copied from a third-party trace.
Run from anywhere: python3 fuzz/gen_seeds.py
"""
import gzip
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- candump
CANDUMP_LOG = """\
(1700000000.000100) can0 7E0#0210030000000000
(1700000000.000200) can0 7E8#065003003201F400
(1700000000.000300) can1 18DA10F1#1014340000000000 T
(1700000000.000400) can1 18DAF110#300008
(1700000000.000500) can0 123##1000102030405060708090A0B
(1700000000.000600) can0 123#R
(1700000000.000700) can0 12345678#R4
(1700000000.000800) can0 20000080#0000000000000000
(1700000000.000900) can0 321#11.22.33 R
(1700000000.001000) vcan2 001#AA
"""
CANDUMP_CONSOLE = """\
  can0  7E0   [8]  02 10 03 00 00 00 00 00   '........'
  can0  TX - -  18DA30F1   [8]  02 10 03 00 00 00 00 00
  can0  RX B -  123  [12]  00 01 02 03 04 05 06 07 08 09 0A 0B
 (1700000000.000100)  can0  123   [2]  01 02
 (000.000123)  can0  123   [0]
(2023-11-14 22:13:20.000100)  can0  7FF   [1]  FF
  can0  123   [4]  remote request
  can0  20000004   [8]  00 04 00 00 00 00 00 00   ERRORFRAME
"""
put("candump", "log", CANDUMP_LOG)
put("candump", "console", CANDUMP_CONSOLE)
put("candump", "crlf", CANDUMP_LOG.replace("\n", "\r\n"))
put("candump", "bad", "(1.0) can0 123#ABC\n(x) can0 1#\ngarbage\n(2.0) can0 124#01\n")

# ---------------------------------------------------------------- trc
TRC_V11 = """\
;$FILEVERSION=1.1
;$STARTTIME=45000.5
;   Message Number
     1)      1841.3  Rx         07E0  8  02 10 03 00 00 00 00 00
     2)      1841.4  Tx     18DAF110  3  01 02 03
     3)      1850.0  Rx         0123  4  RTR
     4)      1900.0  Warng  FFFFFFFF  4  00 00 00 08  BUSHEAVY
     5)      1902.0  Error      0004  2  01 02
"""
TRC_V10 = """\
;##########
;   C:\\x.trc
     1)      1841 0001 8 00 00 00 00 00 00 00 00
     2)      1842 FFFFFFFF 4 00 00 00 08
"""
TRC_V13 = ";$FILEVERSION=1.3\n     1)      1841.3 2  Rx         0300 -  2  AA BB\n"
TRC_V20 = """\
;$FILEVERSION=2.0
;$STARTTIME=45000.25
     1      1059.900 DT     07E0 Rx 7  00 00 00 00 04 00 00
     2      1060.000 FD     0400 Tx 12  00 01 02 03 04 05 06 07 08 09 0A 0B
     3      1060.001 ST Rx 00 00 00 08
"""
TRC_V21 = """\
;$FILEVERSION=2.1
;$COLUMNS=N,O,T,B,I,d,R,L,D
     1         1.000 DT 1      07E0 Rx -  8    02 10 03 00 00 00 00 00
     2         2.000 FB 2  18DAF110 Rx -  9    00 01 02 03 04 05 06 07 08 09 0A 0B
     3         3.000 FE 1      0001 Tx -  1    AA
     4         4.000 BI 1      0002 Rx -  0
     5         5.000 RR 1      0003 Rx -  4
     6         6.000 ER 1      -    Rx -  5    04 00 02 00 00
     7         7.000 ST 1      Rx    00 00 00 08
     8         8.000 EC 1      Rx    01 02
     9         9.000 EV user event text
"""
TRC_COLS = """\
;$FILEVERSION=2.1
;$COLUMNS=N,O,T,I,d,L,D
     1         1.000 DT      07E0 Rx 2    02 10
"""
put("trc", "v1_1", TRC_V11)
put("trc", "v1_0", TRC_V10)
put("trc", "v1_3", TRC_V13)
put("trc", "v2_0", TRC_V20)
put("trc", "v2_1", TRC_V21)
put("trc", "v2_1_cols", TRC_COLS)

# ---------------------------------------------------------------- asc
ASC_HEX = """\
date Tue Nov 14 10:13:20.000 pm 2023
base hex  timestamps absolute
internal events logged
// version 13.0.0
Begin Triggerblock Tue Nov 14 10:13:20.000 pm 2023
   0.000000 Start of measurement
   0.100000 1  7E0             Rx   d 8 02 10 03 00 00 00 00 00  Length = 240000 BitCount = 124 ID = 2016
   0.150000 1  7E8             Tx   d 8 06 50 03 00 32 01 F4 00
   0.200000 2  18DAF110x       Rx   d 3 01 02 03
   0.250000 1  123             Rx   r
   0.260000 1  124             Rx   r 4
   0.300000 1  ErrorFrame
   0.400000 CANFD   1 Rx        7E0  Diag  1 0 9 12 00 01 02 03 04 05 06 07 08 09 0A 0B   130000  130 303000 b0000000 0 0 0 0
   0.500000 1  Statistic: D 0 R 0 XD 0 XR 0 E 0 O 0 B 0.00%
End TriggerBlock
"""
ASC_DEC = """\
date Thu Apr 2 10:37:15.950 pm 2020
base dec  timestamps relative
   0.100000 1  2016             Rx   d 2 2 16
   0.010000 1  291x             Tx   d 1 255
"""
ASC_GERMAN = "date Don Nov 24 15:30:43 2005\nbase hex  timestamps absolute\n   0.5 2  200  Tx d 1 01\n"
put("asc", "hex", ASC_HEX)
put("asc", "dec_relative", ASC_DEC)
put("asc", "german_date", ASC_GERMAN)
put("asc", "bad", "base hex  timestamps absolute\n   0.1 1  7E0   Rx   d 8 02 10\n   0.5 CANFD 1 Rx 7E0 1 0 8 99 00\n")

# ---------------------------------------------------------------- blf
LOBJ = b"LOBJ"


def blf_header(start=(2023, 11, 2, 14, 22, 13, 20, 0)):
    h = bytearray(144)
    h[0:4] = b"LOGG"
    struct.pack_into("<I", h, 4, 144)
    h[8] = 5
    h[12:16] = bytes([4, 7, 1, 0])
    for i, v in enumerate(start + start):
        struct.pack_into("<H", h, 40 + 2 * i, v)
    return bytes(h)


def blf_obj(otype, ts, body, flags=2, ver=1):
    """An inner object with a v1 header (32 bytes): ts in ns (flags 2) or 10 µs (flags 1)."""
    size = 32 + len(body)
    h = LOBJ + struct.pack("<HHII", 32, ver, size, otype)
    h += struct.pack("<IHHQ", flags, 0, 0, ts)
    return h + body + b"\0" * (size % 4)


def can_msg2(ch, word, data, fl=0):
    return struct.pack("<HBBI", ch, fl, len(data), word) + data.ljust(8, b"\0") + b"\0" * 8


def can_fd64(ch, word, data, fl=0x1000 | 0x2000):
    b = bytearray(40)
    b[0] = ch
    b[1] = 9
    b[2] = len(data)
    struct.pack_into("<I", b, 4, word)
    struct.pack_into("<I", b, 12, fl)
    return bytes(b) + data


def can_fd(ch, word, data):
    b = bytearray(20)
    struct.pack_into("<H", b, 0, ch)
    b[3] = 9
    struct.pack_into("<I", b, 4, word)
    b[13] = 0x01 | 0x02
    return bytes(b) + data.ljust(64, b"\0")


def can_error_ext(ch, word, data):
    b = bytearray(32)
    struct.pack_into("<H", b, 0, ch)
    b[10] = len(data)
    struct.pack_into("<I", b, 16, word)
    b[24 : 24 + len(data)] = data
    return bytes(b)


def eth_ex(ch, frame):
    b = bytearray(32)
    struct.pack_into("<H", b, 0, 30)
    struct.pack_into("<H", b, 4, ch)
    struct.pack_into("<H", b, 22, len(frame))
    return bytes(b) + frame


def eth_old(ch, frame):
    dst, src, etype, payload = frame[0:6], frame[6:12], frame[12:14], frame[14:]
    b = bytearray(24)
    b[0:6] = src
    struct.pack_into("<H", b, 6, ch)
    b[8:14] = dst
    struct.pack_into("<H", b, 16, int.from_bytes(etype, "big"))
    struct.pack_into("<H", b, 22, len(payload))
    return bytes(b) + b"\0" * 4 + payload


def container(stream, method):
    if method == 2:
        data = zlib.compress(stream)
    else:
        data = stream
    body = struct.pack("<HHIII", method, 0, 0, len(stream), 0)
    size = 16 + 16 + len(data)
    h = LOBJ + struct.pack("<HHII", 16, 1, size, 10)
    return h + bytes(body) + data + b"\0" * (size % 4)


# ---- Ethernet frames shared with pcap
def ipv4(src, dst, proto, l4):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, bytes(src), bytes(dst))
    return h + l4


def tcp(sp, dp, seq, flags, payload):
    return struct.pack(">HHIIBBHHH", sp, dp, seq, 0, 5 << 4, flags, 0xFFFF, 0, 0) + payload


def udp(sp, dp, payload):
    return struct.pack(">HHHH", sp, dp, 8 + len(payload), 0) + payload


def eth(l3, etype=0x0800, vlan=False):
    h = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2])
    if vlan:
        h += b"\x81\x00\x00\x05"
    return h + struct.pack(">H", etype) + l3


def doip(ptype, body):
    return bytes([2, 0xFD]) + struct.pack(">HI", ptype, len(body)) + body


def someip(service, method, body, msg_type=0, tp=None):
    n = 8 + len(body) + (4 if tp is not None else 0)
    h = struct.pack(">HHIHHBBBB", service, method, n, 1, 1, 1, 1, msg_type | (0x20 if tp is not None else 0), 0)
    if tp is not None:
        h += struct.pack(">I", tp)
    return h + body


TESTER, ECU = (192, 168, 0, 1), (192, 168, 0, 2)
ETH_FRAMES = [
    eth(ipv4(TESTER, ECU, 6, tcp(50000, 13400, 1000, 0x02, b""))),
    eth(ipv4(TESTER, ECU, 6, tcp(50000, 13400, 1001, 0x18, doip(0x0005, b"\x0e\x80\x00\x00\x00\x00\x00")))),
    eth(ipv4(ECU, TESTER, 6, tcp(13400, 50000, 5000, 0x18, doip(0x0006, b"\x0e\x80\x10\x01\x10\x00\x00\x00\x00")))),
    eth(ipv4(TESTER, ECU, 6, tcp(50000, 13400, 1001 + 15, 0x18, doip(0x8001, b"\x0e\x80\x10\x01\x10\x03")))),
    eth(ipv4(ECU, TESTER, 6, tcp(13400, 50000, 5000 + 17, 0x18, doip(0x8002, b"\x10\x01\x0e\x80\x00")))),
    eth(ipv4(ECU, TESTER, 6, tcp(13400, 50000, 5000 + 30, 0x18, doip(0x8001, b"\x10\x01\x0e\x80\x50\x03\x00\x32\x01\xf4")))),
    eth(ipv4(ECU, TESTER, 17, udp(13400, 13400, doip(0x0004, b"WVW0000000000000\x10\x01" + b"\0" * 14)))),
    eth(ipv4(TESTER, ECU, 17, udp(30501, 30501, someip(0x1234, 0x0001, b"\x01\x02\x03")))),
    eth(ipv4(TESTER, ECU, 17, udp(30501, 30501, someip(0x1234, 0x0002, b"A" * 32, tp=0x01))), vlan=True),
    eth(ipv4(TESTER, ECU, 17, udp(30501, 30501, someip(0x1234, 0x0002, b"B" * 8, tp=0x20)))),
    eth(ipv4(TESTER, ECU, 17, udp(30490, 30490, someip(0xFFFF, 0x8100, b"\xc0\0\0\0" + b"\0" * 8, msg_type=2)))),
]

stream = b""
t = 0
for i, (word, data) in enumerate([(0x7E0, b"\x02\x10\x03"), (0x7E8, b"\x06\x50\x03\x00\x32\x01\xf4"),
                                  (0x18DAF110 | 0x80000000, b"\x10\x14\x34\x00\x00\x00\x00\x00")]):
    t += 1_000_000
    stream += blf_obj(86, t, can_msg2(1, word, data))
stream += blf_obj(1, t + 1, can_msg2(2, 0x123, b"", fl=0x80))
stream += blf_obj(101, t + 2, can_fd64(1, 0x7E0, bytes(range(12))))
stream += blf_obj(100, t + 3, can_fd(1, 0x7E8, bytes(range(12))))
stream += blf_obj(73, t + 4, can_error_ext(1, 0x4, b"\x01\x02"))
stream += blf_obj(2, t + 5, b"\x01\x00\x00\x00")
stream += blf_obj(99, t + 6, b"\0" * 8)  # a type we do not decode
stream += blf_obj(86, 500, can_msg2(1, 0x7E0, b"\x01"), flags=1, ver=2)
for i, fr in enumerate(ETH_FRAMES[:4]):
    stream += blf_obj(120, t + 10 + i, eth_ex(1, fr))
stream += blf_obj(71, t + 20, eth_old(1, ETH_FRAMES[7]))

put("blf", "compressed", blf_header() + container(stream, 2))
put("blf", "uncompressed", blf_header() + container(stream, 0))
half = len(stream) // 2
put("blf", "split", blf_header() + container(stream[:half], 2) + container(stream[half:], 0))
put("blf", "toplevel_skip", blf_header() + LOBJ + struct.pack("<HHII", 16, 1, 21, 65) + b"\0" * 5 + b"\0" * 1
    + container(stream[:200], 0))

# ---------------------------------------------------------------- pcap / pcapng
def pcap_classic(linktype, packets, big=False, nano=True):
    e = ">" if big else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)
    for i, p in enumerate(packets):
        out += struct.pack(e + "IIII", 1700000000 + i, 1000 * i, len(p), len(p)) + p
    return out


def socketcan(word, data, fd=False, little=False):
    w = struct.pack("<I" if little else ">I", word)
    if fd:
        return w + bytes([len(data), 0x05, 0, 0]) + data.ljust(64, b"\0")
    return w + bytes([len(data), 0, 0, 0]) + data.ljust(8, b"\0")


def sll(proto, payload, htype=1):
    return struct.pack(">HHH8sH", 0, htype, 6, b"\x02\0\0\0\0\x01\0\0", proto) + payload


def sll2(proto, payload, htype=1):
    return struct.pack(">HHIHBB8s", proto, 0, 1, htype, 0, 6, b"\x02\0\0\0\0\x01\0\0") + payload


CAN_PKTS = [
    socketcan(0x7E0, b"\x02\x10\x03\x00\x00\x00\x00\x00"),
    socketcan(0x7E8, b"\x06\x50\x03\x00\x32\x01\xf4\x00"),
    socketcan(0x98DAF110, b"\x10\x14\x34\x00\x00\x00\x00\x00"),
    socketcan(0x40000123, b""),
    socketcan(0x20000004, b"\0" * 8),
    socketcan(0x7E0, bytes(range(12)), fd=True),
]
put("pcap", "eth_le_nano", pcap_classic(1, ETH_FRAMES))
put("pcap", "eth_be_micro", pcap_classic(1, ETH_FRAMES[:4], big=True, nano=False))
put("pcap", "raw_ip", pcap_classic(101, [f[14:] for f in ETH_FRAMES[:3]]))
put("pcap", "ipv4_228", pcap_classic(228, [ETH_FRAMES[7][14:]]))
put("pcap", "socketcan_be", pcap_classic(227, CAN_PKTS))
put("pcap", "socketcan_le", pcap_classic(227, [socketcan(0x7E0, b"\x01\x02", little=True)]))
put("pcap", "sll_can", pcap_classic(113, [sll(0x000C, p, htype=280) for p in CAN_PKTS[:3]]
                                      + [sll(0x000D, CAN_PKTS[5], htype=280), sll(0x0800, ETH_FRAMES[7][14:])]))
put("pcap", "sll2_mixed", pcap_classic(276, [sll2(0x000C, CAN_PKTS[0], htype=280), sll2(0x0800, ETH_FRAMES[1][14:])]))


def ng_block(btype, body, big=False):
    e = ">" if big else "<"
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def ng_shb(big=False):
    e = ">" if big else "<"
    return ng_block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1), big)


def ng_idb(linktype, tsresol=None, big=False):
    e = ">" if big else "<"
    opts = b""
    if tsresol is not None:
        opts += struct.pack(e + "HH", 9, 1) + bytes([tsresol]) + b"\0\0\0"
    opts += struct.pack(e + "HH", 0, 0)
    return ng_block(1, struct.pack(e + "HHI", linktype, 0, 262144) + opts, big)


def ng_epb(iface, ts, pkt, big=False):
    e = ">" if big else "<"
    return ng_block(6, struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(pkt), len(pkt)) + pkt, big)


def ng_spb(pkt, big=False):
    e = ">" if big else "<"
    return ng_block(3, struct.pack(e + "I", len(pkt)) + pkt, big)


ng = ng_shb() + ng_idb(1) + ng_idb(227, tsresol=9)
for i, fr in enumerate(ETH_FRAMES):
    ng += ng_epb(0, 1700000000_000000 + i, fr)
for i, p in enumerate(CAN_PKTS):
    ng += ng_epb(1, 1700000000_000000000 + i, p)
ng += ng_spb(ETH_FRAMES[0])
ng += ng_block(5, b"\0" * 8)  # an interface statistics block: skipped
put("pcap", "ng_le", ng)
put("pcap", "ng_be", ng_shb(True) + ng_idb(1, big=True) + ng_epb(0, 5, ETH_FRAMES[3], big=True)
    + ng_shb() + ng_idb(228) + ng_epb(0, 6, ETH_FRAMES[7][14:]))

# ---------------------------------------------------------------- detect: one of each, some gzipped
for target in ["candump", "trc", "asc", "blf", "pcap"]:
    d = os.path.join(ROOT, target)
    for i, name in enumerate(sorted(n for n in os.listdir(d) if n.startswith("seed-"))):
        name = name[len("seed-"):]
        with open(os.path.join(d, "seed-" + name), "rb") as f:
            data = f.read()
        put("detect", f"{target}_{name}", data)
        if i == 0:
            put("detect", f"{target}_{name}.gz", gzip.compress(data, mtime=0))

# ---------------------------------------------------------------- chunked: byte 0 = max read size
d = os.path.join(ROOT, "detect")
for name in sorted(n for n in os.listdir(d) if n.startswith("seed-")):
    with open(os.path.join(d, name), "rb") as f:
        data = f.read()
    put("chunked", name[len("seed-"):], bytes([7]) + data)

# ---------------------------------------------------------------- decode_capture: the capture seeds
for name in sorted(n for n in os.listdir(d) if n.startswith("seed-")):
    with open(os.path.join(d, name), "rb") as f:
        data = f.read()
    put("decode_capture", name[len("seed-"):], data)
