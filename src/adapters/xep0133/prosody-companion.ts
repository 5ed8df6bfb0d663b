import {type AdHocCommands, type CommandAnswer} from './ad-hoc-commands.js'
import {type DataForm, type FieldValue, fieldLines} from './forms.js'
import {STREAM_CONDITIONS, type StreamCondition} from '../../protocol/index.js'

/**
 * The commands of xtransfer's Prosody companion (src/companion/prosody/mod_xtransfer.lua),
 * run as XEP-0050 ad-hoc commands on one instance, with typed answers.
 */
export const NS_COMPANION = 'urn:xtransfer:companion:1'

export const COMPANION_NODES = {
  status: `${NS_COMPANION}#status`,
  listSessions: `${NS_COMPANION}#list-sessions`,
  redirectSession: `${NS_COMPANION}#redirect-session`,
  closeSession: `${NS_COMPANION}#close-session`,
  cordon: `${NS_COMPANION}#cordon`,
  uncordon: `${NS_COMPANION}#uncordon`,
} as const

/** RFC 6120 §4.9.3, less see-other-host (which needs a host: `redirectSession`). */
export const CLOSE_CONDITIONS = STREAM_CONDITIONS.filter((condition): condition is Exclude<StreamCondition, 'see-other-host'> => condition !== 'see-other-host')

export type CloseCondition = Exclude<StreamCondition, 'see-other-host'>

export type Cordon =
  | {mode: 'none'}
  /** The instance's c2s ports are closed: new connections are refused, sessions stay. */
  | {mode: 'refuse'}
  /** New streams are answered with `<see-other-host>to</see-other-host>` before authentication. */
  | {mode: 'redirect'; to: string}

export interface CompanionStatus {
  /** The companion's protocol version (1). */
  version: number
  /** Prosody's version string. */
  server: string
  cordon: Cordon
  /** Open c2s listeners, `[interface]:port`. */
  listening: string[]
  /** Listeners the cordon closed. */
  closed: string[]
}

export interface CompanionSession {
  jid: string
  ip?: string
  /** Seconds since the connection was accepted. */
  ageSeconds?: number
  /** XEP-0198 enabled on the stream. */
  streamManagement: boolean
  /** XEP-0198 with resumption: Prosody would keep the session if the connection dropped. */
  resumable: boolean
  /** The connection dropped and mod_smacks keeps the session for a resumption: it has no socket. */
  hibernating: boolean
  /** XEP-0115 node of the client's last presence, if it sent one. */
  capsNode?: string
}

export interface SessionEnded {
  jid: string
  condition: 'see-other-host' | CloseCondition
  host?: string
  /** False when the session had no connection (hibernating): it was ended without a word. */
  delivered: boolean
}

/** The companion refused a command: bad input, an unknown session, a server-side failure. */
export class CompanionRefused extends Error {
  constructor(
    readonly node: string,
    /** `bad-request`, `item-not-found`, `internal-server-error`. */
    readonly condition: string,
    readonly text: string,
  ) {
    super(`${node.slice(node.indexOf('#') + 1)}: ${condition}${text ? ` (${text})` : ''}`)
    this.name = 'CompanionRefused'
  }
}

/** An instance without the companion answers `item-not-found` (Prosody: no such command node) as a CommandRefused. */
export class ProsodyCompanion {
  constructor(private readonly commands: AdHocCommands) {}

  async status(): Promise<CompanionStatus> {
    return parseCompanionStatus(await this.run(COMPANION_NODES.status, {}))
  }

  async listSessions(): Promise<CompanionSession[]> {
    return parseCompanionSessions(await this.run(COMPANION_NODES.listSessions, {}))
  }

  /** Ends the session with `<see-other-host>host</see-other-host>` (host, host:port or [IPv6]:port). */
  async redirectSession(jid: string, host: string): Promise<SessionEnded> {
    return parseSessionEnded(await this.run(COMPANION_NODES.redirectSession, {accountjid: jid, host}))
  }

  async closeSession(jid: string, condition: CloseCondition, text?: string): Promise<SessionEnded> {
    return parseSessionEnded(await this.run(COMPANION_NODES.closeSession, {accountjid: jid, condition, ...(text ? {text} : {})}))
  }

  async cordon(cordon: Exclude<Cordon, {mode: 'none'}>): Promise<CompanionStatus> {
    const values: Record<string, FieldValue> = cordon.mode === 'redirect' ? {mode: 'redirect', 'redirect-to': cordon.to} : {mode: 'refuse'}
    return parseCompanionStatus(await this.run(COMPANION_NODES.cordon, values))
  }

  async uncordon(): Promise<CompanionStatus> {
    return parseCompanionStatus(await this.run(COMPANION_NODES.uncordon, {}))
  }

  private async run(node: string, values: Record<string, FieldValue>): Promise<DataForm | undefined> {
    return throwIfRefused(await this.commands.run(node, values))
  }
}

/** The answer's result form, or the refusal its error note and `error` field carry. */
export function throwIfRefused(answer: CommandAnswer): DataForm | undefined {
  const note = answer.notes.find((candidate) => candidate.type === 'error')
  if (note) throw new CompanionRefused(answer.node, value(answer.form, 'error') ?? 'undefined-condition', note.text)
  return answer.form
}

export function parseCompanionStatus(form: DataForm | undefined): CompanionStatus {
  const mode = value(form, 'mode') ?? ''
  const redirect = value(form, 'redirect') ?? ''
  const cordon: Cordon = mode === 'refuse' ? {mode} : mode === 'redirect' ? {mode, to: redirect} : {mode: 'none'}
  return {
    version: Number(value(form, 'version') ?? Number.NaN),
    server: value(form, 'server') ?? '',
    cordon,
    listening: lines(form, 'listening'),
    closed: lines(form, 'closed'),
  }
}

/** One JSON object per line in the text-multi field `sessions` (util.dataforms has no multi-item results). */
export function parseCompanionSessions(form: DataForm | undefined): CompanionSession[] {
  return lines(form, 'sessions').map((line) => {
    const raw = JSON.parse(line) as Record<string, unknown>
    if (typeof raw.jid !== 'string') throw new Error(`list-sessions: a line without a jid: ${line}`)
    return {
      jid: raw.jid,
      ip: typeof raw.ip === 'string' && raw.ip !== '' ? raw.ip : undefined,
      ageSeconds: typeof raw.age === 'number' ? raw.age : undefined,
      streamManagement: raw.sm === true,
      resumable: raw.resumable === true,
      hibernating: raw.hibernating === true,
      capsNode: typeof raw.caps === 'string' && raw.caps !== '' ? raw.caps : undefined,
    }
  })
}

export function parseSessionEnded(form: DataForm | undefined): SessionEnded {
  const host = value(form, 'host')
  return {
    jid: value(form, 'accountjid') ?? '',
    condition: (value(form, 'condition') ?? 'undefined-condition') as SessionEnded['condition'],
    ...(host ? {host} : {}),
    delivered: value(form, 'delivered') === '1' || value(form, 'delivered') === 'true',
  }
}

function value(form: DataForm | undefined, name: string): string | undefined {
  return form?.fields.get(name)?.values[0]
}

function lines(form: DataForm | undefined, name: string): string[] {
  return fieldLines(form, name).filter((line) => line !== '')
}
