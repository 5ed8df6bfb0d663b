#!/usr/bin/env node
// Smoke check of a running lab (test/lab/start.sh): the HTTP API's auth, the
// cluster, PLAIN logins on every node, and the admin commands the CLI uses
// (connected_users_info, user_sessions_info, send_stanza, kick_session), plus
// the STARTTLS-required listener failing certificate verification cleanly.
//   node test/lab/smoke.mjs            (run from the repo, needs node_modules)
// Reads ${XTRANSFER_LAB_DIR:-/tmp/xtransfer-lab}/lab.env. Exits non-zero on failure.
import { readFileSync } from "node:fs";
import { client } from "@xmpp/client";

const labDir = process.env.XTRANSFER_LAB_DIR || "/tmp/xtransfer-lab";
const env = Object.fromEntries(
  readFileSync(`${labDir}/lab.env`, "utf8")
    .split("\n")
    .filter((l) => /^[A-Z0-9_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);
const domain = env.LAB_DOMAIN;
const nodeCount = Number(env.LAB_NODE_COUNT || 3);
const adminPassword = readFileSync(env.LAB_ADMIN_PASSWORD_FILE, "utf8").trim();
const auth = "Basic " + Buffer.from(`${env.LAB_ADMIN_JID}:${adminPassword}`).toString("base64");

let passed = 0;
let failed = 0;
function check(ok, what, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ` (${detail})` : ""}`);
  return ok;
}

async function api(node, command, args = {}, authorization = auth) {
  const headers = { "content-type": "application/json" };
  if (authorization) headers.authorization = authorization;
  const res = await fetch(`${env[`LAB_API_${node}`]}/${command}`, {
    method: "POST",
    headers,
    body: JSON.stringify(args),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, ms = 3000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await sleep(50);
  }
}

function login({ port, username, password, resource }) {
  const xmpp = client({
    service: `xmpp://127.0.0.1:${port}`,
    domain,
    resource,
    credentials: (authenticate) => authenticate({ username, password }, "PLAIN"),
  });
  xmpp.reconnect.stop();
  xmpp.received = [];
  xmpp.errors = [];
  xmpp.on("error", (e) => xmpp.errors.push(e));
  xmpp.on("stanza", (s) => {
    if (s.is("message")) xmpp.received.push(s);
  });
  return xmpp;
}

