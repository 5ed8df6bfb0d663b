import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const SOCKET = `xtransfer-test-${process.pid}`

/** The CLI in a real pseudo-terminal (tmux), driven by keystrokes, read from the screen. */
export class Terminal {
  private constructor(readonly name: string) {}

  /**
   * `env`: added to the test's own; null leaves a variable out. An operator's terminal is no
   * CI job (the test run may be one: CI=true turns prompts off) and forces no colour.
   */
  static start(args: string[], env: Record<string, string | null> = {}): Terminal {
    const name = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
    const vars = Object.entries({NO_COLOR: '1', XTRANSFER_PASSWORD: '', CI: null, FORCE_COLOR: null, ...env})
    // env(1) takes its -u options before the first NAME=VALUE.
    const exports = [
      ...vars.flatMap(([key, value]) => (value === null ? [`-u ${key}`] : [])),
      ...vars.flatMap(([key, value]) => (value === null ? [] : [`${key}=${shellQuote(value)}`])),
    ].join(' ')
    const command = `env ${exports} ${shellQuote(process.execPath)} ${shellQuote(BIN)} ${args.map(shellQuote).join(' ')}; echo "[exit $?]"; sleep 600`
    tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50', command)
    return new Terminal(name)
  }

  /** What the terminal shows; with `escapes`, its colours as escape codes too. */
  screen(options: {escapes?: boolean} = {}): string {
    return tmux('capture-pane', '-p', '-J', ...(options.escapes ? ['-e'] : []), '-S', '-200', '-t', this.name)
  }

  /** Keys as tmux names them: 'Enter', 'Down', 'Space', or literal text with literal=true. */
  type(text: string): void {
    tmux('send-keys', '-t', this.name, '-l', text)
  }

  press(...keys: string[]): void {
    tmux('send-keys', '-t', this.name, ...keys)
  }

  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = this.screen()
      if (pattern.test(screen)) return screen
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on the screen:\n${screen}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** Wait for the command to end; its exit code. */
  async exitCode(timeoutMs = 60_000): Promise<number> {
    const screen = await this.waitFor(/\[exit \d+\]/, timeoutMs)
    return Number(/\[exit (\d+)\]/.exec(screen)![1])
  }

  close(): void {
    try {
      tmux('kill-session', '-t', this.name)
    } catch {
      // Already gone.
    }
  }
}

export function stopTerminals(): void {
  try {
    tmux('kill-server')
  } catch {
    // No server running.
  }
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], {encoding: 'utf8'})
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}
