import {Command, type Interfaces} from '@oclif/core'

import {type Cluster, openCluster} from '../cluster/open-cluster.js'
import {type Config} from '../config/config-schema.js'
import {loadConfig} from '../config/load-config.js'
import {resolvePassword} from '../config/password.js'
import {EXIT, XtransferError, UsageError} from '../errors.js'
import {clusterFlags} from './flags.js'
import {outputFromArgv} from './output.js'
import {describeParseError} from './parse-errors.js'
import {askPassword} from './prompts.js'
import {canPrompt} from './terminal.js'

type ClusterFlags = Partial<Pick<Interfaces.InferredFlags<typeof clusterFlags>, 'config' | 'password-file' | 'debug'>>

/** What every cluster command shares: config, the admin password, and one-line errors with their exit codes. */
export abstract class ClusterCommand extends Command {
  static baseFlags = clusterFlags
  static enableJsonFlag = true

  protected debugEnabled = false
  private loadedConfig: (Config & {path: string}) | undefined
  private cluster: Cluster | undefined

  /** Every parse failure (unknown flag, bad value, missing argument) is a usage error on one line. */
  // oclif's own signature for parse(): its flag and argument types are open-ended.

  protected async parse<F extends Interfaces.OutputFlags<any>, B extends Interfaces.OutputFlags<any>, A extends Interfaces.OutputArgs<any>>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    let parsed: Interfaces.ParserOutput<F, B, A>
    try {
      parsed = await super.parse(options, argv)
    } catch (error) {
      throw new UsageError(
        describeParseError(error as Error, {...this.ctor.baseFlags, ...(options ?? this.ctor).flags, ...(this.ctor.enableJsonFlag ? {json: {}} : {})}),
      )
    }
    this.debugEnabled = Boolean((parsed.flags as {debug?: boolean}).debug)
    return parsed
  }

  /**
   * `--json`, or `-o json`: oclif then prints what run() returns, and errors as an object.
   * Read from argv like oclif's own check, so a parse error under `-o json` is JSON too.
   */
  jsonEnabled(): boolean {
    return super.jsonEnabled() || (Boolean(this.ctor.enableJsonFlag) && outputFromArgv(this.argv) === 'json')
  }

  /** `-o ndjson`: every line of stdout is one JSON object, errors included. */
  protected ndjsonEnabled(): boolean {
    return outputFromArgv(this.argv) === 'ndjson'
  }

  /** The config, read once per command. */
  protected async loadConfig(flags: Pick<ClusterFlags, 'config'>): Promise<Config & {path: string}> {
    this.loadedConfig ??= await loadConfig({flag: flags.config})
    return this.loadedConfig
  }

  /** The admin password, then the cluster's directory and control (nothing connects until used). */
  protected async openCluster(flags: ClusterFlags): Promise<{config: Config & {path: string}; password: string; cluster: Cluster}> {
    const config = await this.loadConfig(flags)
    const password = await this.adminPassword(config, flags)
    this.cluster = openCluster({config, password, trace: this.trace(), debug: this.debugLine()})
    return {config, password, cluster: this.cluster}
  }

  /** Connections let go, however the command ended. */
  protected async finally(error: Error | undefined): Promise<unknown> {
    await this.cluster?.close()
    return super.finally(error)
  }

  protected async adminPassword(config: Config, flags: ClusterFlags): Promise<string> {
    return resolvePassword({
      fileFlag: flags['password-file'],
      configFile: config.admin.passwordFile,
      prompt: canPrompt() ? () => askPassword(config.admin.jid) : undefined,
    })
  }

  /** --debug notes (which URL or service answered, each API call), on stderr. */
  protected debugLine(): ((line: string) => void) | undefined {
    if (!this.debugEnabled) return undefined
    return (line) => process.stderr.write(`-- ${line}\n`)
  }

  /** XML traces for --debug, on stderr. */
  protected trace(): ((direction: 'in' | 'out', xml: string) => void) | undefined {
    if (!this.debugEnabled) return undefined
    return (direction, xml) => process.stderr.write(`${direction === 'in' ? '<<' : '>>'} ${xml}\n`)
  }

  /**
   * One line on stderr (or an error object under --json) and the documented
   * exit code; a stack trace only with --debug.
   */
  async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    // Ctrl-C at a prompt: inquirer's "User force closed the prompt" is no error of ours.
    if (error.name === 'ExitPromptError') {
      process.exitCode = EXIT.interrupted
      return undefined
    }
    const exitCode = error instanceof XtransferError ? error.exitCode : (error.oclif?.exit ?? EXIT.internal)
    if (error.oclif?.exit === 0) return super.catch(error as never) // --help, --version
    const message = (error.message || String(error)).split('\n')[0]
    const described = {message, exitCode, kind: error instanceof XtransferError ? error.name : 'Error'}
    if (this.ndjsonEnabled()) {
      process.stdout.write(`${JSON.stringify({type: 'error', error: described})}\n`)
    } else if (this.jsonEnabled()) {
      this.logJson({error: described})
    } else {
      process.stderr.write(`xtransfer: ${message}\n`)
    }
    if (this.debugEnabled || exitCode === EXIT.internal) process.stderr.write(`${error.stack}\n`)
    process.exitCode = exitCode
    return undefined
  }
}
