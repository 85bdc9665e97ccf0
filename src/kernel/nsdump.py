#!/usr/bin/env python3
# Reads the links, IPv4 addresses and IPv4 main-table routes of many network namespaces in ONE
# process. Node cannot setns(2), and one `nsenter ... ip` per namespace costs ~3.5 ms of spawning
# (seconds at 1000 namespaces); here each namespace costs one setns and three rtnetlink dumps.
# Read only: it opens namespaces and sends dump requests, nothing else. Stdlib only, Python >= 3.9.
#
# Input: namespace names (under /run/netns) or paths, one per line on stdin, or as arguments;
# `--host NS` first names the host namespace (default: the one this process starts in).
# Output, one line per namespace in input order, with the fields of `ip -j -d` that
# src/observe/parse-ip.ts reads, spelled and formatted as ip prints them, and the id the
# namespace gives the host (what link_netnsid says of a link whose lower link is the host's):
#   {"ns": NS, "links": [...], "addrs": [...], "routes": [...], "host_nsid": N (when it has one)}
#   {"ns": NS, "error": "missing" | message}
import ctypes
import json
import os
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000

# Netlink and rtnetlink, from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>.
RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE, RTM_NEWNSID, RTM_GETNSID = 18, 22, 26, 88, 90
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP, NLM_F_DUMP_INTR = 0x1, 0x300, 0x10
NLA_TYPE_MASK = 0x3FFF  # drops NLA_F_NESTED / NLA_F_NET_BYTEORDER
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_OPERSTATE = 1, 3, 4, 5, 10, 16
IFLA_LINKINFO, IFLA_IFALIAS, IFLA_AF_SPEC, IFLA_EXT_MASK, IFLA_LINK_NETNSID = 18, 20, 26, 29, 37
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 4, 5
IFLA_MACVLAN_MODE = 1
MACVLAN_MODES = {1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"}  # ip's names
IFLA_BRPORT_MODE = 4  # hairpin
IFLA_INET6_ADDR_GEN_MODE = 8
RTEXT_FILTER_SKIP_STATS = 1 << 3  # the stats are most of a link message and we never read them
IF_OPER_LOWERLAYERDOWN = 7
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE = 1, 4, 5, 15
RT_TABLE_MAIN = 254
RTM_F_CLONED = 0x200
NETNSA_NSID, NETNSA_FD = 1, 3
IFF_RUNNING = 0x40
MSG_TRUNC = int(socket.MSG_TRUNC)  # a plain int: the enum's & is slow on the hot path

NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
NLATTR = struct.Struct("=HH")  # len, type
IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
IFADDRMSG = struct.Struct("=BBBBi")  # family, prefixlen, flags, scope, index
RTGENMSG = struct.Struct("=Bxxx")  # family, padded to the 4-byte alignment attributes start at
RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol, scope, type, flags
U32 = struct.Struct("=I")
I32 = struct.Struct("=i")

# ip's names, in the order ip prints the flags (iproute2 print_link_flags).
LINK_FLAGS = [
    ("LOOPBACK", 0x8), ("BROADCAST", 0x2), ("POINTOPOINT", 0x10), ("MULTICAST", 0x1000),
    ("NOARP", 0x80), ("ALLMULTI", 0x200), ("PROMISC", 0x100), ("MASTER", 0x400), ("SLAVE", 0x800),
    ("DEBUG", 0x4), ("DYNAMIC", 0x8000), ("AUTOMEDIA", 0x4000), ("PORTSEL", 0x2000),
    ("NOTRAILERS", 0x20), ("UP", 0x1), ("LOWER_UP", 0x10000), ("DORMANT", 0x20000), ("ECHO", 0x40000),
]
LINK_TYPES = {1: "ether", 768: "ipip", 769: "tunnel6", 772: "loopback", 776: "sit", 778: "gre", 65534: "none"}
ADDR_GEN_MODES = {0: "eui64", 1: "none", 2: "stable_secret", 3: "random"}
ROUTE_TYPES = ["none", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole",
               "unreachable", "prohibit", "throw", "nat", "xresolve"]
PROTOCOLS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra",
             10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp",
             18: "keepalived", 42: "babel", 99: "openr", 186: "bgp", 187: "isis", 188: "ospf",
             189: "rip", 192: "eigrp"}
SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}

# One receive buffer for the whole run: the kernel caps a dump datagram at 32 KiB unless one
# message needs more, so 1 MiB is never short (MSG_TRUNC is still checked).
BUF = bytearray(1 << 20)
_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def attrs(start, end):
    """Attribute type -> (payload start, payload end) for the attributes in BUF[start:end]."""
    out, unpack = {}, NLATTR.unpack_from
    while start + 4 <= end:
        length, kind = unpack(BUF, start)
        if length < 4 or start + length > end:
            break
        out[kind & NLA_TYPE_MASK] = (start + 4, start + length)
        start += (length + 3) & ~3  # attributes are 4-byte aligned
    return out


def string(span):
    return bytes(BUF[span[0]:span[1]]).split(b"\0", 1)[0].decode(errors="replace")


def u32(span):
    return U32.unpack_from(BUF, span[0])[0]


def ipv4(span):
    return socket.inet_ntoa(bytes(BUF[span[0]:span[0] + 4]))


def hw_address(span):
    # ip prints a tunnel's 4- or 16-byte address as an IP address; parse-ip.ts never reads those.
    return ":".join(f"{b:02x}" for b in BUF[span[0]:span[1]])


class Rtnl:
    """A NETLINK_ROUTE socket in the namespace the process is in when it is made."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)
        self.seq = 0

    def close(self):
        self.sock.close()

    def _send(self, msg_type, flags, request):
        self.seq += 1
        self.sock.send(NLMSGHDR.pack(NLMSGHDR.size + len(request), msg_type, NLM_F_REQUEST | flags, self.seq, 0) + request)

    def _replies(self):
        """(type, flags, body start, end) of each answer to the last request, NLMSG_DONE included.

        An error ends the answers. Each message is in BUF only until the next one is asked for.
        """
        while True:  # an answer spans many datagrams, each holding many messages
            size, _, flags, _ = self.sock.recvmsg_into([BUF])
            if flags & MSG_TRUNC:
                raise OSError("netlink datagram larger than the receive buffer")
            off = 0
            while off + NLMSGHDR.size <= size:
                length, kind, mflags, seq, _ = NLMSGHDR.unpack_from(BUF, off)
                if length < NLMSGHDR.size or off + length > size:
                    raise OSError(f"malformed netlink message (length {length})")
                body, end = off + NLMSGHDR.size, off + length
                off += (length + 3) & ~3
                if seq != self.seq:
                    continue
                if kind in (NLMSG_DONE, NLMSG_ERROR):
                    # Both carry an errno (negated); 0 in ERROR is an ack.
                    code = -I32.unpack_from(BUF, body)[0] if end - body >= 4 else 0
                    if code:
                        raise OSError(code, os.strerror(code))
                    if kind == NLMSG_ERROR:
                        continue
                yield kind, mflags, body, end

    def dump(self, msg_type, request, parse):
        """Sends one dump request; returns ([parse(start, end) of each answer not None], interrupted)."""
        self._send(msg_type, NLM_F_DUMP, request)
        items, interrupted = [], False
        for kind, flags, body, end in self._replies():
            # The kernel marks a dump that raced a change: it may be inconsistent.
            interrupted = interrupted or bool(flags & NLM_F_DUMP_INTR)
            if kind == NLMSG_DONE:
                return items, interrupted
            item = parse(body, end)
            if item is not None:
                items.append(item)

    def get(self, msg_type, request, parse):
        """Sends one request that is answered by one message; returns parse(start, end) of it."""
        self._send(msg_type, 0, request)
        _, _, body, end = next(self._replies())
        return parse(body, end)


def parse_linkinfo(info):
    out = {}
    if IFLA_INFO_KIND in info:
        out["info_kind"] = string(info[IFLA_INFO_KIND])
    if out.get("info_kind") == "macvlan" and IFLA_INFO_DATA in info:  # an endpoint's macvlan: its mode
        mode = attrs(*info[IFLA_INFO_DATA]).get(IFLA_MACVLAN_MODE)
        out["info_data"] = {"mode": MACVLAN_MODES.get(u32(mode), str(u32(mode)))} if mode else {}
    if IFLA_INFO_SLAVE_KIND in info:
        out["info_slave_kind"] = string(info[IFLA_INFO_SLAVE_KIND])
    if out.get("info_slave_kind") == "bridge" and IFLA_INFO_SLAVE_DATA in info:
        mode = attrs(*info[IFLA_INFO_SLAVE_DATA]).get(IFLA_BRPORT_MODE)
        out["info_slave_data"] = {"hairpin": bool(BUF[mode[0]])} if mode else {}
    return out


def parse_link(body, end):
    _, link_type, index, flags, _ = IFINFOMSG.unpack_from(BUF, body)
    a = attrs(body + IFINFOMSG.size, end)
    names = ["NO-CARRIER"] if flags & 0x1 and not flags & IFF_RUNNING else []
    rest = flags & ~IFF_RUNNING
    for name, bit in LINK_FLAGS:
        if rest & bit:
            names.append(name)
            rest &= ~bit
    if rest:
        names.append(f"{rest:x}")
    if IFLA_OPERSTATE in a and BUF[a[IFLA_OPERSTATE][0]] == IF_OPER_LOWERLAYERDOWN:
        names.append("M-DOWN")
    link = {"ifindex": index, "ifname": string(a[IFLA_IFNAME]), "flags": names}
    if IFLA_MTU in a:
        link["mtu"] = u32(a[IFLA_MTU])
    link["link_type"] = LINK_TYPES.get(link_type, f"[{link_type}]")
    if IFLA_ADDRESS in a:
        link["address"] = hw_address(a[IFLA_ADDRESS])
    if IFLA_MASTER in a:
        link["master"] = u32(a[IFLA_MASTER])  # an ifindex until the whole dump is in: see dump_namespace
    if IFLA_LINK in a:  # the lower link: a macvlan's parent, a veth's peer
        iflink = u32(a[IFLA_LINK])
        if not iflink:
            link["link"] = None
        elif IFLA_LINK_NETNSID in a:  # in another namespace, where names here mean nothing
            link["link_index"] = iflink
        else:
            link["link"] = iflink  # an ifindex, as master
    if IFLA_LINK_NETNSID in a:
        link["link_netnsid"] = I32.unpack_from(BUF, a[IFLA_LINK_NETNSID][0])[0]
    if IFLA_LINKINFO in a:
        link["linkinfo"] = parse_linkinfo(attrs(*a[IFLA_LINKINFO]))
    inet6 = attrs(*a[IFLA_AF_SPEC]).get(socket.AF_INET6) if IFLA_AF_SPEC in a else None
    mode = attrs(*inet6).get(IFLA_INET6_ADDR_GEN_MODE) if inet6 else None
    if mode:
        value = BUF[mode[0]]
        link["inet6_addr_gen_mode"] = ADDR_GEN_MODES.get(value, f"{value:#04x}")
    if IFLA_IFALIAS in a and string(a[IFLA_IFALIAS]):
        link["ifalias"] = string(a[IFLA_IFALIAS])
    return link


def parse_addr(body, end):
    family, prefixlen, _, _, index = IFADDRMSG.unpack_from(BUF, body)
    a = attrs(body + IFADDRMSG.size, end)
    local = a.get(IFA_LOCAL) or a.get(IFA_ADDRESS)
    if family != socket.AF_INET or not local:
        return None
    return index, {"family": "inet", "local": ipv4(local), "prefixlen": prefixlen}


def parse_route(body, end):
    family, dst_len, _, _, table, protocol, scope, kind, flags = RTMSG.unpack_from(BUF, body)
    a = attrs(body + RTMSG.size, end)
    table = u32(a[RTA_TABLE]) if RTA_TABLE in a else table  # rtm_table is only 8 bits
    if family != socket.AF_INET or table != RT_TABLE_MAIN or flags & RTM_F_CLONED:
        return None
    if RTA_DST in a:
        dst = ipv4(a[RTA_DST]) + ("" if dst_len == 32 else f"/{dst_len}")  # ip prints host routes bare
    else:
        dst = "default" if dst_len == 0 else f"0/{dst_len}"
    route = {"type": ROUTE_TYPES[kind] if kind < len(ROUTE_TYPES) else str(kind), "dst": dst}
    if RTA_GATEWAY in a:
        route["gateway"] = ipv4(a[RTA_GATEWAY])
    if RTA_OIF in a:
        route["dev"] = u32(a[RTA_OIF])  # an ifindex until the links are known: see dump_namespace
    route["protocol"] = PROTOCOLS.get(protocol, str(protocol))
    route["scope"] = SCOPES.get(scope, str(scope))
    return route


def parse_nsid(body, end):
    """The id of an RTM_NEWNSID answer; None for NETNSA_NSID_NOT_ASSIGNED (-1)."""
    nsid = attrs(body + RTGENMSG.size, end).get(NETNSA_NSID)
    value = I32.unpack_from(BUF, nsid[0])[0] if nsid else -1
    return value if value >= 0 else None


def dump_namespace(host_fd):
    """Dumps the namespace this process is in; returns (result, interrupted)."""
    rtnl = Rtnl()
    try:
        ext_mask = NLATTR.pack(8, IFLA_EXT_MASK) + U32.pack(RTEXT_FILTER_SKIP_STATS)
        links, i1 = rtnl.dump(RTM_GETLINK, IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + ext_mask, parse_link)
        addrs, i2 = rtnl.dump(RTM_GETADDR, IFADDRMSG.pack(socket.AF_INET, 0, 0, 0, 0), parse_addr)
        routes, i3 = rtnl.dump(RTM_GETROUTE, RTMSG.pack(socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0), parse_route)
        # After the link dump: reporting a link on the host's gives the host an id here if it had none.
        host_nsid = rtnl.get(RTM_GETNSID, RTGENMSG.pack(socket.AF_UNSPEC) + NLATTR.pack(8, NETNSA_FD) + U32.pack(host_fd), parse_nsid)
    finally:
        rtnl.close()
    # Like ip: indexes become names, "if<N>" for one not in the dump.
    name = {link["ifindex"]: link["ifname"] for link in links}
    for obj, key in [(link, "master") for link in links] + [(link, "link") for link in links] + [(route, "dev") for route in routes]:
        if obj.get(key) is not None:
            obj[key] = name.get(obj[key], f"if{obj[key]}")
    # `ip addr show` groups the addresses under their links, every link listed.
    by_link = {index: [] for index in name}
    for index, info in addrs:
        by_link.get(index, []).append(info)
    addr_json = [{"ifindex": i, "ifname": n, "addr_info": by_link[i]} for i, n in name.items()]
    result = {"links": links, "addrs": addr_json, "routes": routes}
    if host_nsid is not None:
        result["host_nsid"] = host_nsid
    return result, i1 or i2 or i3


def netns_path(ns):
    return ns if "/" in ns else f"/run/netns/{ns}"


def read(ns, host_fd):
    path = netns_path(ns)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return {"ns": ns, "error": "missing"}
    except OSError as e:
        return {"ns": ns, "error": f"cannot open {path}: {e.strerror}"}
    try:
        setns(fd)
        # A socket belongs to the namespace it was made in, so each namespace gets its own.
        result, interrupted = dump_namespace(host_fd)
        if interrupted:
            # Retry once, as the ip path does; a second race is kept, as ip would keep it.
            result, _ = dump_namespace(host_fd)
        return {"ns": ns, **result}
    except OSError as e:
        return {"ns": ns, "error": e.strerror or str(e)}
    finally:
        os.close(fd)


def main():
    args = sys.argv[1:]
    host = "/proc/self/ns/net"  # opened before any setns: the namespace this process starts in
    if args[:1] == ["--host"] and len(args) >= 2:
        host, args = netns_path(args[1]), args[2:]
    host_fd = os.open(host, os.O_RDONLY | os.O_CLOEXEC)
    names = args or [line.rstrip("\n") for line in sys.stdin]
    out = sys.stdout
    for ns in names:
        if ns:
            out.write(json.dumps(read(ns, host_fd), separators=(",", ":")) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
