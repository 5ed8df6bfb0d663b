-- mod_xtransfer: the server side of xtransfer for Prosody 0.12 (and 13, whose APIs used here are
-- the same). XEP-0050 ad-hoc commands for the host's admins that do what only the server can:
-- list this instance's c2s sessions, end one with a proper <see-other-host/> or a chosen stream
-- error, and cordon the instance (stop taking new client connections, or redirect them).
-- Every decision (who moves where, when, which way) stays in xtransfer.
--
-- Install: copy this file into a folder listed in `plugin_paths` (or add its folder there), add
-- "xtransfer" to `modules_enabled`, and make the JID that xtransfer logs in with one of `admins`.
-- Optional `xtransfer_admin_ports = { 5299 }` (and `xtransfer_admin_interfaces`): a c2s port that
-- no cordon closes or redirects and on which only admins may bind, so that xtransfer can still
-- log in to a cordoned instance (to uncordon it, or to see its state).
-- Commands (node names are a contract with xtransfer's TypeScript side; see docs/servers.md):
--   urn:xtransfer:companion:1#status            version, cordon mode and redirect
--   urn:xtransfer:companion:1#list-sessions     one JSON line per session (field "sessions")
--   urn:xtransfer:companion:1#redirect-session  accountjid, host -> <see-other-host>host</see-other-host>
--   urn:xtransfer:companion:1#close-session     accountjid, condition, text -> <stream:error>
--   urn:xtransfer:companion:1#cordon            mode = refuse | redirect (+ redirect-to)
--   urn:xtransfer:companion:1#uncordon
-- A success is a completed command with an info note and a result form. A failure is a
-- completed command with an error note and a result form whose field "error" holds a
-- condition (bad-request, item-not-found, internal-server-error): not an iq error, because an
-- iq error to a filled first `execute` reads as "ask me in two stages" to XEP-0050 callers.

local st = require "util.stanza";
local jid_util = require "util.jid";
local json = require "util.json";
local new_ip = require "util.ip".new_ip;
local dataforms_new = require "util.dataforms".new;
local adhoc_simple = require "util.adhoc".new_simple_form;
local portmanager = require "core.portmanager";
local usermanager = require "core.usermanager";
local timer = require "util.timer";
local gettime = require "socket".gettime; -- the clock sessionmanager stamps session.conntime with

-- Shared: the listeners and the cordon are the process's; module.add_host gives each host its
-- commands and hooks.
module:set_global();

local COMPANION_VERSION = 1;
local NS = "urn:xtransfer:companion:1";
local xmlns_streams = "urn:ietf:params:xml:ns:xmpp-streams";
local xmlns_caps = "http://jabber.org/protocol/caps";

-- The listeners mod_c2s provides: a cordon closes them all (BOSH and WebSocket are not covered).
local C2S_SERVICES = { "c2s", "c2s_direct_tls", "legacy_ssl" };

-- RFC 6120 §4.9.3. see-other-host is left out: it needs a host (redirect-session sends it).
local CLOSE_CONDITIONS = {
	"bad-format", "bad-namespace-prefix", "conflict", "connection-timeout", "host-gone",
	"host-unknown", "improper-addressing", "internal-server-error", "invalid-from",
	"invalid-namespace", "invalid-xml", "not-authorized", "not-well-formed", "policy-violation",
	"remote-connection-failed", "reset", "resource-constraint", "restricted-xml",
	"system-shutdown", "undefined-condition", "unsupported-encoding", "unsupported-feature",
	"unsupported-stanza-type", "unsupported-version",
};
local is_close_condition = {};
for _, condition in ipairs(CLOSE_CONDITIONS) do is_close_condition[condition] = true; end

-- One cordon per process, whichever host's admin asked; kept across a module reload.
local cordon = module:shared("cordon");

-- Stricter than RFC 6120 needs: a DNS name of letters, digits and hyphens, an IPv4 address, or
-- an IPv6 address in brackets, each with an optional port. Anything else would be sent to
-- clients that parse it as a URL (an empty one crashes @xmpp/client 0.14: docs/servers.md).
local function check_port(text)
	local n = text:match("^%d+$") and tonumber(text);
	if not n or n < 1 or n > 65535 then return nil, "port must be 1-65535, got '"..text.."'"; end
	return true;
end

local function check_dns_name(name)
	if #name > 253 then return nil, "host name longer than 253 characters"; end
	if name:match("^[%d.]+$") then
		if not new_ip(name, "IPv4") then return nil, "not an IPv4 address: "..name; end
		return true;
	end
	for label in (name.."."):gmatch("([^.]*)%.") do
		if #label == 0 or #label > 63 or label:match("[^%w%-]") or label:match("^%-") or label:match("%-$") then
			return nil, "not a host name: '"..name.."'";
		end
	end
	return true;
end

local function check_host(value)
	if type(value) ~= "string" or value == "" then return nil, "no host given"; end
	local inside, rest = value:match("^%[([^%]]*)%](.*)$");
	if inside then
		if not new_ip(inside, "IPv6") then return nil, "not an IPv6 address in brackets: '"..inside.."'"; end
		if rest == "" then return value; end
		local port = rest:match("^:(.*)$");
		if not port then return nil, "expected :port after ]"; end
		local ok, err = check_port(port);
		if not ok then return nil, err; end
		return value;
	end
	if value:sub(1, 1) == "[" then return nil, "missing ] after the IPv6 address"; end
	local name, port = value:match("^([^:]*):([^:]*)$");
	if not name then
		if value:find(":", 1, true) then return nil, "an IPv6 address needs brackets: [address]:port"; end
		name = value;
	else
		local ok, err = check_port(port);
		if not ok then return nil, err; end
	end
	local ok, err = check_dns_name(name);
	if not ok then return nil, err; end
	return value;
end

local function stream_error(condition, content, text)
	local err = st.stanza("stream:error"):tag(condition, { xmlns = xmlns_streams });
	if content then err:text(content); end
	err:up();
	if text and text ~= "" then err:tag("text", { xmlns = xmlns_streams }):text(text):up(); end
	return err;
end

--- Answers

local error_layout = dataforms_new {
	{ name = "FORM_TYPE", type = "hidden", value = NS };
	{ name = "error", type = "text-single", label = "Condition" };
};

local function failure(condition, message)
	return { status = "completed", error = { message = message }, result = { layout = error_layout, values = { error = condition } } };
end

local function form_failure(errors)
	local lines = {};
	for name, err in pairs(errors) do lines[#lines + 1] = name..": "..err; end
	table.sort(lines);
	return failure("bad-request", table.concat(lines, "\n"));
end

local function done(info, layout, values)
	return { status = "completed", info = info, result = { layout = layout, values = values } };
end

-- A command without input: the form of a filled first `execute`, if any, is ignored.
local function without_form(handler)
	return function(_, data)
		if data.action == "cancel" then return { status = "canceled" }; end
		return handler(data);
	end
end

--- Sessions

-- The host a command was sent to (mod_adhoc answers commands addressed to the host).
local function host_of(data)
	return jid_util.prep(data.to);
end

-- The session a full JID names on this host, or a failure answer.
local function find_session(host, accountjid)
	local node, _, resource = jid_util.split(accountjid);
	if not (node and resource) then
		return nil, failure("bad-request", "a full JID (user@host/resource) is needed, got '"..tostring(accountjid).."'");
	end
	if jid_util.host(accountjid) ~= host then
		return nil, failure("bad-request", accountjid.." is not on "..host);
	end
	local session = prosody.full_sessions[accountjid];
	if not session or session.host ~= host then
		return nil, failure("item-not-found", "no session "..accountjid.." on this instance");
	end
	return session;
end

local function caps_node(session)
	local presence = session.presence;
	local caps = presence and presence:get_child("c", xmlns_caps);
	return caps and caps.attr.node or "";
end

local function describe(session, now)
	return {
		jid = session.full_jid;
		ip = session.ip or "";
		age = session.conntime and math.floor(now - session.conntime) or nil;
		sm = session.smacks and true or false;
		resumable = session.resumption_token ~= nil;
		-- mod_smacks keeps a resumable session whose connection dropped; it has no socket.
		hibernating = session.hibernating and true or false;
		caps = caps_node(session);
	};
end

local list_layout = dataforms_new {
	{ name = "FORM_TYPE", type = "hidden", value = NS };
	{ name = "count", type = "text-single", label = "Sessions" };
	{ name = "sessions", type = "text-multi", label = "One JSON object per session" };
};

local function list_sessions(data)
	local now, lines = gettime(), {};
	for _, user in pairs(prosody.hosts[host_of(data)].sessions or {}) do
		for _, session in pairs(user.sessions or {}) do
			if session.full_jid then lines[#lines + 1] = json.encode_ordered(describe(session, now)); end
		end
	end
	table.sort(lines);
	return done(("%d session(s)"):format(#lines), list_layout, { count = tostring(#lines), sessions = table.concat(lines, "\n") });
end

local ended_layout = dataforms_new {
	{ name = "FORM_TYPE", type = "hidden", value = NS };
	{ name = "accountjid", type = "jid-single" };
	{ name = "condition", type = "text-single" };
	{ name = "host", type = "text-single" };
	-- false: the session had no connection (hibernating in mod_smacks); it was ended without a word.
	{ name = "delivered", type = "boolean" };
};

-- mod_c2s closes the socket right after a stream error, so the client's own `</stream:stream>`
-- (and @xmpp/client's XEP-0198 <a/>) can hit a closed socket: the RST makes @xmpp/client 0.14
-- give up on <see-other-host/> (ECONNRESET rejects its wait for "disconnect"): 4 of 20 logins
-- redirected that way stayed offline on this lab, 0 of 40 with the close below. So the
-- companion ends a session itself: the error and </stream:stream> are written, the session is
-- destroyed at once (unbound, unacknowledged stanzas handled by mod_smacks as on any close),
-- and the socket stays open until the client closes it, or c2s_close_timeout (5 s) passes.
local close_timeout = module:get_option_number("c2s_close_timeout", 5);

local function close_lingering(session, err)
	if session.websocket_request or session.bosh_version then
		session:close(err); -- their close functions frame errors their own way
		return;
	end
	session.xtransfer_stream_error = err;
	session:close();
end

-- pre-session-close, after mod_smacks's last <a/> (priority 0).
local function write_stream_error(event)
	local session = event.session;
	local err = session.xtransfer_stream_error;
	if not err then return; end
	session.xtransfer_stream_error = nil;
	local conn = session.conn;
	if not conn then return; end
	session.send(tostring(err)); -- as a string: no stanza filter (CSI buffering) holds it back
	session.send("</stream:stream>");
	session.conn = nil; -- mod_c2s then only destroys the session and leaves the socket alone
	timer.add_task(close_timeout, function() conn:close(); end);
end

local function end_session(session, err, who, what)
	local delivered = session.conn ~= nil;
	module:log("info", "%s: %s (asked by %s)", session.full_jid, what, who);
	close_lingering(session, err);
	return delivered;
end

local redirect_layout = dataforms_new {
	title = "Redirect a session";
	{ name = "FORM_TYPE", type = "hidden", value = NS };
	{ name = "accountjid", type = "jid-single", required = true, label = "Full JID of the session" };
	{ name = "host", type = "text-single", required = true, label = "host, host:port or [IPv6]:port" };
};

local redirect_handler = adhoc_simple(redirect_layout, function(fields, errors, data)
	if errors then return form_failure(errors); end
	local host, bad_host = check_host(fields.host);
	if not host then return failure("bad-request", "host: "..bad_host); end
	local session, refused = find_session(host_of(data), fields.accountjid);
	if not session then return refused; end
	local delivered = end_session(session, stream_error("see-other-host", host), jid_util.bare(data.from), "see-other-host "..host);
	return done(("Redirected %s to %s"):format(fields.accountjid, host), ended_layout,
		{ accountjid = fields.accountjid, condition = "see-other-host", host = host, delivered = delivered });
end);

local condition_options = {};
for i, condition in ipairs(CLOSE_CONDITIONS) do condition_options[i] = condition; end

local close_layout = dataforms_new {
	title = "Close a session with a stream error";
	{ name = "FORM_TYPE", type = "hidden", value = NS };
	{ name = "accountjid", type = "jid-single", required = true, label = "Full JID of the session" };
	{ name = "condition", type = "list-single", required = true, label = "RFC 6120 stream error condition", options = condition_options };
	{ name = "text", type = "text-single", label = "Text sent with the error (optional)" };
};

local close_handler = adhoc_simple(close_layout, function(fields, errors, data)
	if errors then return form_failure(errors); end
	local condition = fields.condition;
	if condition == "see-other-host" then
		return failure("bad-request", "condition: see-other-host needs a host: use "..NS.."#redirect-session");
	elseif not is_close_condition[condition] then
		return failure("bad-request", "condition: not an RFC 6120 stream error condition: '"..tostring(condition).."'");
	end
	local session, refused = find_session(host_of(data), fields.accountjid);
	if not session then return refused; end
	local delivered = end_session(session, stream_error(condition, nil, fields.text), jid_util.bare(data.from), condition);
	return done(("Closed %s with %s"):format(fields.accountjid, condition), ended_layout,
		{ accountjid = fields.accountjid, condition = condition, delivered = delivered });
end);

--- Cordon

local function listening(names)
	local addresses = {};
	for _, name in ipairs(names) do
		for _, interface, port in portmanager.get_active_services():iter(name, nil, nil, nil) do
			addresses[#addresses + 1] = ("[%s]:%d"):format(interface, port);
		end
	end
	table.sort(addresses);
	return addresses;
end

local function close_listeners()
	local open = {};
	for _, name in ipairs(C2S_SERVICES) do
		if #listening({ name }) > 0 then open[#open + 1] = name; end
	end
	local addresses = listening(open);
	for _, name in ipairs(open) do portmanager.deactivate(name); end
	cordon.closed = open;
	return addresses;
end

-- Binds again what close_listeners closed, as the config says; fails if a port is taken meanwhile.
local function reopen_listeners()
	local names = cordon.closed or {};
	cordon.closed = nil;
	for _, name in ipairs(names) do
		local ok, err = portmanager.activate(name);
		if not ok then module:log("error", "Could not reopen %s: %s", name, tostring(err)); end
	end
	local addresses = listening(names);
	if #names > 0 and #addresses == 0 then return nil, "no c2s port could be opened again (see the log)"; end
	return addresses;
end

local status_layout = dataforms_new {
	{ name = "FORM_TYPE", type = "hidden", value = NS };
	{ name = "version", type = "text-single", label = "Companion version" };
	{ name = "server", type = "text-single", label = "Prosody version" };
	{ name = "cordoned", type = "boolean" };
	{ name = "mode", type = "text-single", label = "refuse, redirect, or empty" };
	{ name = "redirect", type = "text-single", label = "Where new streams are sent (redirect mode)" };
	{ name = "listening", type = "text-multi", label = "Open c2s ports" };
	{ name = "closed", type = "text-multi", label = "c2s ports closed by the cordon" };
};

local function status_values(reopened)
	return {
		version = tostring(COMPANION_VERSION);
		server = prosody.version or "";
		cordoned = cordon.mode ~= nil;
		mode = cordon.mode or "";
		redirect = cordon.redirect or "";
		listening = table.concat(reopened or listening(C2S_SERVICES), "\n");
		closed = table.concat(cordon.closed_addresses or {}, "\n");
	};
end

local function status()
	return done(cordon.mode and ("Cordoned (%s)"):format(cordon.mode) or "Not cordoned", status_layout, status_values());
end

local cordon_layout = dataforms_new {
	title = "Cordon this instance";
	{ name = "FORM_TYPE", type = "hidden", value = NS };
	{ name = "mode", type = "list-single", required = true, label = "refuse: close the c2s ports; redirect: answer new streams with see-other-host",
		options = { "refuse", "redirect" } };
	{ name = "redirect-to", type = "text-single", label = "host:port for redirect mode" };
};

local cordon_handler = adhoc_simple(cordon_layout, function(fields, errors, data)
	if errors then return form_failure(errors); end
	local who = jid_util.bare(data.from);
	if fields.mode == "refuse" then
		cordon.redirect = nil;
		if cordon.mode == "refuse" then return done("Already cordoned (refuse)", status_layout, status_values()); end
		cordon.mode = "refuse";
		cordon.closed_addresses = close_listeners();
		module:log("info", "Cordoned (refuse) by %s: closed %s", who, table.concat(cordon.closed_addresses, ", "));
		return done("Cordoned: new client connections are refused", status_layout, status_values());
	elseif fields.mode == "redirect" then
		local target, bad = check_host(fields["redirect-to"]);
		if not target then return failure("bad-request", "redirect-to: "..bad); end
		if cordon.mode == "refuse" then
			local _, err = reopen_listeners();
			cordon.closed_addresses = nil;
			if err then cordon.mode = nil; return failure("internal-server-error", err); end
		end
		cordon.mode, cordon.redirect = "redirect", target;
		module:log("info", "Cordoned (redirect to %s) by %s", target, who);
		return done("Cordoned: new streams are sent to "..target, status_layout, status_values());
	end
	return failure("bad-request", "mode: refuse or redirect, got '"..tostring(fields.mode).."'");
end);

local function uncordon(data)
	local was = cordon.mode;
	local reopened, err;
	if was == "refuse" then reopened, err = reopen_listeners(); end
	cordon.mode, cordon.redirect, cordon.closed_addresses = nil, nil, nil;
	if err then return failure("internal-server-error", err); end
	if was then module:log("info", "Uncordoned (was %s) by %s", was, jid_util.bare(data.from)); end
	return done(was and "Uncordoned" or "Was not cordoned", status_layout, status_values(reopened));
end

-- Redirect mode: a new stream gets <see-other-host/> as soon as it is open, before any
-- authentication. Where the server requires TLS, only once the stream is encrypted: the client
-- applies the same TLS policy at the new host anyway, and a redirect sent in the clear could be
-- forged by anyone on the path.
local require_encryption = module:get_option_boolean("c2s_require_encryption",
	module:get_option_boolean("require_encryption", true));

local function redirect_new_stream(event)
	local session = event.origin;
	if cordon.mode ~= "redirect" or session.type ~= "c2s_unauthed" or session.xtransfer_admin_port then return; end
	if require_encryption and not session.secure then return; end
	session.log("info", "Cordoned: sending the new stream to %s", cordon.redirect);
	close_lingering(session, stream_error("see-other-host", cordon.redirect));
	-- No other module may offer features on a destroyed session; and an empty list would make
	-- mod_c2s log "No stream features to offer" for each redirect. The retired session discards
	-- what mod_c2s then sends, so this placeholder never reaches the wire.
	event.features:tag("redirected", { xmlns = NS }):up();
	return true;
end

--- The admin port: mod_c2s's own listener, with the sessions it accepts marked.

local c2s_sessions = module:shared("/*/c2s/sessions"); -- mod_c2s's sessions, by connection

local function c2s_listener()
	local service = portmanager.get_service("c2s");
	return service and service.listener;
end

local admin_listener = setmetatable({}, { __index = function(_, key)
	local listener = c2s_listener();
	return listener and listener[key];
end });

function admin_listener.onconnect(conn)
	c2s_listener().onconnect(conn);
	local session = c2s_sessions[conn];
	if session then session.xtransfer_admin_port = true; end
end

-- Bound only where `xtransfer_admin_ports` lists ports; `xtransfer_admin_interfaces` as `c2s_interfaces`.
module:provides("net", {
	name = "xtransfer_admin";
	listener = admin_listener;
	encryption = "starttls";
});

local function is_admin(jid, host)
	if usermanager.get_jid_role then -- Prosody 13: roles
		local role = usermanager.get_jid_role(jid, host);
		return role ~= nil and (role.name == "prosody:admin" or role.name == "prosody:operator");
	end
	return usermanager.is_admin(jid, host);
end

local function admins_only_on_admin_port(event)
	local session = event.session;
	if not session.xtransfer_admin_port or is_admin(session.username.."@"..session.host, session.host) then return; end
	event.error = { type = "auth", condition = "forbidden", text = "This port is reserved for the server's admins" };
	return false;
end

function module.unload()
	-- A reload keeps the cordon (shared state survives); removing the module lifts it.
	if module.reloading or not cordon.mode then return; end
	if cordon.mode == "refuse" then reopen_listeners(); end
	module:log("info", "Unloaded while cordoned (%s): uncordoned", cordon.mode);
	cordon.mode, cordon.redirect, cordon.closed_addresses = nil, nil, nil;
end

function module.add_host(module) -- luacheck: ignore 431/module
	module:depends("adhoc");
	local adhoc_new = module:require "adhoc".new;
	local function command(name, handler)
		module:provides("adhoc", adhoc_new("xtransfer: "..name, NS.."#"..name, handler, "admin"));
	end
	command("status", without_form(status));
	command("list-sessions", without_form(list_sessions));
	command("redirect-session", redirect_handler);
	command("close-session", close_handler);
	command("cordon", cordon_handler);
	command("uncordon", without_form(uncordon));
	module:hook("stream-features", redirect_new_stream, 1000);
	module:hook("pre-resource-bind", admins_only_on_admin_port, 1000);
	module:hook("pre-session-close", write_stream_error, -1000);
end
