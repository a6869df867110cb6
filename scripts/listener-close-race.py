#!/usr/bin/env python3
# The reset a rollout can still cause with net.ipv4.tcp_migrate_req on, shown with the kernel alone (no Bun,
# no agent): listener B stays; listener A shares the port (SO_REUSEPORT, TCP_DEFER_ACCEPT as Bun.serve sets
# it), serves for 2 ms, stops accepting and is closed, again and again, while client threads open a fresh
# connection per request. Connections queued on A when it closes move to B; one whose packet the kernel is
# handling on the other CPU at the instant A closes is reset instead. Pinned to one CPU (--one-cpu) none is.
#
# Needs a network namespace where tcp_migrate_req is on, e.g.
#   unshare -n sh -c 'ip link set lo up; sysctl -qw net.ipv4.tcp_migrate_req=1; python3 scripts/listener-close-race.py'
# Prints one JSON line: listener closes, answered requests, resets. Not a test: how often the race hits depends
# on the machine (measured figures are in the README's rollout paragraph).
import json
import os
import select
import socket
import sys
import threading
import time

HOST = '127.0.0.1'
PORT = 8090
SECONDS = 8.0
CLIENTS = 4
A_SERVES_S = 0.002


def listener() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 1)
    s.bind((HOST, PORT))
    s.listen(512)
    return s


def answer(conn: socket.socket) -> None:
    try:
        conn.settimeout(5)
        if conn.recv(100):
            conn.sendall(b'ok')
    except OSError:
        pass
    finally:
        conn.close()


def accept_until(sock: socket.socket, done: list) -> None:
    """Accepts and answers until done[0]; then accepts no more (what a stopping server does before close)."""
    while not done[0]:
        ready, _, _ = select.select([sock], [], [], 0.001)
        if ready:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            answer(conn)


def main() -> None:
    if '--one-cpu' in sys.argv:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with open('/proc/sys/net/ipv4/tcp_migrate_req') as f:
        if f.read().strip() != '1':
            sys.exit('tcp_migrate_req is off here: every queued connection would be reset, not only the race')
    b = listener()
    threading.Thread(target=accept_until, args=(b, [False]), daemon=True).start()
    counts = {'answered': 0, 'reset': 0, 'other': 0}
    lock = threading.Lock()
    stopping = [False]

    def client() -> None:
        while not stopping[0]:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.settimeout(5)
                s.connect((HOST, PORT))
                s.sendall(b'GET')
                key = 'answered' if s.recv(10) == b'ok' else 'other'
            except ConnectionResetError:
                key = 'reset'
            except OSError:
                key = 'other'
            finally:
                s.close()
            with lock:
                counts[key] += 1

    clients = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for t in clients:
        t.start()
    closes = 0
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        a = listener()
        done = [False]
        serving = threading.Thread(target=accept_until, args=(a, done), daemon=True)
        serving.start()
        time.sleep(A_SERVES_S)
        done[0] = True
        serving.join()
        a.close()
        closes += 1
    stopping[0] = True
    for t in clients:
        t.join()
    print(json.dumps({'cpus': len(os.sched_getaffinity(0)), 'listenerCloses': closes, **counts}))


main()
