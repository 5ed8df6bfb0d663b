import xml, {type Element} from '@xmpp/xml'

import {type DataForm, type FieldValue, formOf, NS_ADMIN, NS_COMMANDS, submitForm} from './forms.js'

/** Send an iq, resolve with the answering iq (result or error): AdminSession.request. */
export type IqRequest = (iq: Element, timeoutMs?: number) => Promise<Element>

export interface CommandNote {
  type: string
  text: string
}

/** A command's last answer (XEP-0050). */
export interface CommandAnswer {
  node: string
  status: string
  sessionid?: string
  form?: DataForm
  notes: CommandNote[]
}

/** The server answered a command with an iq error. */
export class CommandRefused extends Error {
  constructor(
    readonly node: string,
    readonly condition: string,
    readonly text: string | undefined,
  ) {
    super(`${commandName(node)}: ${condition}${text ? ` (${text})` : ''}`)
    this.name = 'CommandRefused'
  }

  /** The server does not offer the command (as opposed to refusing us). */
  get unavailable(): boolean {
    return ['item-not-found', 'service-unavailable', 'feature-not-implemented'].includes(this.condition)
  }

  get forbidden(): boolean {
    return this.condition === 'forbidden' || this.condition === 'not-authorized' || this.condition === 'not-allowed'
  }
}

/** `http://jabber.org/protocol/admin#end-user-session` → `end-user-session`. */
export function commandName(node: string): string {
  return node.slice(node.indexOf('#') + 1)
}

export function adminCommand(name: string): string {
  return `${NS_ADMIN}#${name}`
}

/**
 * Runs XEP-0133 commands (XEP-0050 ad-hoc commands with XEP-0004 forms) on one
 * service. It first sends the filled form with `execute` (one round trip: Prosody
 * takes it); a server that answers with its empty form instead gets the values
 * fitted to that form, with the session id; a command that refuses the shortcut
 * (with any error but a refusal of the admin) is asked in two stages from then on.
 */
export class AdHocCommands {
  /** Commands that refused the filled `execute`: asked in two stages. */
  private readonly twoStage = new Set<string>()

  constructor(
    private readonly request: IqRequest,
    /** The JID that executes the commands: the server's domain for Prosody and ejabberd. */
    private readonly to: string,
    private readonly timeoutMs?: number,
  ) {}

  async run(node: string, values: Record<string, FieldValue>): Promise<CommandAnswer> {
    if (!this.twoStage.has(node)) {
      const first = await this.send(command(node, {action: 'execute'}, submitForm(NS_ADMIN, values)))
      if (first instanceof CommandRefused) {
        // ejabberd 23.01 answers a filled execute with service-unavailable, and an empty one with the result.
        if (first.forbidden) throw first
        this.twoStage.add(node)
      } else if (first.status === 'executing' && first.form) {
        return this.submit(first, values)
      } else {
        return first
      }
    }
    const opened = await this.send(command(node, {action: 'execute'}))
    if (opened instanceof CommandRefused) throw opened
    if (opened.status !== 'executing' || !opened.form) return opened
    return this.submit(opened, values)
  }

  private async submit(opened: CommandAnswer, values: Record<string, FieldValue>): Promise<CommandAnswer> {
    const form = opened.form!
    const answer = await this.send(
      command(opened.node, {action: 'complete', sessionid: opened.sessionid}, submitForm(form.formType ?? NS_ADMIN, fitToForm(form, values))),
    )
    if (answer instanceof CommandRefused) throw answer
    return answer
  }

  private async send(request: Element): Promise<CommandAnswer | CommandRefused> {
    const node = request.attrs.node as string
    const answer = await this.request(xml('iq', {type: 'set', to: this.to}, request), this.timeoutMs)
    return readAnswer(node, answer)
  }
}

function command(node: string, attrs: Record<string, string | undefined>, ...children: Element[]): Element {
  const defined = Object.fromEntries(Object.entries(attrs).filter(([, value]) => value !== undefined)) as Record<string, string>
  return xml('command', {xmlns: NS_COMMANDS, node, ...defined}, ...children)
}

/** An answering iq as a command answer, or the error it carries. */
export function readAnswer(node: string, iq: Element): CommandAnswer | CommandRefused {
  if (iq.attrs.type === 'error') {
    const error = iq.getChild('error')
    const condition = error?.children.find((child): child is Element => typeof child !== 'string' && child.name !== 'text')?.name ?? 'undefined-condition'
    return new CommandRefused(node, condition, error?.getChildText('text') ?? undefined)
  }
  const element = iq.getChild('command', NS_COMMANDS)
  if (!element) return new CommandRefused(node, 'bad-answer', 'the result carries no <command/>')
  return {
    node: element.attrs.node ?? node,
    status: element.attrs.status ?? 'completed',
    sessionid: element.attrs.sessionid,
    form: formOf(element),
    notes: element.getChildren('note').map((note) => ({type: note.attrs.type ?? 'info', text: note.text()})),
  }
}

/**
 * Our values, kept to the fields the server's form has, and list values moved to an
 * offered option ("all" may be called "none"; else the largest number offered).
 */
export function fitToForm(form: DataForm, values: Record<string, FieldValue>): Record<string, FieldValue> {
  const fitted: Record<string, FieldValue> = {}
  for (const [name, value] of Object.entries(values)) {
    const field = form.fields.get(name)
    if (!field) continue
    if (typeof value === 'string' && field.options.length > 0 && !field.options.includes(value)) {
      fitted[name] = pickOption(field.options, value)
    } else {
      fitted[name] = value
    }
  }
  return fitted
}

function pickOption(options: string[], wanted: string): string {
  if (wanted === 'all' || wanted === 'none') {
    const unlimited = options.find((option) => option === 'all' || option === 'none')
    if (unlimited) return unlimited
  }
  const numbers = options.map(Number).filter((n) => Number.isFinite(n))
  return numbers.length > 0 ? String(Math.max(...numbers)) : options[0]
}
