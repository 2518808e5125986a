#!/usr/bin/env python3
"""A latency emulator for the transfer benchmarks (kernel netem is not
available on the machines we measure on).

    latency_proxy.py LISTEN_PORT SERVER_PORT RTT_MS

Listens on 127.0.0.1:LISTEN_PORT and relays every connection to
127.0.0.1:SERVER_PORT, holding each chunk of bytes for RTT_MS / 2 in each
direction (so a command and its reply take RTT_MS), without serialising
the delays: bytes in flight keep flowing, as on a long link. Passive-mode
replies (227 and 229) are rewritten to point at a one-shot listener of the
proxy's own, so data connections cross the same delay. Active mode (PORT,
EPRT) is not supported: the benchmarks use passive mode. Loopback only.
"""

import asyncio
import re
import sys

PASV = re.compile(rb"^227 .*?\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")
EPSV = re.compile(rb"^229 .*?\(\|\|\|(\d+)\|\)")
CHUNK = 256 * 1024


async def delayed_pipe(reader, writer, delay, rewrite=None):
    """Copies reader to writer, each chunk `delay` seconds after it was
    read; `rewrite` (async, line by line) edits what the server says."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read():
        try:
            while True:
                data = await reader.read(CHUNK)
                queue.put_nowait((loop.time() + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            queue.put_nowait((loop.time() + delay, b""))

    async def write():
        pending = b""
        try:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if pending:
                        writer.write(pending)
                    writer.write_eof()
                    await writer.drain()
                    return
                if rewrite is not None:
                    pending += data
                    *lines, pending = pending.split(b"\n")
                    out = [await rewrite(line + b"\n") for line in lines]
                    data = b"".join(out)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    await asyncio.gather(read(), write())


async def relay(client_reader, client_writer, port, delay, control):
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        client_writer.close()
        return

    async def rewrite(line):
        match = PASV.match(line)
        if match:
            data_port = int(match.group(5)) * 256 + int(match.group(6))
            ours = await data_listener(data_port, delay)
            return b"227 Entering Passive Mode (127,0,0,1,%d,%d).\r\n" % (ours // 256, ours % 256)
        match = EPSV.match(line)
        if match:
            ours = await data_listener(int(match.group(1)), delay)
            return b"229 Entering Extended Passive Mode (|||%d|)\r\n" % ours
        return line

    await asyncio.gather(
        delayed_pipe(client_reader, server_writer, delay),
        delayed_pipe(server_reader, client_writer, delay, rewrite if control else None),
    )


async def data_listener(server_port, delay):
    """A listener for one data connection, relayed to `server_port`."""
    done = asyncio.get_running_loop().create_future()

    async def accept(reader, writer):
        if done.done():
            writer.close()
            return
        done.set_result(None)
        server.close()
        await relay(reader, writer, server_port, delay, control=False)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    # A client that never connects must not leave it open for ever.
    asyncio.get_running_loop().call_later(60, server.close)
    return server.sockets[0].getsockname()[1]


async def main():
    listen_port, server_port, rtt_ms = (int(a) for a in sys.argv[1:4])
    delay = rtt_ms / 2000.0

    async def accept(reader, writer):
        await relay(reader, writer, server_port, delay, control=True)

    server = await asyncio.start_server(accept, "127.0.0.1", listen_port)
    print(f"latency proxy: 127.0.0.1:{listen_port} -> {server_port}, {rtt_ms} ms", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main())
