import {isIPv6} from 'node:net'

/** Where a client is told to reconnect: the `<server>` of a transfer packet. */
export interface ServerAddress {
  kind: 'ipv4' | 'ipv6' | 'hostname'
  /** Host without brackets: `203.0.113.7`, `2001:db8::1`, `server3.example.org`. */
  host: string
  port?: number
}

export type Parsed<T> = {ok: true; value: T} | {ok: false; reason: string}

const MAX_SERVER_LENGTH = 1024
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
const DECIMAL_OCTET = /^(?:0|[1-9]\d{0,2})$/
const PORT = /^[1-9]\d{0,4}$/

/**
 * Parse the text of `<server>`: an IPv4 address, a bracketed IPv6 address or a
 * host name, each with an optional `:port` (1–65535). The reason says what was wrong.
 */
export function parseServer(text: string): Parsed<ServerAddress> {
  if (typeof text !== 'string' || text.length === 0) return fail('the server address is empty')
  if (text.length > MAX_SERVER_LENGTH) return fail('the server address is too long')
  if (/\s/.test(text)) return fail(`"${shorten(text)}" contains white space`)

  if (text.startsWith('[')) return parseBracketed(text)
  if ((text.match(/:/g) ?? []).length > 1) {
    return fail(`"${shorten(text)}" looks like an IPv6 address: write it in brackets, e.g. [2001:db8::1]:5222`)
  }

  const colon = text.indexOf(':')
  const hostText = colon === -1 ? text : text.slice(0, colon)
  const port = colon === -1 ? undefined : parsePort(text.slice(colon + 1))
  if (port && !port.ok) return port
  const host = parseHost(hostText)
  if (!host.ok) return host
  return {ok: true, value: {...host.value, ...(port ? {port: port.value} : {})}}
}

/** The inverse of parseServer: `host`, `host:port`, `[v6]:port`. */
export function formatServer(address: ServerAddress): string {
  const host = address.kind === 'ipv6' ? `[${address.host}]` : address.host
  return address.port === undefined ? host : `${host}:${address.port}`
}

/** A domain in `<domain>`: a host name or an address literal, no port. */
export function parseDomain(text: string): Parsed<string> {
  if (typeof text !== 'string' || text.length === 0) return fail('the domain is empty')
  if (text.length > MAX_SERVER_LENGTH) return fail('the domain is too long')
  if (text.startsWith('[') && text.endsWith(']') && isIPv6(text.slice(1, -1))) return {ok: true, value: text}
  const host = parseHost(text, 'domain')
  return host.ok ? {ok: true, value: host.value.host} : host
}

function parseBracketed(text: string): Parsed<ServerAddress> {
  const close = text.indexOf(']')
  if (close === -1) return fail(`"${shorten(text)}" opens a bracket it never closes`)
  const host = text.slice(1, close)
  if (!isIPv6(host)) return fail(`"${shorten(host)}" in brackets is not an IPv6 address`)
  const rest = text.slice(close + 1)
  if (rest === '') return {ok: true, value: {kind: 'ipv6', host}}
  if (!rest.startsWith(':')) return fail(`unexpected "${shorten(rest)}" after the IPv6 address`)
  const port = parsePort(rest.slice(1))
  if (!port.ok) return port
  return {ok: true, value: {kind: 'ipv6', host, port: port.value}}
}

function parseHost(text: string, noun: 'host' | 'domain' = 'host'): Parsed<Omit<ServerAddress, 'port'>> {
  if (text === '') return fail(`the ${noun} is empty`)
  const labels = text.split('.')
  if (labels.every((label) => /^\d+$/.test(label))) {
    if (labels.length !== 4) return fail(`"${shorten(text)}" is not an IPv4 address (it needs four numbers)`)
    if (!labels.every((label) => DECIMAL_OCTET.test(label) && Number(label) <= 255)) {
      return fail(`"${shorten(text)}" is not an IPv4 address (each number is 0–255, no leading zeros)`)
    }
    return {ok: true, value: {kind: 'ipv4', host: text}}
  }
  if (text.length > 253) return fail(`the ${noun} name is longer than 253 characters`)
  const bad = labels.find((label) => !LABEL.test(label))
  if (bad !== undefined) {
    return fail(
      bad === ''
        ? `"${shorten(text)}" has an empty label (two dots, or a dot at an end)`
        : `"${shorten(text)}" is not a valid ${noun} name (letters, digits and inner hyphens only, 63 per label)`,
    )
  }
  return {ok: true, value: {kind: 'hostname', host: text.toLowerCase()}}
}

function parsePort(text: string): Parsed<number> {
  if (!PORT.test(text) || Number(text) > 65535) return fail(`port "${shorten(text)}" is not a number from 1 to 65535`)
  return {ok: true, value: Number(text)}
}

function fail(reason: string): {ok: false; reason: string} {
  return {ok: false, reason}
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
