"""A loopback TCP proxy that delays each direction's data by half a round trip: a modelled network.

    python bench/latency.py --rtt 50 --to 127.0.0.1:6443          # prints {"url": ...}, Ctrl-C stops it

or, from the benchmark, ``with DelayProxy("127.0.0.1", 6443, rtt=0.05) as proxy: proxy.port``.

Every chunk read from one side is written to the other ``rtt / 2`` seconds later (in order: a link
with that latency and no bandwidth limit), whatever it holds (TLS, HTTP/1.1, HTTP/2), so both the
client's requests and the server's answers take half a round trip each, as on a real network. A new
connection also pays the TCP handshake: the client's first bytes leave one round trip after it
connected (SYN, SYN-ACK), and arrive half a round trip later. Bytes are never changed. It listens on
127.0.0.1 and forwards to 127.0.0.1 only. Pure Python (asyncio, one thread), so each chunk also
costs a little CPU time here: ``--rtt 0`` measures that overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading

CHUNK = 256 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class DelayProxy:
    """Listens on 127.0.0.1 (``port``), forwards to ``host:port`` with ``rtt`` seconds of round trip.

    ``start()`` runs it in a daemon thread with its own event loop; ``stop()`` closes every
    connection. Counts connections and bytes (``stats()``)."""

    def __init__(self, host: str, port: int, rtt: float, listen: str = "127.0.0.1"):
        if host not in LOOPBACK and not host.startswith("127."):
            raise ValueError("the latency proxy forwards to loopback only")
        if listen not in LOOPBACK and not listen.startswith("127."):
            raise ValueError("the latency proxy listens on loopback only")
        self.target = (host, port)
        self.listen = listen
        self.rtt = max(0.0, float(rtt))
        self.port = 0
        self.connections = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set = set()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> DelayProxy:
        self._thread = threading.Thread(target=self._run, name=f"delay-proxy-{self.rtt}", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the latency proxy did not start")
        if self._error is not None:
            raise RuntimeError(f"the latency proxy did not start: {self._error}")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        except Exception:  # noqa: BLE001 - best effort: the thread is a daemon
            pass
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> DelayProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url_host(self) -> str:
        return f"{self.listen}:{self.port}"

    def stats(self) -> dict:
        return {"connections": self.connections, "bytes_up": self.bytes_up, "bytes_down": self.bytes_down}

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(asyncio.start_server(self._accept, self.listen, 0))
            self.port = self._server.sockets[0].getsockname()[1]
        except OSError as err:
            self._error = err
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- forwarding ------------------------------------------------------------------------------
    async def _accept(self, client_reader, client_writer) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        loop = asyncio.get_running_loop()
        accepted = loop.time()
        self.connections += 1
        try:
            try:
                server_reader, server_writer = await asyncio.open_connection(*self.target)
            except OSError:
                client_writer.close()
                return
            half = self.rtt / 2
            up = asyncio.ensure_future(
                self._pipe(client_reader, server_writer, half, accepted + self.rtt, "up")
            )
            down = asyncio.ensure_future(self._pipe(server_reader, client_writer, half, 0.0, "down"))
            try:
                await asyncio.gather(up, down)
            finally:
                up.cancel()
                down.cancel()
                for writer in (client_writer, server_writer):
                    writer.close()
        except asyncio.CancelledError:
            client_writer.close()
        finally:
            self._tasks.discard(task)

    async def _pipe(self, reader, writer, half: float, not_before: float, direction: str) -> None:
        """Copy reader to writer, each chunk ``half`` seconds after it was read (and not before
        ``not_before + half``); EOF travels the same way (a half-close)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    if writer.can_write_eof():
                        try:
                            writer.write_eof()
                        except OSError:
                            pass
                    return
                writer.write(data)
                try:
                    await writer.drain()
                except (ConnectionError, OSError):
                    return

        sender = asyncio.ensure_future(deliver())
        try:
            while True:
                try:
                    data = await reader.read(CHUNK)
                except (ConnectionError, OSError):
                    data = b""
                due = max(loop.time(), not_before) + half
                if not data:
                    queue.put_nowait((due, None))
                    break
                if direction == "up":
                    self.bytes_up += len(data)
                else:
                    self.bytes_down += len(data)
                queue.put_nowait((due, data))
            await sender
        finally:
            sender.cancel()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rtt", type=float, required=True, help="round trip in milliseconds")
    parser.add_argument("--to", required=True, help="HOST:PORT to forward to (loopback)")
    args = parser.parse_args(argv)
    host, _, port = args.to.rpartition(":")
    proxy = DelayProxy(host or "127.0.0.1", int(port), args.rtt / 1000.0).start()
    print(json.dumps({"listen": proxy.url_host, "to": args.to, "rtt_ms": args.rtt}), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
        print(json.dumps(proxy.stats()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
