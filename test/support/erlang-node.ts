// A hidden Erlang node of our own (`<prefix><pid>n<k>@localhost`, the lab's cookie, loopback
// only) that evaluates one program against a lab's ejabberd nodes, for what no API shows: the
// process of a session, a stanza sent straight to it (test/integration/companion-ejabberd), the
// pid a node routes to (bench/lab/route-probe). The program talks in lines: it prints with
// io:format and waits with io:get_line(""). The cookie never goes in argv (any user's `ps`
// shows argv): the program sets it from the environment.
import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {createInterface} from 'node:readline'

export interface ErlangNode {
  /** The program's next line of output (stdout or stderr); throws when it ends first or after `timeoutMs`. */
  nextLine(timeoutMs?: number): Promise<string>
  /** A line for the program's io:get_line(""). */
  send(line: string): void
  /** Ends the node (SIGTERM, SIGKILL after 3 s); resolves with the lines nobody read. */
  stop(): Promise<string[]>
}

let started = 0

/** Erlang binary syntax for a plain name (JID parts, node names); anything else is refused. */
export function erlBinary(text: string): string {
  if (!/^[A-Za-z0-9._@-]+$/.test(text)) throw new Error(`not a plain name: ${text}`)
  return `<<"${text}">>`
}

/** `program`: Erlang expressions separated by commas, with no final period (the node halts after them). */
export function startErlangNode(cookieFile: string, program: string, namePrefix = 'xttest'): ErlangNode {
  const cookie = readFileSync(cookieFile, 'utf8').trim()
  const child: ChildProcess = spawn(
    'erl',
    [
      '-noshell',
      '-sname',
      `${namePrefix}${process.pid}n${started++}@localhost`,
      '-hidden',
      '-kernel',
      'inet_dist_use_interface',
      '{127,0,0,1}',
      '-eval',
      `erlang:set_cookie(node(), list_to_atom(os:getenv("XTTEST_COOKIE"))), ${program}, halt().`,
    ],
    {env: {...process.env, XTTEST_COOKIE: cookie, ERL_CRASH_DUMP_SECONDS: '0'}, stdio: ['pipe', 'pipe', 'pipe']},
  )
  const lines: string[] = []
  const waiting: Array<(line: string | undefined) => void> = []
  let ended = false
  const push = (line: string | undefined) => {
    const waiter = waiting.shift()
    if (waiter) waiter(line)
    else if (line !== undefined) lines.push(line)
  }
  createInterface({input: child.stdout!}).on('line', push)
  createInterface({input: child.stderr!}).on('line', push)
  child.once('close', () => {
    ended = true
    while (waiting.length > 0) push(undefined)
  })
  return {
    nextLine(timeoutMs = 15_000) {
      const ready = lines.shift()
      if (ready !== undefined) return Promise.resolve(ready)
      if (ended) return Promise.reject(new Error('the Erlang node ended'))
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(done), 1)
          reject(new Error(`no line from the Erlang node within ${timeoutMs} ms`))
        }, timeoutMs)
        const done = (line: string | undefined) => {
          clearTimeout(timer)
          if (line === undefined) reject(new Error('the Erlang node ended'))
          else resolve(line)
        }
        waiting.push(done)
      })
    },
    send(line) {
      child.stdin?.write(`${line}\n`)
    },
    async stop() {
      if (!ended) {
        await new Promise<void>((resolve) => {
          child.once('close', () => resolve())
          child.kill('SIGTERM')
          setTimeout(() => child.kill('SIGKILL'), 3000).unref()
        })
      }
      return lines.splice(0)
    },
  }
}
