// What bench/preload/startup-marks.ts records in the CLI, and the start-up phases read from it.

/** Epoch milliseconds (performance.timeOrigin + performance.now() in the CLI). */
export interface StartupMarks {
  timeOrigin: number
  preloadAt: number
  files: Array<{path: string; at: number; doneAt: number}>
  calls: Array<{command: string; at: number; doneAt: number; status: number}>
  connects: Array<{port: number; at: number}>
  tls?: {at: number; secureAt: number}
  /** The journal's first line (`run` or `resumed`): the plan is done, the run begins. */
  runOpened?: {at: number; cpuMs: number}
  /** The journal's first `sending` line. */
  firstPacket?: {at: number; cpuMs: number}
  exitAt: number
  cpuMsAtExit: number
}

/** One start-up, in milliseconds from the spawn; null where the mark is missing. */
export interface StartupPhases {
  /** spawn → our preload runs: Node's own start. */
  boot: number | null
  /** → the config file is read: oclif, the command's modules, the flags. */
  load: number | null
  /** → the first API call goes out: the config (YAML, schema) and the password. */
  configAndPassword: number | null
  /** → the journal opens: the plan's API calls (abilities, nodes, the listing) and the plan. */
  plan: number | null
  /** → the first packet: the admin's login (and the token), the journal, the pacer. */
  runStart: number | null
  /** … of which the admin's login and first packet: its TCP connect to the first packet (STARTTLS, SASL, bind). */
  adminLogin: number | null
  /** spawn → the first packet. */
  toFirstPacket: number | null
  /** spawn → exit. */
  wall: number
  /** CPU of the CLI until the first packet, and in all. */
  cpuToFirstPacket: number | null
  cpu: number
  /** API calls made before the first packet: command names in order. */
  callsBeforeFirstPacket: string[]
}

export function startupPhases(marks: StartupMarks, spawnedAt: number, {configPath, apiPorts}: {configPath: string; apiPorts: number[]}): StartupPhases {
  const config = marks.files.find((file) => file.path === configPath)
  const firstCall = marks.calls[0]
  const adminConnect = marks.connects.find((connect) => connect.port > 0 && !apiPorts.includes(connect.port))
  const packetAt = marks.firstPacket?.at
  const span = (from: number | undefined, to: number | undefined) => (from === undefined || to === undefined ? null : Math.round(to - from))
  return {
    boot: span(spawnedAt, marks.preloadAt),
    load: span(marks.preloadAt, config?.at),
    configAndPassword: span(config?.at, firstCall?.at),
    plan: span(firstCall?.at, marks.runOpened?.at),
    runStart: span(marks.runOpened?.at, packetAt),
    adminLogin: span(adminConnect?.at, packetAt),
    toFirstPacket: span(spawnedAt, packetAt),
    wall: Math.round(marks.exitAt - spawnedAt),
    cpuToFirstPacket: marks.firstPacket ? Math.round(marks.firstPacket.cpuMs) : null,
    cpu: Math.round(marks.cpuMsAtExit),
    callsBeforeFirstPacket: marks.calls.filter((call) => packetAt === undefined || call.at < packetAt).map((call) => call.command),
  }
}
