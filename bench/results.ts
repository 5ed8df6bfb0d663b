// The shape of bench/results/<date>-<N>.json: what every phase measured. The renderers
// (render/) and the targets (analysis/targets.ts) read only this; a stored file of an
// earlier run is read as the same shape (fields added since are then missing).
import type {ApiCost} from './lab/api-cost.js'
import type {CpuDelta} from './lab/proc-stats.js'
import type {ViewFigures} from './analysis/messages.js'
import type {StaleRouteFigures} from './analysis/stale-routes.js'
import type {Spread} from './analysis/stats.js'
import type {ProfileSummary} from './analysis/cpu-profile.js'

export interface BenchResult {
  date: string
  machine: {cores: number; cpuModel: string | null; memoryGb: number | null; node: string; loadAvgAtStart: (number | null)[]}
  settings: RunSettings
  /** What one directory call costs the server, by when and what was measured. */
  directoryCost: {idle?: ApiCost[]; [measured: string]: ApiCost | ApiCost[] | undefined}
  phases: BenchPhases
  /** The machine's 1-minute load average when each phase started and ended (it is shared). */
  loadAvg1m?: Partial<Record<PhaseKey, [start: number, end: number]>>
  profiles?: ProfileSummary
  targets?: Target[]
}

export interface RunSettings {
  users: number
  workers: number
  parallelismPerWorker: number
  sampleMs: number
  sampler: string
  kickParallel: number
  waitS: number
  profile: boolean
  phases: string[]
  fleet: string
  lab: {
    nodes: {name: string; server: string; c2s: number; api: string}[]
    /**
     * mod_xtransfer's forward_late (ms): how long a moved session's old process forwards what
     * still reaches it (docs/servers.md); null without the companion. Missing in runs before it.
     */
    forwardLateMs?: number | null
  }
  messages?: MessageSettings
  /** The main drain's --rate and why; set once the floor is measured (or not). */
  rate?: {chosen: number; why: string}
}

export interface MessageSettings {
  ratePerS: number
  receivers: number
  perReceiverPerS: number | null
  graceMs: number
  sender: string
  serverModules: ServerModules | null
}

/** What the lab's ejabberd.yml turns on that decides a message's fate. */
export interface ServerModules {
  mod_offline: boolean
  maxUserOfflineMessages: string | null
  mod_stream_mgmt: boolean
  resumeTimeoutS: string | null
  resendOnTimeout: string
}

/** result.phases: one key per phase that ran (phases/index.ts says which name writes which key). */
export interface BenchPhases {
  floor?: FloorFigures
  drain?: DrainFigures
  /** No pace flag: --rate auto. */
  drainDefault?: DrainFigures
  drain50?: DrainFigures
  drainBbm?: DrainFigures
  /** Unmodified @xmpp/client apps, the default ladder. */
  drainOrdinary?: DrainFigures
  kick?: KickFigures
  stopNode?: StopNodeFigures
}

export type PhaseKey = keyof BenchPhases

/** Seconds from the phase's origin, then sessions per node name; callMs: how long the sample's call took. */
export interface TimelinePoint {
  t: number
  callMs: number
  [node: string]: number
}

export interface CpuFigures {
  wallS: number | null
  serverS: CpuDelta
  fleetS: number | null
  benchS: number | null
  machineBusyS: number | null
  machineIdleS: number | null
  fleetRssMb: number[]
}

export interface FleetSetup {
  timeS: number | null
  loginsPerS: number | null
}

export interface GapFigures extends Spread {
  usersWithGap: number
}

export interface FloorFigures {
  what: string
  users: number
  online: number
  timeS: number | null
  online99S: number | null
  loginsPerS: number | null
  peakLoginsPerS: number
  loginMs: Spread
  failedLogins: number
  failedLoginSample: string[]
  fleetStartFailures: string[]
  cpu: CpuFigures
  timeline: TimelinePoint[]
  samplerFailures: number
}

