#!/usr/bin/python3 -P
"""Python anchors for the async echo benchmark (bench/aio_echo/run.sh, docs/bench/aio.md).

  /usr/bin/python3 -P bench/compare/aio_echo.py PORT [asyncio|uvloop]

An asyncio streams echo server on one thread: start_server, then per connection
`data = await reader.read(65536)`, `writer.write(data)`, `await writer.drain()` until EOF — the
same calls bench/aio_echo/aio_echo.cpp makes with triad::aio. Prints "ready" once listening and
runs until killed. (-P: bench/compare/ holds threading.py and queue.py, which must not shadow
the standard modules.)
"""
import asyncio
import sys


async def echo_conn(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def serve(port):
    srv = await asyncio.start_server(echo_conn, "127.0.0.1", port, backlog=1024)
    loop = asyncio.get_running_loop()
    print(f"ready (Python {sys.version.split()[0]} asyncio streams, {type(loop).__module__}.{type(loop).__name__})",
          flush=True)
    async with srv:
        await srv.serve_forever()


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    port = int(sys.argv[1])
    kind = sys.argv[2] if len(sys.argv) > 2 else "asyncio"
    if kind == "uvloop":
        import uvloop
        uvloop.install()
    elif kind != "asyncio":
        print(f"unknown loop {kind!r} (asyncio | uvloop)", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(serve(port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
