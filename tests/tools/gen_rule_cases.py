#!/usr/bin/env python3
"""Generate the rule test cases under rules/tests/<case>/ (bundle.jsonl + expect.toml).

Deterministic (one random.Random per case, seeded from the case name with CRC-32) and
idempotent: for every case it deletes and rewrites exactly `bundle.jsonl` and `expect.toml`,
never any other file in the case directory (e.g. *.snap files stay).

Bundle format: docs/bundle-format.md. Protocol facts: /work/shared/docs/protocols.md.

Usage: python3 tests/tools/gen_rule_cases.py [output-dir]   (default: <repo>/rules/tests)
"""

import binascii
import json
import random
import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "rules" / "tests"

US = 1_000
MS = 1_000_000
SEC = 1_000_000_000
T0 = 1_000_000_000  # both recorder clocks start here

# Kept header bytes per (protocol family, direction).
KEEP = {
    ("uds", "req"): 16,
    ("uds", "rsp"): 64,
    ("someip", "req"): 36,
    ("someip", "rsp"): 64,
}
FILL = 0xAA  # payload bytes beyond what a message defines explicitly

# ---------------------------------------------------------------------------------------------
# Units

ECUS = {
    "BCM": dict(ecu="BCM", address=0x1A01, package="bcm-app", version="2.1.0", from_version="2.0.3"),
    "VCU": dict(ecu="VCU", address=0x1A02, package="vcu-app", version="1.4.0", from_version="1.3.2"),
    "ADAS": dict(ecu="ADAS", address=0x1A03, package="adas-app", version="5.0.1", from_version="5.0.0"),
}

# UDS addressing per transport: tester address, functional address.
DOIP = dict(transport="doip", tester=0x0E80, functional=0xE400, width=4)
CAN = dict(transport="can", tester=0x7E0, functional=0x7DF, width=3)
CAN_BCM_ADDRESS = 0x7E8

# Deployment protocol (SOME/IP, UCM-style)
TBOX_IP = "10.0.0.2"
GW_IP = "10.0.0.1"
TBOX_CLIENT = 0x0101
UCM_SERVICE = 0x5C00
M_TRANSFER_START = 0x0001
M_TRANSFER_DATA = 0x0002
M_TRANSFER_EXIT = 0x0003
M_PROCESS = 0x0004
M_ACTIVATE = 0x0005
MT_REQUEST = 0x00
MT_RESPONSE = 0x80
MT_ERROR = 0x81
BLOCK_SIZE = 65536
PACKETS = 10
PACKAGE_SIZE = PACKETS * BLOCK_SIZE - 1000

# UDS download
MNBL = 0x0FFA  # 4090 bytes per TransferData message, SID and counter included
BLOCK_DATA = MNBL - 2
DEFAULT_BLOCKS = 8
MEM_ADDR = 0x08000000


def h(text):
    """'10 03' -> b'\\x10\\x03'"""
    return bytes.fromhex(text)


def fmt_addr(value, width):
    return "0x%0*X" % (width, value)


class Stop(Exception):
    """The recorder's client (GW or TBOX) stops the sequence here."""


# ---------------------------------------------------------------------------------------------
# Bundle assembly


class Bundle:
    def __init__(self, name):
        self.name = name
        self.rng = random.Random(binascii.crc32(name.encode("ascii")))
        self.records = []
        self.clock = {"tbox": T0, "gw": T0}  # time of the next request per recorder
        self.last = {}  # recorder -> timestamp of its last record

    def delay(self):
        """Normal response delay: 3-15 ms."""
        return self.rng.randint(3_000, 15_000) * US

    def gap(self):
        """Gap before the next request: 1-3 ms."""
        return self.rng.randint(1_000, 3_000) * US

    def add(self, *, stage, unit, rec, transport, dir, ts, src, dst, data, length):
        family = "someip" if transport == "someip" else "uds"
        keep = KEEP[(family, dir)]
        assert len(data) <= length, (self.name, data.hex(), length)
        n = min(length, keep)
        hdr = bytes(data[:n]) + bytes([FILL]) * max(0, n - len(data))
        assert ts >= self.last.get(rec, 0), (self.name, rec, ts)
        self.last[rec] = ts
        self.records.append(
            {
                "type": "record",
                "stage": stage,
                "unit": unit,
                "rec": rec,
                "transport": transport,
                "dir": dir,
                "ts": ts,
                "src": src,
                "dst": dst,
                "hdr": hdr.hex().upper(),
                "len": length,
            }
        )


