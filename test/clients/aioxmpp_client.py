#!/usr/bin/python3
"""An aioxmpp (Debian's python3-aioxmpp 0.13) client for the lab, driven by JSON lines (README.md).

Each user is an aioxmpp.PresenceManagedClient set available: aioxmpp looks up SRV with its own
resolver (dnspython, handed to aioxmpp.network.set_resolver and pointed at the lab's DNS
server), does STARTTLS verified against the lab CA (its PKIX verifier, with the CA added to the
OpenSSL context), enables XEP-0198 with resumption whenever the server offers it, announces
caps through EntityCapsService, and reconnects with its own logic (no app logic on top):
after a stream error it reconnects at once, after a socket error with back-off (from 1 s,
x1.2), and a <conflict/> is fatal (the client stops).
"""
import asyncio
import sys
import warnings

import aioxmpp
import aioxmpp.entitycaps
import aioxmpp.network
import aioxmpp.security_layer
import dns.resolver

from jsonlines import arguments, emit, peer_of, read_commands, stop_when_idle

warnings.simplefilter("ignore", DeprecationWarning)  # dnspython 2's Resolver.query, used by aioxmpp
args = arguments("aioxmpp", "http://aioxmpp.zombofant.net/")

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = ["127.0.0.1"]
resolver.port = args.dns_port
resolver.lifetime = 2.0
aioxmpp.network.set_resolver(resolver)

# The caps node is a class attribute of the service: set it before the service is summoned.
aioxmpp.EntityCapsService.NODE = args.caps_node


def lab_ssl_context():
    ctx = aioxmpp.security_layer.default_ssl_context()
    ctx.load_verify_locations(args.ca)
    return ctx


def condition_of(exc):
    """(condition, text, see-other-host) of what ended a stream, as far as aioxmpp tells."""
    if isinstance(exc, aioxmpp.errors.StreamError):
        condition = exc.condition.value[1] if isinstance(exc.condition.value, tuple) else str(exc.condition)
        text = exc.text or None
        other = text if condition == "see-other-host" else None
        return condition, text, other
    return None, (f"{type(exc).__name__}: {exc}" if exc else None), None


class User:
    def __init__(self, user):
        self.user = user
        self.stopping = False
        self.online = False
        jid = aioxmpp.JID.fromstr(f"{user}@{args.domain}/{args.resource}")
        security = aioxmpp.make_security_layer(args.password, ssl_context_factory=lab_ssl_context)
        self.client = aioxmpp.PresenceManagedClient(jid, security)
        self.client.summon(aioxmpp.EntityCapsService)
        self.client.summon(aioxmpp.DiscoServer)
        dispatcher = self.client.summon(aioxmpp.dispatcher.SimpleMessageDispatcher)
        dispatcher.register_callback(aioxmpp.MessageType.CHAT, None, self.on_message)
        dispatcher.register_callback(aioxmpp.MessageType.NORMAL, None, self.on_message)
        self.client.on_stream_established.connect(self.on_established)
        self.client.on_stream_resumed.connect(self.on_resumed)
        self.client.on_stream_suspended.connect(self.on_suspended)
        self.client.on_stream_destroyed.connect(self.on_destroyed)
        self.client.on_failure.connect(self.on_failure)
        self.client.on_stopped.connect(self.on_stopped)
        self.client.stream.on_failure.connect(self.on_stream_failure)
        self.watch_iq_answers()
        self.ended_by = None

    def where(self):
        xmlstream = getattr(self.client.stream, "_xmlstream", None)
        return peer_of(getattr(xmlstream, "transport", None))

    # aioxmpp answers an iq nobody handles by itself (service-unavailable); it does not say so.
    # Watch what goes out (the stream's queue) to report it.
    def watch_iq_answers(self):
        stream = self.client.stream
        enqueue = stream._enqueue

        def watching(stanza, **kwargs):
            if isinstance(stanza, aioxmpp.IQ) and stanza.type_ in (aioxmpp.IQType.RESULT, aioxmpp.IQType.ERROR):
                condition = None
                if stanza.type_ == aioxmpp.IQType.ERROR and stanza.error is not None:
                    cond = stanza.error.condition
                    condition = cond.value[1] if isinstance(getattr(cond, "value", None), tuple) else str(cond)
                emit("iq", user=self.user, **{"from": str(stanza.to)}, id=stanza.id_, type=None, namespace=None,
                     answer="result" if stanza.type_ == aioxmpp.IQType.RESULT else "error", condition=condition)
            return enqueue(stanza, **kwargs)
        stream._enqueue = watching

    def on_established(self):
        self.online = True
        host, port = self.where()
        emit("online", user=self.user, jid=str(self.client.local_jid), host=host, port=port,
             sm=self.client.stream.sm_enabled)
        return False

    def on_resumed(self):
        self.online = True
        host, port = self.where()
        emit("resumed", user=self.user, jid=str(self.client.local_jid), host=host, port=port)

    def on_stream_failure(self, exc):
        self.ended_by = exc

    def emit_disconnected(self, kind, reason):
        condition, text, other = condition_of(self.ended_by or reason)
        self.ended_by = None
        emit("disconnected", user=self.user, condition=condition, text=text, seeOtherHost=other, kind=kind,
             wasOnline=self.online, reconnect=not self.stopping and condition != "conflict")
        self.online = False

    def on_suspended(self, reason):
        self.emit_disconnected("suspended", reason)  # XEP-0198 kept: aioxmpp will try to resume

    def on_destroyed(self, reason=None):
        if self.online:
            self.emit_disconnected("destroyed", reason)

    def on_failure(self, exc):
        condition, text, _ = condition_of(exc)
        if self.online:
            self.emit_disconnected("failed", exc)
        emit("offline", user=self.user, reason=f"gave up after {condition or text}")

    def on_stopped(self):
        if self.stopping:
            emit("offline", user=self.user, reason="stopped")

    def on_message(self, message):
        body = message.body.any() if message.body else None
        if body:
            emit("message", user=self.user, **{"from": str(message.from_)}, id=message.id_, body=body)

    def start(self):
        self.client.presence = aioxmpp.PresenceState(available=True)

    def stop(self):
        self.stopping = True
        self.client.stop()


def main():
    loop = asyncio.get_event_loop()
    users = {name: User(name) for name in args.users}
    emit("ready", library="aioxmpp", version=aioxmpp.__version__, capsNode=args.caps_node)

    stopping = []

    def on_command(command):
        kind = command.get("cmd")
        if kind == "stop":
            if stopping:
                return
            stopping.append(True)
            for user in users.values():
                user.stop()

            async def all_stopped():
                while any(u.client.running for u in users.values()):
                    await asyncio.sleep(0.05)
            stop_when_idle(loop, all_stopped)
        elif kind == "send":
            user = users.get(command.get("user")) or next(iter(users.values()))
            if not command.get("to") or "body" not in command:
                emit("error", message='send needs "to" and "body"')
                return
            msg = aioxmpp.Message(type_=aioxmpp.MessageType.CHAT, to=aioxmpp.JID.fromstr(command["to"]))
            msg.body[None] = command["body"]
            user.client.enqueue(msg)
            emit("sent", user=user.user, to=command["to"], id=msg.id_)
        else:
            emit("error", message=f"unknown command {kind!r}")

    read_commands(loop, on_command)
    for user in users.values():
        user.start()
    loop.run_forever()


if __name__ == "__main__":
    sys.exit(main())
