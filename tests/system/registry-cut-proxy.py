#!/usr/bin/env python3
"""A TCP proxy in front of a registry that cuts one chunk upload short.

usage: registry-cut-proxy.py LISTEN_PORT UPSTREAM_PORT N KEEP LOG

Bytes pass through unchanged, except that the Nth PATCH request (counted
over all connections) gets only KEEP bytes of its body to the registry:
then both of its connections are closed, as a network failure or a proxy
that gives up would. Every PATCH's Content-Range goes to LOG, then "CUT"
when the cut happens.
"""
import re
import socket
import sys
import threading

listen_port, upstream_port, cut_at, keep, log_path = (
    int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
lock = threading.Lock()
patches = 0


def log(line):
    with lock, open(log_path, "a") as f:
        f.write(line + "\n")


def close(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def registry_to_client(up, client):
    try:
        while True:
            data = up.recv(65536)
            if not data:
                break
            client.sendall(data)
    except OSError:
        pass
    close(up, client)


def client_to_registry(client, up):
    global patches
    stream = bytearray()  # everything this connection sent (test blobs are small)
    scan = 0
    sent = 0
    limit = None
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            stream += data
            while True:
                i = stream.find(b"PATCH /v2/", scan)
                if i < 0:
                    scan = max(scan, len(stream) - 10)
                    break
                end = stream.find(b"\r\n\r\n", i)
                if end < 0:
                    scan = i
                    break
                head = stream[i:end].decode("latin-1")
                m = re.search(r"(?im)^content-range:\s*(\S+)", head)
                with lock:
                    patches += 1
                    n = patches
                log("PATCH " + (m.group(1) if m else "-"))
                if n == cut_at and limit is None:
                    limit = end + 4 + keep
                scan = end + 4
            upto = len(stream) if limit is None else min(len(stream), limit)
            if upto > sent:
                up.sendall(bytes(stream[sent:upto]))
                sent = upto
            if limit is not None and sent >= limit:
                log("CUT")
                break
    except OSError:
        pass
    close(client, up)


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(16)
    while True:
        client, _ = srv.accept()
        up = socket.create_connection(("127.0.0.1", upstream_port))
        threading.Thread(target=client_to_registry, args=(client, up), daemon=True).start()
        threading.Thread(target=registry_to_client, args=(up, client), daemon=True).start()


main()