# ---------------------------------------------------------------------------------------------
# Flash stage (UDS, recorder "gw")


class Uds:
    def __init__(self, b, ecu, addressing, address):
        self.b = b
        self.unit = ecu
        self.tr = addressing["transport"]
        self.tester = addressing["tester"]
        self.func = addressing["functional"]
        self.width = addressing["width"]
        self.addr = address
        self.t = b.clock["gw"]

    def a(self, value):
        return fmt_addr(value, self.width)

    def req(self, data, length=None, dst=None, src=None):
        data = h(data) if isinstance(data, str) else data
        length = len(data) if length is None else length
        self.t = self.b.clock["gw"]
        self.b.add(stage="flash", unit=self.unit, rec="gw", transport=self.tr, dir="req", ts=self.t,
                   src=self.a(self.tester if src is None else src),
                   dst=self.a(self.addr if dst is None else dst), data=data, length=length)
        self.req_ts = self.t
        return self.t

    def rsp_at(self, ts, data, length=None, src=None):
        data = h(data) if isinstance(data, str) else data
        length = len(data) if length is None else length
        self.t = ts
        self.b.add(stage="flash", unit=self.unit, rec="gw", transport=self.tr, dir="rsp", ts=ts,
                   src=self.a(self.addr if src is None else src), dst=self.a(self.tester),
                   data=data, length=length)

    def rsp(self, data, after=None, length=None, src=None):
        self.rsp_at(self.t + (self.b.delay() if after is None else after), data, length, src)

    def next(self):
        self.b.clock["gw"] = self.t + self.b.gap()

    def ex(self, req, rsp, dst=None):
        """Simple exchange; rsp None = no response expected (suppressPosRsp)."""
        self.req(req, dst=dst)
        if rsp is not None:
            self.rsp(rsp)
        self.next()


def image_size(n_blocks):
    return n_blocks * BLOCK_DATA - 1000


def flash_ecu(b, ecu, f=None, addressing=DOIP, address=None):
    """Flash one ECU with the healthy sequence, modified by the fault dict `f`.

    Returns True if the sequence ran to the end, False if the GW stopped early.
    Fault keys:
      stop           step after which the GW stops: "erase", "rd", "exit", "check", "block<N>"
      func_10_03     list of responder addresses: send step 1 functionally
      erase          list of (delay after previous ns, response hex) for the erase routine
      rd_req         RequestDownload request bytes (hex); rd_src: its source address
      rd_rsp         RequestDownload response (hex) or None for no response
      blocks         list of block numbers to send (default 1..n); n_blocks: default 8
      block_rsp      {block number: None | dict(data=hex, after=ns, src=addr)}
      check_rsp      False -> the check-memory routine gets no response
    """
    f = f or {}
    rng = b.rng
    u = Uds(b, ecu, addressing, ECUS[ecu]["address"] if address is None else address)
    stop = f.get("stop")

    def step_done(name):
        if stop == name:
            raise Stop(name)

    n_blocks = f.get("n_blocks", DEFAULT_BLOCKS)
    size = image_size(n_blocks)
    mem = struct.pack(">II", MEM_ADDR, size)

    try:
        # 1. extended session
        if "func_10_03" in f:
            ts = u.req("10 03", dst=u.func)
            for d, responder in sorted((b.delay(), r) for r in f["func_10_03"]):
                u.rsp_at(ts + d, "50 03 00 32 01 F4", src=responder)
            u.next()
        else:
            u.ex("10 03", "50 03 00 32 01 F4")
        # 2. precondition check routine
        u.ex("31 01 02 03", "71 01 02 03 00")
        # 3./4. functional DTC setting off, communication control (both suppressPosRsp)
        u.ex("85 82", None, dst=u.func)
        u.ex("28 83 01", None, dst=u.func)
        # 5. programming session with one pending response
        u.req("10 02")
        u.rsp("7F 10 78", after=5 * MS)
        u.rsp("50 02 00 32 01 F4", after=20 * MS)
        u.next()
        # 6. security access
        seed = bytes(rng.randrange(256) for _ in range(4))
        key = bytes(x ^ 0x5A for x in seed[::-1])
        u.ex(h("27 11"), h("67 11") + seed)
        u.ex(h("27 12") + key, "67 12")
        # 7. fingerprint (programming date)
        u.ex("2E F1 99 26 11 25", "6E F1 99")
        # 8. erase
        u.req(h("31 01 FF 00 44") + mem)
        for after, data in f.get("erase", [(10 * MS, "7F 31 78"), (2 * SEC, "7F 31 78"),
                                            (1500 * MS, "71 01 FF 00 00")]):
            u.rsp(data, after=after)
        step_done("erase")
        u.next()
        u.ex("3E 80", None)  # physical TesterPresent, suppressPosRsp
        # 9. RequestDownload
        rd_req = h(f["rd_req"]) if "rd_req" in f else h("34 00 44") + mem
        u.req(rd_req, src=f.get("rd_src"))
        rd_rsp = f.get("rd_rsp", "74 20 0F FA")
        if rd_rsp is not None:
            u.rsp(rd_rsp)
        step_done("rd")
        u.next()
        # 10. TransferData
        block_rsp = f.get("block_rsp", {})
        for n in f.get("blocks", range(1, n_blocks + 1)):
            bsc = n & 0xFF
            length = MNBL if n < n_blocks else 2 + size - (n_blocks - 1) * BLOCK_DATA
            u.req(bytes([0x36, bsc]), length=length)
            spec = block_rsp.get(n, {})
            if spec is not None:
                u.rsp(spec.get("data", "76 %02X" % bsc), after=spec.get("after"), src=spec.get("src"))
            step_done("block%d" % n)
            u.next()
            if n == 4:
                u.ex("3E 80", None)
        # 11. RequestTransferExit
        u.ex("37", "77")
        step_done("exit")
        # 12. check memory
        crc = bytes(rng.randrange(256) for _ in range(4))
        u.req(h("31 01 02 02") + crc)
        if f.get("check_rsp", True):
            u.rsp("71 01 02 02 00")
        step_done("check")
        u.next()
        # 13. check programming dependencies
        u.ex("31 01 FF 01", "71 01 FF 01 00")
        # 14. reset
        u.ex("11 01", "51 01")
        return True
    except Stop:
        # the GW moves on (to the next ECU, if any) after a short gap
        b.clock["gw"] = u.t + b.gap()
        return False


