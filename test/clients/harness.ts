// Drives the third-party client harnesses (test/clients/README.md) from TypeScript: one child
// process per harness, JSON-line commands on its stdin, JSON-line events from its stdout.
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const REPO = join(HERE, '..', '..')

export type LibraryName = 'slixmpp' | 'aioxmpp' | 'libstrophe' | 'xmppjs'

export interface Library {
  name: LibraryName
  /** What a person would call it, with the version Debian / npm gives us. */
  label: string
  command: string[]
  /** XEP-0115 node the harness announces: what a drain can recognise the software by. */
  capsNode: string
  /** Where XEP-0198 stands in this library (see README.md). */
  streamManagement: string
  /** Whose reconnect logic runs, and its delay. */
  reconnect: string
}

// The one place that lists the harnesses and their caps nodes (each harness takes --caps-node).
export const LIBRARIES: Record<LibraryName, Library> = {
  slixmpp: {
    name: 'slixmpp',
    label: 'python3-slixmpp 1.8.3',
    command: ['/usr/bin/python3', join(HERE, 'slixmpp_client.py')],
    capsNode: 'https://slixmpp.readthedocs.io',
    streamManagement: 'xep_0198 plugin, resumption on (as poezio loads it)',
    reconnect: "poezio's on top of slixmpp (which has none after the server ends a stream): again after --reconnect-delay, never after <conflict/>",
  },
  aioxmpp: {
    name: 'aioxmpp',
    label: 'python3-aioxmpp 0.13.3',
    command: ['/usr/bin/python3', join(HERE, 'aioxmpp_client.py')],
    capsNode: 'http://aioxmpp.zombofant.net/',
    streamManagement: 'built in, on whenever the server offers it, resumption on',
    reconnect: "aioxmpp's own: at once after a stream error, back-off from 1 s on a socket error, <conflict/> is fatal",
  },
  libstrophe: {
    name: 'libstrophe',
    label: 'libstrophe 0.12.2',
    command: [join(HERE, 'build', 'strophe-client')],
    capsNode: 'https://strophe.im/libstrophe',
    streamManagement: 'built in (0.12); the app carries the state to the next connection (xmpp_conn_get/set_sm_state), as Profanity does',
    reconnect: "Profanity's on top of libstrophe (which has none): again after --reconnect-delay (Profanity: 30 s), whatever ended the stream",
  },
  xmppjs: {
    name: 'xmppjs',
    label: '@xmpp/client 0.14 (no helper)',
    command: [process.execPath, '--import', 'tsx', join(HERE, 'xmppjs-client.ts')],
    capsNode: 'https://xmpp.js.org',
    streamManagement: 'built in, on, resumption on',
    reconnect: "@xmpp/reconnect's own: 1 s after every disconnect; follows <see-other-host> by itself",
  },
}

export type HarnessEvent =
  | {event: 'ready'; t: number; library: string; version: string; capsNode: string}
  | {event: 'online'; t: number; user: string; jid: string; host: string | null; port: number | null}
  | {event: 'resumed'; t: number; user: string; jid: string; host: string | null; port: number | null}
  | {event: 'disconnected'; t: number; user: string; condition: string | null; text: string | null; seeOtherHost: string | null; reconnect: boolean}
  | {event: 'offline'; t: number; user: string; reason: string}
  | {event: 'message'; t: number; user: string; from: string | null; id: string | null; body: string}
  | {
      event: 'iq'
      t: number
      user: string
      from: string | null
      id: string | null
      type: string | null
      namespace: string | null
      answer: 'result' | 'error' | null
      condition: string | null
    }
  | {event: 'sent'; t: number; user: string; to: string; id: string}
  | {event: 'connect-failed'; t: number; user?: string; message: string}
  | {event: 'error'; t: number; user?: string; message: string}
  | {event: 'stopped'; t: number}

