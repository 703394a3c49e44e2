#!/usr/bin/python3
"""A real SMTP server for paperboy's mail tests (Debian python3-aiosmtpd; run with
/usr/bin/python3). Every accepted message is written to DIR/NNNNNN.eml, with its envelope in
DIR/NNNNNN.json, only after the 250 is decided, so a client killed before it saw the 250
leaves nothing behind (aiosmtpd cancels the session's handler when the connection drops).

Behaviours for fault tests:
  --delay S             wait S seconds before answering DATA
  --fail-first N        answer the first N DATA commands of each recipient with --fail-code
  --fail-code C         (default 451)
  --reject ADDR         answer RCPT TO:<ADDR> with 550 (repeatable)
  --auth USER:PASS      require AUTH PLAIN/LOGIN with these credentials
  --tls CERT KEY        offer STARTTLS and require it before MAIL

The port is written to --port-file once the server listens. Stops on SIGTERM.
"""

import argparse
import asyncio
import json
import os
import signal
import ssl

from aiosmtpd.smtp import AuthResult, SMTP


class Sink:
    def __init__(self, args):
        self.dir = args.dir
        self.delay = args.delay
        self.fail_first = args.fail_first
        self.fail_code = args.fail_code
        self.reject = {a.lower() for a in args.reject}
        self.failures = {}
        self.count = len([n for n in os.listdir(self.dir) if n.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        rcpt = ",".join(envelope.rcpt_tos).lower()
        seen = self.failures.get(rcpt, 0)
        if seen < self.fail_first:
            self.failures[rcpt] = seen + 1
            return f"{self.fail_code} 4.7.1 Try again later"
        self.count += 1
        base = os.path.join(self.dir, f"{self.count:06d}")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "auth": session.auth_data if session.authenticated else None,
                "tls": server._tls_protocol is not None}
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-code", type=int, default=451)
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--auth", default="")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    kwargs = {}
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode() == user and auth_data.password.decode() == password)
            return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=bool(args.tls))
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        kwargs.update(tls_context=ctx, require_starttls=True)

    asyncio.run(serve(Sink(args), args.port_file, kwargs))


async def serve(handler, port_file, kwargs):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **kwargs), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.rename(tmp, port_file)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    main()