# ---------------------------------------------------------------------------------------------
# Deploy stage (SOME/IP, recorder "tbox")


def someip_header(method, length, client, session, msgtype, rc=0, proto=0x01, iface=0x01):
    return struct.pack(">HHIHHBBBB", UCM_SERVICE, method, length - 8, client, session,
                       proto, iface, msgtype, rc)


class Deploy:
    def __init__(self, b):
        self.b = b
        self.session = 0

    def call(self, unit, method, payload, length, *, client=TBOX_CLIENT, proto=0x01, rsp=None):
        """One request and (unless rsp is None) its response.

        rsp keys: after (ns), msgtype, rc, src, method, proto, client, payload.
        """
        b = self.b
        self.session += 1
        session = self.session
        ts = b.clock["tbox"]
        b.add(stage="deploy", unit=unit, rec="tbox", transport="someip", dir="req", ts=ts,
              src=TBOX_IP, dst=GW_IP,
              data=someip_header(method, length, client, session, MT_REQUEST, proto=proto) + payload,
              length=length)
        t = ts
        if rsp is not None:
            rp = rsp.get("payload", b"")
            rlen = 16 + len(rp)
            t = ts + rsp.get("after", b.delay())
            data = someip_header(rsp.get("method", method), rlen, rsp.get("client", client), session,
                                 rsp.get("msgtype", MT_RESPONSE), rsp.get("rc", 0),
                                 proto=rsp.get("proto", 0x01)) + rp
            b.add(stage="deploy", unit=unit, rec="tbox", transport="someip", dir="rsp", ts=t,
                  src=rsp.get("src", GW_IP), dst=TBOX_IP, data=data, length=rlen)
        b.clock["tbox"] = t + b.gap()


