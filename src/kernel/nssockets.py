#!/usr/bin/env python3
# Opens sockets inside other network namespaces for the Node process that started it, and hands
# them over. Node cannot setns(2) and a Node child per namespace costs ~60 ms; here a namespace
# costs one setns there and back, two socket()s and two sends (measured: 0.3-0.9 ms), so the DNS
# service can listen at 127.0.0.11:53 inside a thousand endpoints from one process.
#
# It talks Node's child-process IPC protocol on the channel Node opened for it (NODE_CHANNEL_FD,
# serialization "json"): one JSON object per line; a line carrying a socket is Node's own
#   {"cmd": "NODE_HANDLE", "type": "dgram.Socket" | "net.Server" | "net.Native", "msg": {...}}
# with the descriptor attached (SCM_RIGHTS), after which Node answers NODE_HANDLE_ACK (or _NACK:
# sent again). One handle at a time, as Node itself sends them: Node delivers one per read.
# Node receives each as process.on('message', (msg, handle)).
#
# Requests (from Node, one per line):            replies, in order:
#   {"id": N, "op": "listen", "netns": NS}       udp + tcp handles (127.0.0.11:53), then done
#   {"id": N, "op": "udp" | "tcp", "netns": NS}  one unbound-port socket for forwarding, then done
#   done:  {"id": N, "done": true, "ino": namespace inode}
#   error: {"id": N, "error": message, "missing": true when the namespace does not exist}
# NS is a name under /run/netns or a path. The process ends when Node closes the channel.
import array
import ctypes
import errno
import json
import os
import socket
import sys

CLONE_NEWNET = 0x40000000
IP_FREEBIND = 15  # <linux/in.h>; bind 127.0.0.11 even while the namespace's lo is still down
RESOLVER = ("127.0.0.11", 53)

libc = ctypes.CDLL(None, use_errno=True)
channel = socket.socket(fileno=int(os.environ["NODE_CHANNEL_FD"]))
home = os.open("/proc/self/ns/net", os.O_RDONLY)
buffered = b""
queued = []


def read_message():
    global buffered
    while b"\n" not in buffered:
        data = channel.recv(65536)
        if not data:
            sys.exit(0)
        buffered += data
    line, buffered = buffered.split(b"\n", 1)
    return json.loads(line)


def send(message, fd=None, kind=None):
    if fd is None:
        channel.sendall((json.dumps(message) + "\n").encode())
        return
    wrapped = {"cmd": "NODE_HANDLE", "type": kind, "msg": message}
    if kind == "dgram.Socket":
        wrapped["dgramType"] = "udp4"
    for _ in range(3):
        line = (json.dumps(wrapped) + "\n").encode()
        channel.sendmsg([line], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
        while True:
            reply = read_message()
            if reply.get("cmd") == "NODE_HANDLE_ACK":
                return
            if reply.get("cmd") == "NODE_HANDLE_NACK":
                break
            queued.append(reply)
    raise OSError(errno.EPROTO, "Node did not accept the socket three times")


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def path_of(netns):
    return netns if "/" in netns else "/run/netns/" + netns


def make(op):
    if op == "listen":
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            udp.bind(RESOLVER)
            tcp.bind(RESOLVER)
            tcp.listen(128)
        except OSError:
            udp.close()
            tcp.close()
            raise
        return [("udp", udp, "dgram.Socket"), ("tcp", tcp, "net.Server")]
    if op == "udp":
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("0.0.0.0", 0))
        return [("udp", udp, "dgram.Socket")]
    if op == "tcp":
        return [("tcp", socket.socket(socket.AF_INET, socket.SOCK_STREAM), "net.Native")]
    raise ValueError("unknown op " + repr(op))


def serve(request):
    rid = request.get("id")
    netns = request.get("netns", "")
    try:
        fd = os.open(path_of(netns), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        send({"id": rid, "error": "network namespace " + netns + " does not exist", "missing": True})
        return
    try:
        ino = os.fstat(fd).st_ino
        setns(fd)
        try:
            sockets = make(request.get("op"))
        finally:
            # Back home whatever happened: every later socket must not land in this namespace.
            setns(home)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            message = "127.0.0.11:53 is already taken in network namespace " + netns
        else:
            message = "network namespace " + netns + ": " + (e.strerror or str(e))
        send({"id": rid, "error": message})
        return
    except ValueError as e:
        send({"id": rid, "error": str(e)})
        return
    finally:
        os.close(fd)
    try:
        for part, sock, kind in sockets:
            send({"id": rid, "part": part}, sock.fileno(), kind)
    finally:
        for _, sock, _ in sockets:
            sock.close()
    send({"id": rid, "done": True, "ino": ino})


while True:
    serve(queued.pop(0) if queued else read_message())
