#!/usr/bin/python3
"""The gevent anchor of bench/echo/run.sh: gevent's StreamServer echo server, one OS thread.

    /usr/bin/python3 -P bench/compare/gevent_echo.py PORT

Prints "ready" once listening; serves until killed. The handler is the one of the green
server (bench/echo/green_echo.cpp): recv, sendall, until EOF."""
import socket
import sys

from gevent.server import StreamServer


def handle(conn, _address):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = conn.recv(16384)
            if not data:
                return
            conn.sendall(data)
    except OSError:
        pass


def main():
    port = int(sys.argv[1])
    server = StreamServer(("127.0.0.1", port), handle, backlog=1024)
    server.start()
    print("ready (gevent StreamServer)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