def deploy(b, packages, f=None):
    """Deploy packages in order, then Activate. Returns True on success, False if the TBOX stopped.

    Fault keys (apply to every package; the cases use them with one package):
      stop         "packet<N>" or "exit": the TBOX stops after that exchange
      packets      list of packet numbers to send (default 1..10)
      client       {packet: client id}; proto: {packet: protocol version}; datalen: {packet: bytes}
      packet_rsp   {packet: None | dict(...) as in Deploy.call}
      exit_rsp     dict for the TransferExit response
    """
    f = f or {}
    d = Deploy(b)
    stop = f.get("stop")
    try:
        for idx, pkg in enumerate(packages):
            tid = bytes(range(0x10, 0x1F)) + bytes([0x1F + idx])
            d.call(pkg, M_TRANSFER_START, struct.pack(">Q", PACKAGE_SIZE), 24,
                   rsp=dict(payload=tid + struct.pack(">I", BLOCK_SIZE)))
            for n in f.get("packets", range(1, PACKETS + 1)):
                default_len = BLOCK_SIZE if n < PACKETS else PACKAGE_SIZE - (PACKETS - 1) * BLOCK_SIZE
                dlen = f.get("datalen", {}).get(n, default_len)
                d.call(pkg, M_TRANSFER_DATA, tid + struct.pack(">I", n), 16 + 20 + dlen,
                       client=f.get("client", {}).get(n, TBOX_CLIENT),
                       proto=f.get("proto", {}).get(n, 0x01),
                       rsp=f.get("packet_rsp", {}).get(n, {}))
                if stop == "packet%d" % n:
                    raise Stop
            d.call(pkg, M_TRANSFER_EXIT, tid, 32, rsp=f.get("exit_rsp", {}))
            if stop == "exit":
                raise Stop
            d.call(pkg, M_PROCESS, tid, 32, rsp=dict(after=b.rng.randint(300_000, 800_000) * US))
        d.call(packages[-1], M_ACTIVATE, b"", 16, rsp=dict(after=200 * MS))
        return True
    except Stop:
        return False


# ---------------------------------------------------------------------------------------------
# Cases

SIDE = {
    "request_not_sent": "client",
    "request_sender_illegal": "client",
    "request_format_illegal": "client",
    "request_length_illegal": "client",
    "request_flow_illegal": "client",
    "response_not_sent": "server",
    "response_timeout": "server",
    "response_sender_illegal": "server",
    "response_format_illegal": "server",
    "negative_response": "server",
    "response_unmatched": "server",
}


def case(name, description, *, ecus=("BCM",), deploy_fault=None, flash_faults=None,
         failed=(), can=False, drop_flash_result=(), stop_after=None):
    """failed: list of dicts(unit, stage, cause[, block][, packet]); side derived from cause.
    stop_after: {recorder: ns after its last record} (default 200 ms)."""
    return dict(name=name, description=description, ecus=list(ecus), deploy_fault=deploy_fault,
                flash_faults=flash_faults or {}, failed=list(failed), can=can,
                drop_flash_result=set(drop_flash_result), stop_after=stop_after or {})


def flash_fail(cause, block=None, unit="BCM"):
    d = dict(unit=unit, stage="flash", cause=cause)
    if block is not None:
        d["block"] = block
    return [d]


def deploy_fail(cause, packet=None, unit="bcm-app"):
    d = dict(unit=unit, stage="deploy", cause=cause)
    if packet is not None:
        d["packet"] = packet
    return [d]


def err(rc, **kw):
    return dict(msgtype=MT_ERROR, rc=rc, **kw)


