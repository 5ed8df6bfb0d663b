// The bench's message sender: one ordinary client on a node that is not being emptied,
// sending numbered chat messages to the receivers' full JIDs at a steady total rate.
// Body: "xtbench <tag> <seq> <sent at, ms since the epoch>"; message n goes to
// targets[(n - 1) % targets.length], so the receivers' logs tell what was lost. The tag
// names the phase: a message stored offline in one phase and handed over in a later one
// is told apart from that phase's own.
import {client as createClient, xml} from '@xmpp/client'

const now = () => performance.timeOrigin + performance.now()
const TICK_MS = 10

export const BODY_PREFIX = 'xtbench '

export interface SenderOptions {
  service: string
  domain: string
  user: string
  password: string
  /** The receivers' full JIDs. */
  targets: string[]
  /** Messages per second over all targets. */
  rate: number
  /** The phase: letters, digits, - and _. */
  tag: string
  resource?: string
}

/** What the sender did: messages 1..sent went out between startedAt and stoppedAt. */
export interface SenderReport {
  sent: number
  startedAt: number
  stoppedAt: number
  rate: number
  targets: number
  /** [seq, condition] of each <message type='error'> that came back. */
  bounced: [seq: number, condition: string][]
  sendFailures: number
  streamErrors: string[]
  /** When the sender's own stream dropped (epoch ms), if it did. */
  droppedAt: number | null
}

export interface ParsedBody {
  tag: string
  seq: number
  sentAt: number
}

/** The tag, sequence number and send time a receiver reads from a bench message's body. */
export function parseBody(body: string): ParsedBody | null {
  const match = /^xtbench ([\w-]+) (\d+) (\d+)$/.exec(body)
  return match ? {tag: match[1], seq: Number(match[2]), sentAt: Number(match[3])} : null
}

export interface Sender {
  /** Stops sending, waits `graceMs` for late bounces, closes; what was sent and bounced. */
  stop(options?: {graceMs?: number}): Promise<SenderReport>
}

/** Logs in (PLAIN, plain TCP, no auto-reconnect) and starts sending; `stop()` ends it. */
export async function startSender({service, domain, user, password, targets, rate, tag, resource = 'sender'}: SenderOptions): Promise<Sender> {
  if (!targets.length || !(rate > 0)) throw new Error('the sender needs targets and a rate > 0')
  if (!/^[\w-]+$/.test(tag ?? '')) throw new Error(`the sender needs a tag of letters, digits, - and _ (got '${tag}')`)
  const client = createClient({service, domain, resource, username: user, credentials: (auth) => auth({username: user, password}, 'PLAIN')})
  client.reconnect.stop()
  // Bounces: the server could not deliver nor store (e.g. mod_offline's per-user limit).
  const bounced: SenderReport['bounced'] = []
  const problems = {sendFailures: 0, streamErrors: [] as string[], droppedAt: null as number | null}
  let stopping = false
  client.on('stanza', (stanza) => {
    if (stanza.name !== 'message' || stanza.attrs.type !== 'error') return
    const seq = Number(new RegExp(`^xb-${tag}-(\\d+)$`).exec(stanza.attrs.id ?? '')?.[1])
    const condition = stanza.getChild('error')?.children.find((child: unknown) => typeof child === 'object')?.name ?? 'unknown'
    if (seq) bounced.push([seq, condition])
  })
  client.on('error', (error) => problems.streamErrors.push(error?.condition ?? error?.message ?? String(error)))
  client.on('status', (status) => {
    if (status === 'disconnect' && problems.droppedAt === null && !stopping) problems.droppedAt = now()
  })
  await client.start()

  let seq = 0
  const startedAt = now()
  const send = () => {
    const due = Math.floor(((now() - startedAt) * rate) / 1000)
    while (seq < due) {
      seq += 1
      const to = targets[(seq - 1) % targets.length]
      client.send(xml('message', {to, type: 'chat', id: `xb-${tag}-${seq}`}, xml('body', {}, `${BODY_PREFIX}${tag} ${seq} ${Math.round(now())}`))).catch(() => {
        problems.sendFailures += 1
      })
    }
  }
  const timer = setInterval(send, TICK_MS)

  return {
    async stop({graceMs = 0} = {}) {
      clearInterval(timer)
      send()
      const stoppedAt = now()
      await new Promise((resolve) => setTimeout(resolve, graceMs))
      stopping = true
      await client.stop().catch(() => {})
      return {sent: seq, startedAt, stoppedAt, rate, targets: targets.length, bounced, ...problems}
    },
  }
}
