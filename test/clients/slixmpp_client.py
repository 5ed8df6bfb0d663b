#!/usr/bin/python3
"""A slixmpp (Debian's python3-slixmpp) client for the lab, driven by JSON lines (README.md).

Each user finds the cluster through DNS SRV with slixmpp's own resolver (aiodns, pointed at the
lab's DNS server), STARTTLS verified against the lab CA, XEP-0198 with resumption (slixmpp's
xep_0198 plugin, as poezio loads it), caps (xep_0115) with this library's node.
slixmpp does not reconnect after the server ends a stream: apps do. This one does what poezio
does on top of it: reconnect after every disconnect it did not ask for, except after
<conflict/> ("another client of yours took over": poezio stays offline), after
--reconnect-delay ms.
"""
import asyncio
import sys
from pathlib import Path

import aiodns
import slixmpp
from slixmpp.xmlstream import xmlstream as slix_xmlstream

from jsonlines import arguments, emit, peer_of, read_commands, stop_when_idle

args = arguments("slixmpp", "https://slixmpp.readthedocs.io")


# slixmpp builds a fresh aiodns resolver per lookup through this module-level function:
# the same one, asking the lab's DNS server (a deployed client asks the system's).
def lab_resolver(loop):
    return aiodns.DNSResolver(loop=loop, tries=1, timeout=1.0, nameservers=["127.0.0.1"],
                              udp_port=args.dns_port, tcp_port=args.dns_port)


slix_xmlstream.default_resolver = lab_resolver

IQ_ANSWER_WAIT_S = 3.0


class Client(slixmpp.ClientXMPP):
    def __init__(self, user):
        super().__init__(f"{user}@{args.domain}/{args.resource}", args.password)
        self.user = user
        self.ca_certs = Path(args.ca)
        self.stopping = False
        self.online = False
        self.last_error = None
        self.pending_iqs = {}
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0115", {"caps_node": args.caps_node})
        self.register_plugin("xep_0198", {"allow_resume": True})
        self.register_plugin("xep_0199")
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("session_resumed", self.on_resumed)
        self.add_event_handler("stream_error", self.on_stream_error)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        self.add_event_handler("message", self.on_message)
        self.add_filter("in", self.watch_iq_in)
        self.add_filter("out", self.watch_iq_out)

    def where(self):
        return peer_of(self.transport)

    async def on_session_start(self, _event):
        self.online = True
        host, port = self.where()
        # Initial presence with XEP-0115 caps: slixmpp's caps filter adds <c node=... ver=.../> only
        # to a presence that names its sender, once the verification string is computed.
        await self["xep_0115"].update_caps(self.boundjid, broadcast=False)
        self.send_presence(pfrom=self.boundjid)
        emit("online", user=self.user, jid=str(self.boundjid), host=host, port=port)

    def on_resumed(self, _event):
        self.online = True
        host, port = self.where()
        emit("resumed", user=self.user, jid=str(self.boundjid), host=host, port=port)

    def on_stream_error(self, error):
        self.last_error = {
            "condition": error["condition"] or None,
            "text": error["text"] or None,
            "seeOtherHost": error["see_other_host"] or None,
        }

    def on_disconnected(self, reason):
        error = self.last_error or {"condition": None, "text": None, "seeOtherHost": None}
        self.last_error = None
        # poezio: a conflict means another client of the user took over: stay offline.
        again = not self.stopping and error["condition"] != "conflict"
        emit("disconnected", user=self.user, **error, reason=str(reason) if reason else None,
             wasOnline=self.online, reconnect=again, delayMs=args.reconnect_delay if again else 0)
        self.online = False
        if again:
            self.loop.call_later(args.reconnect_delay / 1000, self.reconnect_now)
        else:
            emit("offline", user=self.user, reason="stopped" if self.stopping else f"gave up after {error['condition']}")

    def reconnect_now(self):
        if not self.stopping:
            self.connect()

    def on_connection_failed(self, error):
        # slixmpp retries by itself (its own back-off, up to 300 s); say so.
        emit("connect-failed", user=self.user, message=str(error))

    def on_message(self, msg):
        if msg["type"] in ("chat", "normal") and msg["body"]:
            emit("message", user=self.user, **{"from": str(msg["from"])}, id=msg["id"] or None, body=msg["body"])

    # What the app (slixmpp) answers to an iq: seen on the way in, matched on the way out.
    def watch_iq_in(self, stanza):
        if isinstance(stanza, slixmpp.Iq) and stanza["type"] in ("get", "set"):
            child = next(iter(stanza.xml), None)
            namespace = child.tag.split("}")[0][1:] if child is not None and child.tag.startswith("{") else None
            key = stanza["id"]
            self.pending_iqs[key] = {"from": str(stanza["from"]), "id": key, "type": stanza["type"], "namespace": namespace}
            self.loop.call_later(IQ_ANSWER_WAIT_S, self.unanswered, key)
        return stanza

    def watch_iq_out(self, stanza):
        if isinstance(stanza, slixmpp.Iq) and stanza["type"] in ("result", "error") and stanza["id"] in self.pending_iqs:
            seen = self.pending_iqs.pop(stanza["id"])
            condition = stanza["error"]["condition"] if stanza["type"] == "error" else None
            emit("iq", user=self.user, **seen, answer=stanza["type"], condition=condition or None)
        return stanza

    def unanswered(self, key):
        seen = self.pending_iqs.pop(key, None)
        if seen:
            emit("iq", user=self.user, **seen, answer=None, condition=None)


def main():
    loop = asyncio.get_event_loop()
    clients = {user: Client(user) for user in args.users}
    emit("ready", library="slixmpp", version=slixmpp.__version__, capsNode=args.caps_node)

    stopping = []

    def on_command(command):
        kind = command.get("cmd")
        if kind == "stop":
            if stopping:
                return
            stopping.append(True)
            for client in clients.values():
                client.stopping = True
                client.disconnect(wait=1.0)

            async def all_down():
                while any(c.transport for c in clients.values()):
                    await asyncio.sleep(0.05)
            stop_when_idle(loop, all_down)
        elif kind == "send":
            client = clients.get(command.get("user")) or next(iter(clients.values()))
            if not command.get("to") or "body" not in command:
                emit("error", message='send needs "to" and "body"')
                return
            msg = client.make_message(mto=command["to"], mbody=command["body"], mtype="chat")
            msg.send()
            emit("sent", user=client.user, to=command["to"], id=msg["id"])
        else:
            emit("error", message=f"unknown command {kind!r}")

    read_commands(loop, on_command)
    for client in clients.values():
        client.connect()  # no host: SRV for the JID's domain
    loop.run_forever()


if __name__ == "__main__":
    sys.exit(main())
