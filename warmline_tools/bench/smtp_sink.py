"""A local SMTP server that accepts every message and keeps nothing but a line per message:
what a benchmark's worker sends its e-mails to (a real SMTP conversation over a socket, as
with a mail relay, but nothing leaves the machine).

    python -m warmline_tools.bench.smtp_sink PORT LOG

listens on 127.0.0.1:PORT and appends "<recipients>\t<Message-ID>" to LOG for each message.
Plain asyncio, no dependency: it speaks just enough SMTP for Django's SMTP backend (EHLO or
HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TextIO


class SmtpSink:
    def __init__(self, log: TextIO) -> None:
        self.log = log
        self.count = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        reply("220 warmline-bench-sink ESMTP")
        recipients: list[str] = []
        message_id = ""
        in_data = False
        try:
            while line := await reader.readline():
                if in_data:
                    if line in (b".\r\n", b".\n"):
                        in_data = False
                        self.count += 1
                        self.log.write(f"{','.join(recipients)}\t{message_id}\n")
                        self.log.flush()
                        recipients, message_id = [], ""
                        reply("250 2.0.0 Accepted")
                    elif not message_id and line[:11].lower() == b"message-id:":
                        message_id = line[11:].decode(errors="replace").strip()
                    continue
                command = line[:4].upper()
                if command == b"EHLO" or command == b"HELO":
                    reply("250 warmline-bench-sink")
                elif command == b"MAIL" or command == b"RSET":
                    recipients, message_id = [], ""
                    reply("250 2.1.0 OK")
                elif command == b"RCPT":
                    address = line.decode(errors="replace").partition(":")[2].strip()
                    recipients.append(address.split(">")[0].lstrip("<"))
                    reply("250 2.1.5 OK")
                elif command == b"DATA":
                    in_data = True
                    reply("354 End data with <CR><LF>.<CR><LF>")
                elif command == b"NOOP":
                    reply("250 2.0.0 OK")
                elif command == b"QUIT":
                    reply("221 2.0.0 Bye")
                    await writer.drain()
                    break
                else:
                    reply("502 5.5.2 Command not implemented")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


async def serve(port: int, log_path: Path) -> None:
    with log_path.open("a", encoding="utf-8") as log:
        sink = SmtpSink(log)
        server = await asyncio.start_server(sink.handle, "127.0.0.1", port, backlog=1024)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        print(f"listening on 127.0.0.1:{port}", flush=True)
        async with server:
            await stop.wait()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python -m warmline_tools.bench.smtp_sink PORT LOG", file=sys.stderr)
        sys.exit(2)
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2])))
