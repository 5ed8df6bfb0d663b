import {AuthError, TlsError, UnknownHostError, UnreachableError, XtransferError} from '../errors.js'

/** Node's codes for a TLS handshake or certificate failure: no retry mends them. */
export const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|CERT_|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID)/

/** Turn what xmpp.js or the socket threw into one clear line with its exit code. */
export function classifyLoginError(error: unknown, service: string): XtransferError {
  if (error instanceof XtransferError) return error
  const err = error as Error & {code?: string; condition?: string; name?: string}
  const code = err?.code ?? ''
  if (err?.name === 'SASLError' || err?.condition === 'not-authorized') {
    return new AuthError(`login refused for the admin JID at ${service}: ${err.condition ?? 'not-authorized'} (wrong password or JID?)`)
  }
  if (err?.condition === 'account-disabled' || err?.condition === 'credentials-expired') {
    return new AuthError(`login refused at ${service}: ${err.condition}`)
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UnknownHostError(`unknown host in ${service} (${code})`)
  if (code === 'ECONNREFUSED') return new UnreachableError(`${service} refused the connection`)
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || err?.name === 'TimeoutError') {
    return new UnreachableError(`${service} did not answer in time (${code || 'timeout'})`)
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return new UnreachableError(`${service} closed the connection during login (${code})`)
  if (TLS_CODES.test(code) || /certificate|tls|ssl/i.test(err?.message ?? '')) {
    return new TlsError(`TLS failed with ${service}: ${err.message} (trust a private CA with NODE_EXTRA_CA_CERTS=/path/ca.pem)`)
  }
  if (err?.condition) return new AuthError(`the server at ${service} refused the login: ${err.condition}`)
  return new UnreachableError(`cannot log in at ${service}: ${err?.message ?? String(error)}`)
}
