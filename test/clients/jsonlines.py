"""The harnesses' line protocol, Python side (test/clients/README.md): events out, commands in.

Each event is one JSON object on stdout: {"event": ..., "t": <ms since the epoch>, ...}.
Each command is one JSON object on stdin: {"cmd": "send", "user", "to", "body"} or
{"cmd": "stop"}. End of input means stop.
"""
import argparse
import asyncio
import json
import os
import sys
import time


def emit(event, **fields):
    fields = {"event": event, "t": int(time.time() * 1000), **fields}
    sys.stdout.write(json.dumps(fields, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def arguments(library, default_caps_node):
    """The options every harness takes; the password comes from XMPP_PASSWORD, never argv."""
    parser = argparse.ArgumentParser(description=f"{library} client for the xtransfer lab (JSON lines)")
    parser.add_argument("--domain", required=True)
    parser.add_argument("--dns-port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--users", required=True, help="comma-separated local parts")
    parser.add_argument("--resource", default=library)
    parser.add_argument("--caps-node", default=default_caps_node)
    parser.add_argument("--reconnect-delay", type=int, default=1000, help="ms")
    args = parser.parse_args()
    args.password = os.environ.get("XMPP_PASSWORD")
    if not args.password:
        parser.error("the password goes in XMPP_PASSWORD")
    args.users = [u for u in args.users.split(",") if u]
    return args


def read_commands(loop, on_command):
    """Calls on_command(dict) for each line of stdin; on_command({"cmd": "stop"}) at EOF."""
    buffer = b""

    def readable():
        nonlocal buffer
        chunk = os.read(sys.stdin.fileno(), 65536)
        if not chunk:
            loop.remove_reader(sys.stdin.fileno())
            on_command({"cmd": "stop"})
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                command = json.loads(line)
            except ValueError:
                emit("error", message="a command must be one JSON object per line")
                continue
            on_command(command)

    loop.add_reader(sys.stdin.fileno(), readable)


def peer_of(transport):
    try:
        peer = transport.get_extra_info("peername") if transport else None
    except Exception:  # a closing transport
        peer = None
    return (peer[0], peer[1]) if peer else (None, None)


def stop_when_idle(loop, done, timeout_s=3.0):
    async def wait():
        try:
            await asyncio.wait_for(done(), timeout_s)
        except asyncio.TimeoutError:
            pass
        emit("stopped")
        loop.stop()
    return asyncio.ensure_future(wait())
