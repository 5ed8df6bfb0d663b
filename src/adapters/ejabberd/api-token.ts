/**
 * OAuth bearer tokens for ejabberd's mod_http_api: `oauth_issue_token JID TTL "cmd1;cmd2"`
 * (scopes are command names). A bearer check is a cache lookup on the server, where HTTP Basic
 * runs PBKDF2 on every call when passwords are stored as SCRAM (~13 ms of server CPU a call,
 * docs/performance.md). What ejabberd 23.01 answers, measured on the lab:
 *   200 {"token":…,"scopes":…,"expires_in":"300 seconds"}   issued
 *   500 "internal_error"   the oauth2 library is missing (Debian: erlang-p1-oauth2, only Suggested)
 *   400 "badpass"          oauth_access does not allow the JID (its default is none)
 *   400 "invalid_scope"    a scope is no command of that server (a module not loaded)
 *   401 with the token: "Oauth Token is invalid or expired." / 403 code 32: api_permissions has
 *   no oauth rule for that command.
 */

/** Long enough for the calls of a few minutes, short enough that a token nobody revokes soon dies. */
export const TOKEN_TTL_S = 300
/** Renewed (over HTTP Basic, one call) once this share of its life has passed. */
export const TOKEN_RENEW_AT = 0.8

export interface TokenGrant {
  token: string
  /** When it stops working, and when to ask for the next one (the caller's clock, ms). */
  expiresAt: number
  renewAt: number
}

/** The token of oauth_issue_token's answer, or undefined; `requestedAt`: when the request went out. */
export function parseGrant(text: string, requestedAt: number, ttlSeconds: number): TokenGrant | undefined {
  let answer: unknown
  try {
    answer = JSON.parse(text)
  } catch {
    return undefined
  }
  const token = (answer as {token?: unknown} | null)?.token
  // It goes into an HTTP header: anything but a plain token is refused, never echoed.
  if (typeof token !== 'string' || !/^[A-Za-z0-9._~+/=-]{16,512}$/.test(token)) return undefined
  return {token, expiresAt: requestedAt + ttlSeconds * 1000, renewAt: requestedAt + ttlSeconds * 1000 * TOKEN_RENEW_AT}
}

/** Why the server issued no token, and what would make it (never the answer's text beyond ejabberd's error word). */
export function tokenRefusal(status: number, text: string): string {
  const word = /^"?([a-z_]{1,40})"?$/.exec(text.trim())?.[1]
  if (status === 500) {
    return 'HTTP 500 (ejabberd 23.01 without its oauth2 library answers internal_error: on Debian, apt-get install erlang-p1-oauth2 and restart ejabberd)'
  }
  if (word === 'badpass') return 'HTTP 400 badpass (oauth_access does not allow the admin JID: set oauth_access in ejabberd.yml, see docs/servers.md)'
  if (word === 'invalid_scope') return 'HTTP 400 invalid_scope (a command of the run is not on that server)'
  if (status === 403) return 'HTTP 403 (api_permissions does not let the admin call oauth_issue_token)'
  if (status === 404) return 'HTTP 404 (no oauth_issue_token on that server)'
  return `HTTP ${status}${word ? ` ${word}` : ''}`
}
