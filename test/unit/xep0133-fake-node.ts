// A fake XEP-0133 node for the directory's unit tests: an AdminSession whose answers
// have the shape of Prosody 0.12's (see xep0133-fixtures/), built from a session table.
import {EventEmitter} from 'node:events'

import xml, {type Element} from '@xmpp/xml'

import type {AdminSession} from '../../src/connection/admin-session.js'

export interface FakeSession {
  bare: string
  resource: string
  ip?: string
}

export interface FakeNodeOptions {
  /** Take the filled form with `execute` (Prosody does); else answer with the empty form first. */
  oneShot?: boolean
  /** Refuse a form sent with the first `execute` with this error (ejabberd 23.01: service-unavailable). */
  refuseOneShot?: string
  /** Honour the `details` field (Prosody); else list bare JIDs only. */
  details?: boolean
  /** Commands offered (short names). */
  commands?: string[]
  /** Answer every command with forbidden (the JID is not an admin here). */
  forbidden?: boolean
}

const ADMIN = 'http://jabber.org/protocol/admin'
const COMMANDS = 'http://jabber.org/protocol/commands'

export class FakeNode extends EventEmitter implements AdminSession {
  readonly jid = 'admin@example.test/xtransfer-directory-p-1'
  sessions: FakeSession[] = []
  /** Every command request: its short name, action and submitted values. */
  readonly requests: Array<{command: string; action?: string; sessionid?: string; values?: Record<string, string[]>}> = []
  closed = false
  private nextSession = 0
  private readonly options: Required<FakeNodeOptions>

  constructor(options: FakeNodeOptions = {}) {
    super()
    this.options = {
      oneShot: true,
      refuseOneShot: '',
      details: true,
      forbidden: false,
      commands: ['get-online-users-list', 'user-stats', 'end-user-session'],
      ...options,
    }
  }

  /** The server drops the admin's stream. */
  drop(): void {
    this.emit('disconnected')
  }

  async request(iq: Element): Promise<Element> {
    const command = iq.getChild('command', COMMANDS)!
    const node = String(command.attrs.node)
    const name = node.slice(node.indexOf('#') + 1)
    const x = command.getChild('x', 'jabber:x:data')
    const values: Record<string, string[]> | undefined =
      x && Object.fromEntries(x.getChildren('field').map((field) => [field.attrs.var, field.getChildren('value').map((value) => value.text())]))
    this.requests.push({command: name, action: command.attrs.action, sessionid: command.attrs.sessionid, values})
    const reply = (...children: Element[]) => xml('iq', {type: 'result', from: 'example.test', to: this.jid, id: iq.attrs.id}, ...children)
    const error = (type: string, condition: string) =>
      xml(
        'iq',
        {type: 'error', from: 'example.test', to: this.jid, id: iq.attrs.id},
        xml('error', {type}, xml(condition, {xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas'})),
      )
    if (!this.options.commands.includes(name)) return error('cancel', 'service-unavailable')
    if (this.options.forbidden) return error('auth', 'forbidden')
    const done = (...children: Element[]) =>
      reply(xml('command', {xmlns: COMMANDS, node: node, status: 'completed', sessionid: `s${++this.nextSession}`}, ...children))
    if (!values) return reply(xml('command', {xmlns: COMMANDS, node: node, status: 'executing', sessionid: `s${++this.nextSession}`}, this.emptyForm(name)))
    if (!command.attrs.sessionid && this.options.refuseOneShot) return error('cancel', this.options.refuseOneShot)
    if (!command.attrs.sessionid && !this.options.oneShot)
      return reply(xml('command', {xmlns: COMMANDS, node: node, status: 'executing', sessionid: `s${++this.nextSession}`}, this.emptyForm(name)))
    if (name === 'get-online-users-list') return done(this.result({onlineuserjids: this.onlineLines(values.details?.[0] === '1' && this.options.details)}))
    if (name === 'user-stats') {
      const bare = values.accountjid[0]
      if (!bare.startsWith('user') && !bare.startsWith('admin')) return done(xml('note', {type: 'error'}, 'User does not exist'))
      const mine = this.sessions.filter((session) => session.bare === bare)
      return done(
        this.result({
          ipaddresses: mine.map((session) => session.ip ?? '127.0.0.1'),
          rostersize: ['0'],
          onlineresources: mine.map((session) => session.resource),
        }),
      )
    }
    // end-user-session
    const ended = values.accountjids
    this.sessions = this.sessions.filter((session) => !ended.some((jid: string) => jid === session.bare || jid === `${session.bare}/${session.resource}`))
    return done(xml('note', {type: 'info'}, `The following accounts were successfully disconnected:\n${ended.join('\n')}\n`))
  }

  async send(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true
  }

  private onlineLines(details: boolean): string[] {
    const lines: string[] = []
    for (const bare of new Set(this.sessions.map((session) => session.bare))) {
      lines.push(bare)
      if (!details) continue
      for (const session of this.sessions.filter((candidate) => candidate.bare === bare))
        lines.push(` - ${session.resource}: unavailable(-), IP: [${session.ip ?? '127.0.0.1'}]`)
    }
    return lines
  }

  private result(fields: Record<string, string[]>): Element {
    return xml(
      'x',
      {xmlns: 'jabber:x:data', type: 'result'},
      xml('field', {var: 'FORM_TYPE', type: 'hidden'}, xml('value', {}, ADMIN)),
      ...Object.entries(fields).map(([name, values]) => xml('field', {var: name, type: 'text-multi'}, ...values.map((value) => xml('value', {}, value)))),
    )
  }

  private emptyForm(name: string): Element {
    const fields =
      name === 'get-online-users-list'
        ? [
            xml(
              'field',
              {var: 'max_items', type: 'list-single'},
              ...['25', '50', 'none'].map((option) => xml('option', {label: option}, xml('value', {}, option))),
            ),
            ...(this.options.details ? [xml('field', {var: 'details', type: 'boolean'})] : []),
          ]
        : name === 'user-stats'
          ? [xml('field', {var: 'accountjid', type: 'jid-single'})]
          : [xml('field', {var: 'accountjids', type: 'jid-multi'})]
    return xml('x', {xmlns: 'jabber:x:data', type: 'form'}, xml('field', {var: 'FORM_TYPE', type: 'hidden'}, xml('value', {}, ADMIN)), ...fields)
  }
}
