# Unit tests of src/kernel/nsdump.py's netlink decoding on hand-built messages: no root, no
# namespaces, no sockets. Run by nsdump.test.ts; prints "ok" when every check passes.
import errno
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in src/kernel
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "kernel"))
import nsdump as n  # noqa: E402

NLA_F_NESTED = 0x8000
NLM_F_MULTI = 0x2


def nla(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def cstr(s):
    return s.encode() + b"\0"


def msg(kind, body, seq=1, flags=NLM_F_MULTI):
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


def load(m):
    """Puts one message into the receive buffer; returns (body, end) for the parse functions."""
    n.BUF[: len(m)] = m
    return 16, len(m)


RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 20, 24


def link_msg(index, name, flags=0x1 | 0x40 | 0x2 | 0x1000, extra=b""):
    body = n.IFINFOMSG.pack(0, 1, index, flags, 0) + nla(n.IFLA_IFNAME, cstr(name)) + nla(n.IFLA_MTU, struct.pack("=I", 1500)) + extra
    return msg(RTM_NEWLINK, body)


def route_msg(dst, dst_len, table=254, table_attr=None, family=socket.AF_INET, kind=1, protocol=4, scope=0, flags=0, oif=None, gateway=None):
    attrs = b""
    if dst is not None:
        attrs += nla(n.RTA_DST, socket.inet_aton(dst))
    if table_attr is not None:
        attrs += nla(n.RTA_TABLE, struct.pack("=I", table_attr))
    if gateway:
        attrs += nla(n.RTA_GATEWAY, socket.inet_aton(gateway))
    if oif:
        attrs += nla(n.RTA_OIF, struct.pack("=I", oif))
    return msg(RTM_NEWROUTE, n.RTMSG.pack(family, dst_len, 0, 0, table, protocol, scope, kind, flags) + attrs)


def check(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


# A link with every attribute we read: odd-length strings (padding), nested and flagged nested attributes.
slave_data = nla(1, b"\3") + nla(n.IFLA_BRPORT_MODE, b"\1")
linkinfo = nla(
    n.IFLA_LINKINFO | NLA_F_NESTED,
    nla(n.IFLA_INFO_KIND, cstr("veth")) + nla(2, b"\1\2\3") + nla(n.IFLA_INFO_SLAVE_KIND, cstr("bridge")) + nla(n.IFLA_INFO_SLAVE_DATA | NLA_F_NESTED, slave_data),
)
af_spec = nla(n.IFLA_AF_SPEC | NLA_F_NESTED, nla(socket.AF_INET, nla(1, b"\0" * 8)) + nla(socket.AF_INET6, nla(1, b"\0" * 4) + nla(n.IFLA_INET6_ADDR_GEN_MODE, b"\1")))
extra = (
    nla(n.IFLA_ADDRESS, bytes([2, 0x42, 10, 0, 0, 0xAB]))
    + nla(n.IFLA_MASTER, struct.pack("=I", 7))
    + nla(n.IFLA_OPERSTATE, b"\7")
    + linkinfo
    + af_spec
    + nla(n.IFLA_IFALIAS, cstr("wirestate endpoint e1 network n1"))
)
check(
    n.parse_link(*load(link_msg(5, "eth10", flags=0x1 | 0x2 | 0x1000, extra=extra))),
    {
        "ifindex": 5,
        "ifname": "eth10",
        "flags": ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP", "M-DOWN"],
        "mtu": 1500,
        "link_type": "ether",
        "address": "02:42:0a:00:00:ab",
        "master": 7,
        "linkinfo": {"info_kind": "veth", "info_slave_kind": "bridge", "info_slave_data": {"hairpin": True}},
        "inet6_addr_gen_mode": "none",
        "ifalias": "wirestate endpoint e1 network n1",
    },
    "full link",
)
lo = msg(RTM_NEWLINK, n.IFINFOMSG.pack(0, 772, 1, 0x8 | 0x1 | 0x40 | 0x10000, 0) + nla(n.IFLA_IFNAME, cstr("lo")) + nla(n.IFLA_IFALIAS, b"\0"))
check(n.parse_link(*load(lo)), {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "link_type": "loopback"}, "bare loopback, empty alias")

# The lower link: in another namespace its ifindex there and that namespace's id (ip's link_index and
# link_netnsid); here an ifindex that dump_namespace names; 0 (none) is null, as ip prints it.
netnsid = nla(n.IFLA_LINK_NETNSID, struct.pack("=i", 3))
check(n.parse_link(*load(link_msg(2, "eth0", extra=nla(n.IFLA_LINK, struct.pack("=I", 9)) + netnsid))).get("link_index"), 9, "lower link elsewhere")
check(n.parse_link(*load(link_msg(2, "eth0", extra=nla(n.IFLA_LINK, struct.pack("=I", 9)) + netnsid)))["link_netnsid"], 3, "its namespace's id")
check(n.parse_link(*load(link_msg(2, "eth0", extra=netnsid))).get("link_index"), None, "IFLA_LINK left out (older kernels)")
check(n.parse_link(*load(link_msg(2, "v0", extra=nla(n.IFLA_LINK, struct.pack("=I", 4))))).get("link"), 4, "lower link here")
check("link" in n.parse_link(*load(link_msg(2, "tunl0", extra=nla(n.IFLA_LINK, struct.pack("=I", 0))))), True, "no lower link")
check(n.parse_link(*load(link_msg(2, "tunl0", extra=nla(n.IFLA_LINK, struct.pack("=I", 0)))))["link"], None, "no lower link is null")

# The id a namespace gives another: NETNSA_NSID after the family; -1 is "not assigned".
nsid = msg(n.RTM_NEWNSID, n.RTGENMSG.pack(0) + nla(n.NETNSA_NSID, struct.pack("=i", 5)), flags=0)
check(n.parse_nsid(*load(nsid)), 5, "nsid")
check(n.parse_nsid(*load(msg(n.RTM_NEWNSID, n.RTGENMSG.pack(0) + nla(n.NETNSA_NSID, struct.pack("=i", -1)), flags=0))), None, "nsid not assigned")

# Addresses: IFA_LOCAL is the address, IFA_ADDRESS the peer when both are there; IPv6 is skipped.
both = msg(RTM_NEWADDR, n.IFADDRMSG.pack(socket.AF_INET, 32, 0, 0, 3) + nla(n.IFA_ADDRESS, socket.inet_aton("10.0.0.9")) + nla(n.IFA_LOCAL, socket.inet_aton("10.0.0.3")))
check(n.parse_addr(*load(both)), (3, {"family": "inet", "local": "10.0.0.3", "prefixlen": 32}), "local over peer")
only = msg(RTM_NEWADDR, n.IFADDRMSG.pack(socket.AF_INET, 24, 0, 0, 3) + nla(n.IFA_ADDRESS, socket.inet_aton("10.0.0.2")))
check(n.parse_addr(*load(only)), (3, {"family": "inet", "local": "10.0.0.2", "prefixlen": 24}), "address alone")
check(n.parse_addr(*load(msg(RTM_NEWADDR, n.IFADDRMSG.pack(socket.AF_INET6, 64, 0, 0, 3) + nla(n.IFA_ADDRESS, b"\0" * 16)))), None, "ipv6")

# Routes: ip's spelling, and only IPv4 routes of the main table that are not cached clones.
check(
    n.parse_route(*load(route_msg(None, 0, protocol=3, gateway="10.0.0.1", oif=2))),
    {"type": "unicast", "dst": "default", "gateway": "10.0.0.1", "dev": 2, "protocol": "boot", "scope": "global"},
    "default",
)
check(n.parse_route(*load(route_msg("10.9.0.5", 32, oif=2)))["dst"], "10.9.0.5", "host route printed bare")
check(
    n.parse_route(*load(route_msg("10.0.0.0", 24, protocol=2, scope=253, oif=2))),
    {"type": "unicast", "dst": "10.0.0.0/24", "dev": 2, "protocol": "kernel", "scope": "link"},
    "connected",
)
check(n.parse_route(*load(route_msg("10.66.0.0", 16, kind=6, protocol=99))), {"type": "blackhole", "dst": "10.66.0.0/16", "protocol": "openr", "scope": "global"}, "blackhole")
check(n.parse_route(*load(route_msg("10.0.0.0", 8, table=252, table_attr=254))) is not None, True, "RTA_TABLE wins over rtm_table")
check(n.parse_route(*load(route_msg("10.0.0.0", 8, table=252, table_attr=1000))), None, "other table (RTA_TABLE)")
check(n.parse_route(*load(route_msg("127.0.0.1", 32, table=255, kind=2))), None, "local table")
check(n.parse_route(*load(route_msg("10.0.0.0", 8, flags=n.RTM_F_CLONED))), None, "cloned")
check(n.parse_route(*load(route_msg("10.0.0.0", 8, family=socket.AF_INET6))), None, "ipv6")


class FakeSocket:
    """Hands out datagrams as the kernel would, one per receive."""

    def __init__(self, datagrams):
        self.datagrams = list(datagrams)
        self.sent = []

    def send(self, data):
        self.sent.append(data)

    def recvmsg_into(self, buffers):
        d = self.datagrams.pop(0)
        buffers[0][: len(d)] = d
        return len(d), [], 0, None


def rtnl(datagrams):
    r = n.Rtnl.__new__(n.Rtnl)
    r.sock, r.seq = FakeSocket(datagrams), 0
    return r


def done(seq=1, code=0, flags=NLM_F_MULTI):
    return msg(n.NLMSG_DONE, struct.pack("=i", code), seq=seq, flags=flags)


# A dump over several datagrams, several messages each; a stray sequence number is skipped.
r = rtnl([link_msg(1, "a") + msg(RTM_NEWLINK, b"", seq=9) + link_msg(2, "bb"), link_msg(3, "ccc"), done()])
links, interrupted = r.dump(n.RTM_GETLINK, b"", n.parse_link)
check([l["ifname"] for l in links], ["a", "bb", "ccc"], "multi-part dump")
check(interrupted, False, "not interrupted")
check(struct.unpack_from("=IHHII", r.sock.sent[0]), (16, n.RTM_GETLINK, n.NLM_F_REQUEST | n.NLM_F_DUMP, 1, 0), "request header")

# NLM_F_DUMP_INTR on any message of the dump marks the whole dump.
_, interrupted = rtnl([link_msg(1, "a"), done(flags=NLM_F_MULTI | n.NLM_F_DUMP_INTR)]).dump(n.RTM_GETLINK, b"", n.parse_link)
check(interrupted, True, "interrupted")


# A request with one answer: the answer parsed, the request without the dump flag.
r = rtnl([msg(n.RTM_NEWNSID, b"", seq=7) + msg(n.RTM_NEWNSID, n.RTGENMSG.pack(0) + nla(n.NETNSA_NSID, struct.pack("=i", 2)), flags=0)])
check(r.get(n.RTM_GETNSID, b"", n.parse_nsid), 2, "one answer, a stray one skipped")
check(struct.unpack_from("=IHHII", r.sock.sent[0]), (16, n.RTM_GETNSID, n.NLM_F_REQUEST, 1, 0), "get request header")
try:
    rtnl([msg(n.NLMSG_ERROR, struct.pack("=i", -errno.EBADF) + b"\0" * 16, flags=0)]).get(n.RTM_GETNSID, b"", n.parse_nsid)
    raise AssertionError("get error: no error")
except OSError as e:
    check(e.errno, errno.EBADF, "get error")


def raises(datagrams, code, what):
    try:
        rtnl(datagrams).dump(n.RTM_GETLINK, b"", n.parse_link)
    except OSError as e:
        check(e.errno, code, what)
        return
    raise AssertionError(f"{what}: no error")


raises([msg(n.NLMSG_ERROR, struct.pack("=i", -errno.EOPNOTSUPP) + b"\0" * 16)], errno.EOPNOTSUPP, "NLMSG_ERROR")
raises([link_msg(1, "a"), done(code=-errno.EMSGSIZE)], errno.EMSGSIZE, "error in NLMSG_DONE")
raises([struct.pack("=IHHII", 99, RTM_NEWLINK, 0, 1, 0)], None, "truncated message")


class FakeRtnl:
    """dump_namespace's socket, with dumps already parsed."""

    answers = {}

    def dump(self, msg_type, request, parse):
        return FakeRtnl.answers[msg_type], False

    def get(self, msg_type, request, parse):
        FakeRtnl.asked = struct.unpack_from("=Bxxx HH I", request)
        return FakeRtnl.answers[msg_type]

    def close(self):
        pass


# Indexes become names (if<N> when not in the dump); addresses are grouped under every link.
n.Rtnl = FakeRtnl
FakeRtnl.answers = {
    n.RTM_GETLINK: [
        {"ifindex": 1, "ifname": "lo"},
        {"ifindex": 4, "ifname": "br0"},
        {"ifindex": 5, "ifname": "v0", "master": 4, "link": 6},
        {"ifindex": 6, "ifname": "v1", "master": 40, "link": 50},
        {"ifindex": 7, "ifname": "m0", "link_index": 4, "link_netnsid": 0},
        {"ifindex": 8, "ifname": "tunl0", "link": None},
    ],
    n.RTM_GETADDR: [(4, {"family": "inet", "local": "10.0.0.1", "prefixlen": 24}), (77, {"family": "inet", "local": "10.0.0.7", "prefixlen": 24})],
    n.RTM_GETROUTE: [{"dst": "default", "dev": 4}, {"dst": "10.1.0.0/16", "dev": 41}, {"dst": "10.66.0.0/16"}],
    n.RTM_GETNSID: 0,
}
result, _ = n.dump_namespace(11)
check([l.get("master") for l in result["links"]], [None, None, "br0", "if40", None, None], "masters")
# Only a lower link here is named: link_index is an ifindex in another namespace.
check([(l.get("link"), l.get("link_index")) for l in result["links"]], [(None, None), (None, None), ("v1", None), ("if50", None), (None, 4), (None, None)], "lower links")
check(FakeRtnl.asked, (0, 8, n.NETNSA_FD, 11), "asks for the host's id by its fd")
check(result["host_nsid"], 0, "the host's id")
check([r.get("dev") for r in result["routes"]], ["br0", "if41", None], "route devices")
check(
    result["addrs"],
    [
        {"ifindex": 1, "ifname": "lo", "addr_info": []},
        {"ifindex": 4, "ifname": "br0", "addr_info": [{"family": "inet", "local": "10.0.0.1", "prefixlen": 24}]},
        {"ifindex": 5, "ifname": "v0", "addr_info": []},
        {"ifindex": 6, "ifname": "v1", "addr_info": []},
        {"ifindex": 7, "ifname": "m0", "addr_info": []},
        {"ifindex": 8, "ifname": "tunl0", "addr_info": []},
    ],
    "addresses by link",
)
FakeRtnl.answers = {n.RTM_GETLINK: [], n.RTM_GETADDR: [], n.RTM_GETROUTE: [], n.RTM_GETNSID: None}
check("host_nsid" in n.dump_namespace(11)[0], False, "no id: none said")
print("ok")