const clients = [];
try {
  // --- HTTP API auth --------------------------------------------------------
  const anon = await api(1, "connected_users_number", {}, null);
  check(anon.status !== 200, "anonymous API call refused", `HTTP ${anon.status} ${JSON.stringify(anon.body)}`);
  const wrong = await api(1, "connected_users_number", {}, "Basic " + Buffer.from(`${env.LAB_ADMIN_JID}:nope`).toString("base64"));
  check(wrong.status !== 200, "wrong-password API call refused", `HTTP ${wrong.status}`);
  for (let i = 1; i <= nodeCount; i++) {
    const lc = await api(i, "list_cluster");
    check(lc.status === 200 && Array.isArray(lc.body) && lc.body.length === nodeCount,
      `node ${i}: list_cluster {} shows ${nodeCount} nodes`, JSON.stringify(lc.body));
  }

  // --- one PLAIN login of user0001 per node ---------------------------------
  const t0 = Date.now();
  for (let i = 1; i <= nodeCount; i++) {
    const c = login({ port: env[`LAB_C2S_${i}`], username: "user0001", password: env.LAB_USER_PASSWORD, resource: `smoke-${i}` });
    c.node = i;
    clients.push(c);
  }
  const jids = await Promise.all(clients.map((c) => c.start().then((j) => j.toString())));
  check(jids.every((j, k) => j === `user0001@${domain}/smoke-${k + 1}`), "user0001 logged in with PLAIN on every node", `${jids.join(", ")} in ${Date.now() - t0} ms`);

  // --- connected_users_info / user_sessions_info ----------------------------
  const cui = await api(1, "connected_users_info");
  if (cui.status === 200 && cui.body.length) console.log("     connected_users_info entry:", JSON.stringify(cui.body[0]));
  for (let i = 1; i <= nodeCount; i++) {
    const s = Array.isArray(cui.body) ? cui.body.find((e) => e.jid === `user0001@${domain}/smoke-${i}`) : undefined;
    check(s && s.node === env[`LAB_NODE_${i}`], `connected_users_info {}: smoke-${i} on ${env[`LAB_NODE_${i}`]}`, s ? `node=${s.node}` : "missing");
  }
  const usi = await api(2, "user_sessions_info", { user: "user0001", host: domain });
  if (usi.status === 200 && usi.body.length) console.log("     user_sessions_info entry:", JSON.stringify(usi.body[0]));
  check(usi.status === 200 && usi.body.length === nodeCount, `user_sessions_info {user,host} (asked node 2) lists ${nodeCount} sessions`,
    Array.isArray(usi.body) ? usi.body.map((s) => `${s.resource}@${s.node}`).join(" ") : JSON.stringify(usi.body));

  // --- send_stanza ----------------------------------------------------------
  for (let i = 1; i <= nodeCount; i++) {
    const to = `user0001@${domain}/smoke-${i}`;
    const r = await api(((i % nodeCount) + 1), "send_stanza", {
      from: domain,
      to,
      stanza: `<message type='chat' id='smoke-${i}'><body>hello ${i}</body></message>`,
    });
    const c = clients[i - 1];
    const got = await until(() => c.received.find((m) => m.attrs.id === `smoke-${i}`));
    check(r.status === 200 && got && got.getChildText("body") === `hello ${i}`,
      `send_stanza {from,to,stanza} (via node ${(i % nodeCount) + 1}) reached smoke-${i}`,
      `result ${JSON.stringify(r.body)}, from=${got?.attrs.from}`);
  }

  // --- kick_session ---------------------------------------------------------
  const victim = clients[1];
  // ejabberd 23.01 kicks with a <conflict/> stream error whose text is the
  // reason; @xmpp/client then emits "disconnect" ("offline" only after stop()).
  const offline = new Promise((resolve) => victim.once("disconnect", () => resolve(true)));
  const k = await api(1, "kick_session", { user: "user0001", host: domain, resource: "smoke-2", reason: "smoke test" });
  const wentOffline = await Promise.race([offline, sleep(3000).then(() => false)]);
  const gone = await until(async () => {
    const r = await api(1, "connected_users_info");
    return !r.body.some((e) => e.jid === `user0001@${domain}/smoke-2`);
  });
  check(k.status === 200 && wentOffline && gone, "kick_session {user,host,resource,reason} ended smoke-2",
    `result ${JSON.stringify(k.body)}, client disconnected=${wentOffline}, stream error=${victim.errors.map((e) => `${e.condition || e.message}${e.text ? ` "${e.text}"` : ""}`).join(",")}, unlisted=${gone}`);

  // --- the admin logs in over XMPP (PLAIN, plain TCP) -----------------------
  const admin = login({ port: env.LAB_C2S_1, username: "admin", password: adminPassword, resource: "smoke-admin" });
  clients.push(admin);
  const aj = await admin.start();
  check(String(aj) === `admin@${domain}/smoke-admin`, "admin logs in with PLAIN on node 1", String(aj));

  // --- STARTTLS-required listener: certificate verification fails cleanly ----
  const tls = login({ port: env.LAB_TLS_PORT, username: "user0003", password: env.LAB_USER_PASSWORD, resource: "smoke-tls" });
  let tlsError;
  try {
    await Promise.race([tls.start(), sleep(5000).then(() => { throw new Error("timeout"); })]);
  } catch (e) {
    tlsError = e;
  }
  await tls.stop().catch(() => {});
  check(tlsError && tlsError.message !== "timeout", "TLS port: login fails on certificate verification",
    tlsError ? `${tlsError.code || tlsError.name}: ${tlsError.message}` : "it logged in!");
} catch (e) {
  check(false, "unexpected error", e?.stack || String(e));
} finally {
  await Promise.all(clients.map((c) => c.stop().catch(() => {})));
}
console.log(`smoke: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
