// What the bench asks a fleet worker over IPC, and what each command answers. One table,
// so the pool (parent) and the worker (child) cannot drift apart.
import type {TransferMode} from '../../src/client/index.js'
import type {FleetUserStats} from '../../src/fleet/index.js'
import type {SenderOptions, SenderReport} from './message-sender.js'

/** A worker's events since the last `collect`: tuples keep a 5,000-user log small over IPC. */
export interface WorkerLog {
  /** [t, login ms] of every first login. */
  online: [t: number, ms: number][]
  loginFailed: number
  loginErrors: string[]
  packets: [user: string, t: number][]
  transferred: [user: string, t: number, ms: number, to: string][]
  transferFailed: [user: string, t: number, error: string][]
  refused: number
  /** A session ended with none bound. */
  offline: [user: string, t: number][]
  /** When @xmpp/reconnect started an attempt (baselines). */
  reconnecting: number[]
  /** Bound again after a kick or a stopped node (baselines). */
  rebound: [user: string, t: number][]
  /** Of the rebounds: XEP-0198 resumptions (the rest were new sessions). */
  resumed: number
  reconnectErrors: number
  reconnectErrorSample: string[]
  crashes: number
  crashSample: string[]
  /** The bench sender's messages: 1 in the last field if it came through offline storage. */
  messages: [user: string, tag: string, seq: number, sentAt: number, at: number, delayed: 0 | 1][]
}

export interface LoginGroup {
  service: string
  users: string[]
}

export interface FleetBasics {
  password: string
  domain: string
  parallelism: number
  mode: TransferMode
  trustedAdmins: string[]
  loginTimeout: number
  presence: boolean
}

/** Unmodified @xmpp/client apps (fleet/ordinary-clients.ts): log in at `service`, reconnect to `reconnectTo[user]`. */
export interface OrdinaryLogin {
  password: string
  domain: string
  parallelism: number
  reconnectDelayMs: number
  loginTimeout: number
  groups: (LoginGroup & {reconnectTo: Record<string, string>})[]
}

export interface WorkerMemory {
  rssMb: number
  hwmMb: number
}

export interface WorkerCommands {
  /** Log in groups of users, one startFleet per service, together sharing `parallelism`. */
  login: {args: FleetBasics & {groups: LoginGroup[]}; result: {startedAt: number; endedAt: number; online: number; failures: string[]}}
  loginOrdinary: {args: OrdinaryLogin; result: {startedAt: number; endedAt: number; online: number; failures: string[]}}
  /** Baselines: turn each client's auto-reconnect on, pointed at the node it should come back to. */
  armReconnect: {args: {serviceOf: Record<string, string>}; result: {armed: number}}
  /** Per-user stats (unless withStats is false), the events since the last collect (then reset), this process's cost. */
  collect: {
    args: {withStats?: boolean}
    result: {stats: FleetUserStats[]; log: WorkerLog; streamManagement: number; cpu: NodeJS.CpuUsage; memory: WorkerMemory}
  }
  /** Cheap progress, nothing reset. */
  counts: {
    args: Record<string, never>
    result: {
      online: number
      byService: Record<string, number>
      transferred: number
      rebound: number
      messages: number
      cpu: NodeJS.CpuUsage
      memory: WorkerMemory
    }
  }
  /** Every bench message ever seen, by tag: seq, negative when its first copy came through storage. */
  seen: {args: Record<string, never>; result: Record<string, number[]>}
  sendStart: {args: SenderOptions; result: {startedAt: number}}
  sendStop: {args: {graceMs: number}; result: SenderReport}
  stop: {args: Record<string, never>; result: {ms: number}}
}

export type WorkerCommand = keyof WorkerCommands

export interface WorkerRequest<C extends WorkerCommand = WorkerCommand> {
  id: number
  cmd: C
  args: WorkerCommands[C]['args']
}

export type WorkerAnswer = {id: number; ok: true; result: unknown} | {id: number; ok: false; error: string}

/** The first message a worker sends: it is listening. */
export interface WorkerReady {
  ready: true
}