CASES = [
    # ---- healthy
    case("healthy_update",
         "Two packages deployed and two ECUs (BCM, VCU) flashed over DoIP, everything succeeds.",
         ecus=("BCM", "VCU")),
    case("flash_bsc_wrap",
         "One ECU flashed with 300 TransferData blocks, so the block counter wraps from 0xFF to 0x00; healthy.",
         flash_faults={"BCM": dict(n_blocks=300)}),
    case("flash_pending_within_p2star",
         "The erase routine is answered by four response-pending NRCs 4.5 s apart and the positive "
         "response 4.8 s after the last one, each gap within P2* (5 s); healthy.",
         flash_faults={"BCM": dict(erase=[(10 * MS, "7F 31 78")] + [(4500 * MS, "7F 31 78")] * 3
                                   + [(4800 * MS, "71 01 FF 00 00")])}),
    case("flash_functional_multi_responders",
         "Each ECU's first DiagnosticSessionControl 10 03 is sent functionally and answered by all "
         "three ECUs in the task table; all three flash successfully.",
         ecus=("BCM", "VCU", "ADAS"),
         flash_faults={e: dict(func_10_03=[0x1A01, 0x1A02, 0x1A03]) for e in ("BCM", "VCU", "ADAS")}),
    case("flash_can_healthy",
         "BCM flashed over CAN (tester 0x7E0, ECU 0x7E8, functional 0x7DF); healthy.",
         can=True),
    # ---- flash faults
    case("flash_request_not_sent",
         "The GW stops after the positive RequestTransferExit response and never sends the "
         "check-memory routine or the reset.",
         flash_faults={"BCM": dict(stop="exit")},
         failed=flash_fail("request_not_sent")),
    case("flash_request_sender_illegal",
         "RequestDownload is sent from tester address 0x0D00, not a legal client address; the ECU "
         "never answers and the GW stops.",
         flash_faults={"BCM": dict(rd_src=0x0D00, rd_rsp=None, stop="rd")},
         failed=flash_fail("request_sender_illegal")),
    case("flash_request_format_illegal",
         "RequestDownload carries addressAndLengthFormatIdentifier 0x00; the ECU answers 7F 34 31.",
         flash_faults={"BCM": dict(
             rd_req="34 00 00" + struct.pack(">II", MEM_ADDR, image_size(DEFAULT_BLOCKS)).hex(),
             rd_rsp="7F 34 31", stop="rd")},
         failed=flash_fail("request_format_illegal")),
    case("flash_request_length_illegal",
         "RequestDownload grants maxNumberOfBlockLength 0x0402 but TransferData block 1 is 4090 "
         "bytes long; the ECU answers 7F 36 13.",
         flash_faults={"BCM": dict(rd_rsp="74 20 04 02", block_rsp={1: dict(data="7F 36 13")},
                                   stop="block1")},
         failed=flash_fail("request_length_illegal", block=1)),
    case("flash_request_flow_illegal",
         "TransferData blocks 01, 02, 03 then 05 (04 skipped); the ECU answers 7F 36 73 and the GW stops.",
         flash_faults={"BCM": dict(blocks=[1, 2, 3, 5], block_rsp={5: dict(data="7F 36 73")},
                                   stop="block5")},
         failed=flash_fail("request_flow_illegal", block=5)),
    case("flash_response_not_sent",
         "TransferData block 6 gets no response; the GW stops and the recording ends 3 s later.",
         flash_faults={"BCM": dict(block_rsp={6: None}, stop="block6")},
         stop_after={"gw": 3 * SEC},
         failed=flash_fail("response_not_sent", block=6)),
    case("flash_response_timeout",
         "TransferData block 5 is answered after 73 ms, beyond P2 (50 ms); the GW then stops.",
         flash_faults={"BCM": dict(block_rsp={5: dict(after=73 * MS)}, stop="block5")},
         failed=flash_fail("response_timeout", block=5)),
    case("flash_response_timeout_p2star",
         "The erase routine's second response-pending NRC comes 5.3 s after the first, beyond P2* "
         "(5 s); the positive response follows 1 s later and the GW stops.",
         flash_faults={"BCM": dict(erase=[(10 * MS, "7F 31 78"), (5300 * MS, "7F 31 78"),
                                          (1000 * MS, "71 01 FF 00 00")], stop="erase")},
         failed=flash_fail("response_timeout")),
    case("flash_response_sender_illegal",
         "The response to TransferData block 3 comes from 0x1A02 instead of BCM's 0x1A01; the GW stops.",
         flash_faults={"BCM": dict(block_rsp={3: dict(src=0x1A02)}, stop="block3")},
         failed=flash_fail("response_sender_illegal", block=3)),
    case("flash_response_format_illegal",
         "RequestDownload is answered 74 20 0F: the length format says two length bytes but only "
         "one follows; the GW stops.",
         flash_faults={"BCM": dict(rd_rsp="74 20 0F", stop="rd")},
         failed=flash_fail("response_format_illegal")),
    case("flash_negative_response",
         "TransferData block 4 is answered 7F 36 72 (generalProgrammingFailure); the GW stops.",
         flash_faults={"BCM": dict(block_rsp={4: dict(data="7F 36 72")}, stop="block4")},
         failed=flash_fail("negative_response", block=4)),
    case("flash_response_unmatched",
         "TransferData block 6 is answered 76 05, echoing the wrong block counter; the GW stops.",
         flash_faults={"BCM": dict(block_rsp={6: dict(data="76 05")}, stop="block6")},
         failed=flash_fail("response_unmatched", block=6)),
    case("flash_unanswered_at_end",
         "The check-memory routine request is the last record and the recording stops 10 ms after "
         "it, before P2 expires.",
         flash_faults={"BCM": dict(check_rsp=False, stop="check")},
         stop_after={"gw": 10 * MS},
         failed=flash_fail("response_not_sent")),
    case("flash_multi_ecu_one_fails",
         "Three ECUs flashed in turn; VCU's TransferData block 3 is answered 7F 36 72, BCM before "
         "and ADAS after it succeed.",
         ecus=("BCM", "VCU", "ADAS"),
         flash_faults={"VCU": dict(block_rsp={3: dict(data="7F 36 72")}, stop="block3")},
         failed=flash_fail("negative_response", block=3, unit="VCU")),
    case("flash_can_negative_response",
         "BCM flashed over CAN; the erase routine ends with 7F 31 72 after two response-pending NRCs.",
         can=True,
         flash_faults={"BCM": dict(erase=[(10 * MS, "7F 31 78"), (2 * SEC, "7F 31 78"),
                                          (1500 * MS, "7F 31 72")], stop="erase")},
         failed=flash_fail("negative_response")),
    case("flash_result_inferred",
         "TransferData block 4 is answered 7F 36 72 and the bundle has no flash result line for "
         "BCM, so the failure must be inferred.",
         flash_faults={"BCM": dict(block_rsp={4: dict(data="7F 36 72")}, stop="block4")},
         drop_flash_result={"BCM"},
         failed=flash_fail("negative_response", block=4)),
    # ---- deploy faults
    case("deploy_request_not_sent",
         "The TBOX sends TransferStart and packets 1 to 5 of 10, all answered, then stops.",
         deploy_fault=dict(stop="packet5"),
         failed=deploy_fail("request_not_sent", packet=6)),
    case("deploy_request_sender_illegal",
         "Packet 3 is sent with SOME/IP client id 0x0777 instead of the TBOX's 0x0101; the GW "
         "answers ERROR E_NOT_OK and the TBOX stops.",
         deploy_fault=dict(client={3: 0x0777}, packet_rsp={3: err(0x01)}, stop="packet3"),
         failed=deploy_fail("request_sender_illegal", packet=3)),
    case("deploy_request_format_illegal",
         "Packet 2 has SOME/IP protocol version 0x02; the GW answers ERROR E_WRONG_PROTOCOL_VERSION.",
         deploy_fault=dict(proto={2: 0x02}, packet_rsp={2: err(0x07)}, stop="packet2"),
         failed=deploy_fail("request_format_illegal", packet=2)),
    case("deploy_request_length_illegal",
         "Packet 4 carries 70000 data bytes, more than the 65536-byte block size from TransferStart; "
         "the GW answers ERROR kIncorrectBlockSize (0x3E).",
         deploy_fault=dict(datalen={4: 70000}, packet_rsp={4: err(0x3E)}, stop="packet4"),
         failed=deploy_fail("request_length_illegal", packet=4)),
    case("deploy_request_flow_illegal",
         "Packets 1, 2, 3 then 5 (4 skipped); the GW answers packet 5 with ERROR kIncorrectBlock (0x22).",
         deploy_fault=dict(packets=[1, 2, 3, 5], packet_rsp={5: err(0x22)}, stop="packet5"),
         failed=deploy_fail("request_flow_illegal", packet=5)),
    case("deploy_response_not_sent",
         "Packet 7 gets no response; the TBOX stops and the recording ends 5 s later.",
         deploy_fault=dict(packet_rsp={7: None}, stop="packet7"),
         stop_after={"tbox": 5 * SEC},
         failed=deploy_fail("response_not_sent", packet=7)),
    case("deploy_response_timeout",
         "Packet 3 is answered after 1.4 s, beyond the 1 s call timeout; the TBOX then stops.",
         deploy_fault=dict(packet_rsp={3: dict(after=1400 * MS)}, stop="packet3"),
         failed=deploy_fail("response_timeout", packet=3)),
    case("deploy_response_sender_illegal",
         "The response to packet 2 comes from 10.0.0.7 instead of the GW 10.0.0.1; the TBOX stops.",
         deploy_fault=dict(packet_rsp={2: dict(src="10.0.0.7")}, stop="packet2"),
         failed=deploy_fail("response_sender_illegal", packet=2)),
    case("deploy_response_format_illegal",
         "The TransferExit response carries SOME/IP protocol version 0x00; the TBOX stops.",
         deploy_fault=dict(exit_rsp=dict(proto=0x00), stop="exit"),
         failed=deploy_fail("response_format_illegal")),
    case("deploy_negative_response",
         "TransferExit is answered with ERROR kPackageInconsistent (0x27); the TBOX stops.",
         deploy_fault=dict(exit_rsp=err(0x27), stop="exit"),
         failed=deploy_fail("negative_response")),
    case("deploy_response_unmatched",
         "The response to packet 4 has the right client and session id but method 0x0003 "
         "(TransferExit) instead of 0x0002; the TBOX stops.",
         deploy_fault=dict(packet_rsp={4: dict(method=M_TRANSFER_EXIT)}, stop="packet4"),
         failed=deploy_fail("response_unmatched", packet=4)),
]