export interface HarnessOptions {
  domain: string
  dnsPort: number
  /** The lab CA (also NODE_EXTRA_CA_CERTS for the Node harness). */
  ca: string
  users: string[]
  password: string
  resource?: string
  reconnectDelayMs?: number
}

export class Harness {
  readonly events: HarnessEvent[] = []
  readonly stderr: string[] = []
  private readonly child: ChildProcessWithoutNullStreams
  private readonly waiters = new Set<() => void>()
  private exited = false

  /** Whether the client process is still running (for a test's diagnosis of a client that went quiet). */
  get running(): boolean {
    return !this.exited
  }

  constructor(
    readonly library: Library,
    options: HarnessOptions,
  ) {
    const [command, ...args] = library.command
    if (!existsSync(command)) throw new Error(`${command} is missing: run test/clients/install.sh`)
    args.push(
      '--domain',
      options.domain,
      '--dns-port',
      String(options.dnsPort),
      '--ca',
      options.ca,
      '--users',
      options.users.join(','),
      '--caps-node',
      library.capsNode,
    )
    if (options.resource) args.push('--resource', options.resource)
    if (options.reconnectDelayMs !== undefined) args.push('--reconnect-delay', String(options.reconnectDelayMs))
    this.child = spawn(command, args, {
      cwd: REPO,
      // The password never goes in argv (ps shows argv to every user).
      env: {...process.env, XMPP_PASSWORD: options.password, NODE_EXTRA_CA_CERTS: options.ca, PYTHONUNBUFFERED: '1'},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let buffered = ''
    this.child.stdout.setEncoding('utf8')
    this.child.stdout.on('data', (chunk: string) => {
      buffered += chunk
      let newline
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        if (!line.trim()) continue
        try {
          this.events.push(JSON.parse(line) as HarnessEvent)
        } catch {
          this.stderr.push(`(not JSON on stdout) ${line}`)
        }
      }
      this.wake()
    })
    this.child.stderr.setEncoding('utf8')
    this.child.stderr.on('data', (chunk: string) => this.stderr.push(chunk))
    this.child.on('exit', () => {
      this.exited = true
      this.wake()
    })
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  send(command: Record<string, unknown>): void {
    if (!this.exited) this.child.stdin.write(`${JSON.stringify(command)}\n`)
  }

  sendMessage(user: string, to: string, body: string): void {
    this.send({cmd: 'send', user, to, body})
  }

  /** Events of one kind (and user), in order. */
  of<K extends HarnessEvent['event']>(event: K, user?: string): Extract<HarnessEvent, {event: K}>[] {
    return this.events.filter((e): e is Extract<HarnessEvent, {event: K}> => e.event === event && (user === undefined || (e as {user?: string}).user === user))
  }

  /** Resolves with the first value `probe` returns that is not undefined; rejects after `ms`. */
  waitFor<T>(probe: () => T | undefined, ms: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe()
        if (value !== undefined) {
          done()
          resolve(value)
        } else if (this.exited) {
          done()
          reject(new Error(`${this.library.name} exited while waiting for ${what}: ${this.stderr.join('').slice(-800)}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(
          new Error(
            `${this.library.name}: no ${what} within ${ms} ms; last events: ${JSON.stringify(this.events.slice(-5))} ${this.stderr.join('').slice(-500)}`,
          ),
        )
      }, ms)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  /** Waits for the n-th (1-based) event of a kind for a user, counting from `since` (an index into events). */
  nth<K extends HarnessEvent['event']>(event: K, user: string, since: number, ms: number): Promise<Extract<HarnessEvent, {event: K}>> {
    return this.waitFor(
      () => this.events.slice(since).find((e): e is Extract<HarnessEvent, {event: K}> => e.event === event && (e as {user?: string}).user === user),
      ms,
      `${event} of ${user}`,
    )
  }

  async stop(ms = 5000): Promise<void> {
    if (this.exited) return
    this.send({cmd: 'stop'})
    this.child.stdin.end()
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms)
    await exited
    clearTimeout(timer)
  }
}