export interface DrainFigures {
  what: string
  /** `auto`: no pace flag (the default). */
  rate: number | 'auto'
  mode: string
  /** Who held the sessions (absent in runs before 2026-12-02: the helper's fleet). */
  population?: 'helper' | 'ordinary'
  users: number
  fleetSetup: FleetSetup
  cli: {
    exitCode: number | null
    timedOut: boolean
    wallS: number | null
    untilFirstPacketS: number | null
    afterLastTrackedS: number | null
    cpuS: number | null
    userCpuS: number | null
    systemCpuS: number | null
    peakRssMb: number | null
    peakRssSource: string
  }
  sentS: number | null
  packetsPerS: number | null
  reconnected99S: number | null
  reconnected100S: number | null
  tracked99S: number | null
  tracked100S: number | null
  peakReloginsPerS: number
  latencyMs: Spread
  fleetMoveMs: Spread
  report: {summary: ReportSummary; acks: Record<string, number>; error: string | null} | null
  /** The report's pace: each change of the moves-per-second allowed (atMs from runStartedAt). */
  pace?: {atMs: number; rate: number; reason: string}[]
  /** Epoch ms: the run's start (its journal's first line), and its first packet. */
  runStartedAt?: number | null
  firstPacketAt?: number | null
  /** Moves started in each second from the first packet (journal; every rung). */
  startsPerS?: [second: number, moves: number][]
  /** From the first packet until node-1 counted no user session, for good (sampler). */
  emptyS?: number | null
  /** Node-1's own count once the clients settled (a session waiting for resumption counts). */
  leftOnSource?: number | null
  /** Rebinds that were XEP-0198 resumptions (ordinary clients). */
  resumed?: number
  trackedToRightNode: number
  failedLogins: number
  failedLoginSample: string[]
  clientLibraryCrashes: number
  fleetSettled: boolean
  notMovedByFleet: Record<string, number>
  offlineGapMs: GapFigures
  messages: MessageFigures | null
  withStreamManagement: number
  directory: DirectorySummary | null
  cpu: CpuFigures
  timeline: TimelinePoint[]
  samplerFailures: number
  files: Record<string, string>
}

/** The part of xtransfer's --json report the bench keeps (its summary is xtransfer's own). */
export interface ReportSummary {
  moved: number
  [count: string]: unknown
}

/** What the clients and the messages saw after a kick-all or a stopped node. */
export interface ComeBackFigures {
  back99S: number | null
  back100S: number | null
  backOnline: number
  allBack: boolean
  peakLoginsPerS: number
  meanLoginsPerS: number | null
  reconnectAttempts: number
  failedLogins: number
  clientErrors: number
  clientErrorSample: string[]
  clientLibraryCrashes: number
  clientLibraryCrashSample: string[]
  offlineGapMs: GapFigures
  messages: MessageFigures | null
  withStreamManagement: number
  byNodeAfter: Record<string, number>
  cpu: CpuFigures
  timeline: TimelinePoint[]
  samplerFailures: number
}

export interface KickFigures extends ComeBackFigures {
  what: string
  users: number
  fleetSetup: FleetSetup
  kickS: number | null
  kicksPerS: number | null
  kickFailures: number
  kickFailureSample: string[]
}

export interface StopNodeFigures extends ComeBackFigures {
  what: string
  users: number
  fleetSetup: FleetSetup
  stopS: number | null
  stopExitCode: number | string | null
  restarted: boolean
}

export interface MessageFigures {
  tag: string
  sent: number
  delivered: number
  lost: number
  duplicated: number
  delayMs: Spread
  throughStorage: number
  bounced: number
  bounceConditions: Record<string, number>
  bouncedButDelivered: number
  lostWhen: Record<string, number>
  misrouted: number
  fromEarlierPhases: Record<string, number>
  sendingS: number | null
  senderProblems: {sendFailures: number; streamErrors: string[]; droppedAtS: number | null}
  lostByUser: Record<string, number>
  viewOfTheSendersNode?: ViewFigures
  /** BENCH_ROUTE_PROBE=1 (issue 14 §3b). */
  staleRoutes?: StaleRouteFigures
  lostSample: [user: string, seq: number, sentAtS: number | null, detail: string, bounce: string | null][]
  duplicateSample: [user: string, seq: number, sentAtS: number | null, how: string][]
  /** Added after the phase: what offline storage still held for the receivers that lost some. */
  stillInOfflineStorage?: Record<string, number | null>
  /** Added after the last phase (late arrivals settled). */
  arrivedLater?: {live: number; fromStorage: number}
  neverArrived?: number
}

export interface DirectorySummary {
  calls: number
  bytes: number
  byCommand: Record<string, {calls: number; bytes: number; ms: number}>
  whileWatching: {
    listings: number
    listingBytesPerCall: number | null
    listingMsPerCall: number | null
    pendingAtListings: {max: number; min: number} | null
    bytesPerPendingAtLastListing: number | null
    perUserCalls: number
  }
  polls: [at: number, command: string, bytes: number, ms: number, pending: number][]
  pollsFormat: string[]
}

export interface Target {
  target: string
  value: string
  /** null: not applicable at this N or pace. */
  met: boolean | null
}