def build(c, index):
    b = Bundle(c["name"])
    tasks = []
    for e in c["ecus"]:
        row = dict(ECUS[e])
        addr = CAN_BCM_ADDRESS if c["can"] else row["address"]
        tasks.append({
            "ecu": row["ecu"],
            "address": fmt_addr(addr, CAN["width"] if c["can"] else DOIP["width"]),
            "package": row["package"],
            "version": row["version"],
            "from_version": row["from_version"],
            "transport": "can" if c["can"] else "doip",
        })
    packages = [ECUS[e]["package"] for e in c["ecus"]]

    deploy_ok = deploy(b, packages, c["deploy_fault"])
    results = []
    if deploy_ok:
        for p in packages:
            results.append(dict(stage="deploy", unit=p, result="success"))
        for e in c["ecus"]:
            ok = flash_ecu(b, e, c["flash_faults"].get(e), addressing=CAN if c["can"] else DOIP,
                           address=CAN_BCM_ADDRESS if c["can"] else None)
            if e not in c["drop_flash_result"]:
                results.append(dict(stage="flash", unit=e, result="success" if ok else "failure"))
    else:
        assert len(packages) == 1
        results.append(dict(stage="deploy", unit=packages[0], result="failure"))

    # consistency between the generated results and the expectation
    failed_units = {(f["stage"], f["unit"]) for f in c["failed"]}
    for r in results:
        assert (r["result"] == "failure") == ((r["stage"], r["unit"]) in failed_units), (c["name"], r)

    stop = {}
    for rec in ("tbox", "gw"):
        if rec in b.last:
            stop[rec] = b.last[rec] + c["stop_after"].get(rec, 200 * MS)

    manifest = {
        "type": "manifest",
        "version": 1,
        "vin": "LSVCASE%010d" % index,
        "campaign": "C-TEST",
        "task": c["name"],
        "recorders": [
            {"id": "tbox", "role": "TBOX", "software": "tbox-rec 1.0"},
            {"id": "gw", "role": "GW", "software": "gw-rec 1.0"},
        ],
        "tasks": tasks,
    }
    lines = [manifest]
    lines += [{"type": "result", **r} for r in results]
    lines += b.records
    lines.append({"type": "end", "records": len(b.records), "stop": stop})
    bundle = "".join(json.dumps(o, separators=(",", ":")) + "\n" for o in lines)
    return bundle, expect_toml(c)


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def expect_toml(c):
    out = ["description = %s" % toml_str(c["description"])]
    for f in c["failed"]:
        out.append("")
        out.append("[[failed]]")
        out.append("unit = %s" % toml_str(f["unit"]))
        out.append("stage = %s" % toml_str(f["stage"]))
        out.append("cause = %s" % toml_str(f["cause"]))
        out.append("side = %s" % toml_str(SIDE[f["cause"]]))
        if "block" in f:
            out.append("block = %d" % f["block"])
        if "packet" in f:
            out.append("packet = %d" % f["packet"])
    return "\n".join(out) + "\n"


def main(argv):
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names))
    for index, c in enumerate(CASES, start=1):
        bundle, expect = build(c, index)
        d = out / c["name"]
        d.mkdir(parents=True, exist_ok=True)
        for fname, text in (("bundle.jsonl", bundle), ("expect.toml", expect)):
            p = d / fname
            if p.exists():
                p.unlink()
            with open(p, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        print("wrote %s" % d)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
