import {Flags} from '@oclif/core'
import parseDuration from 'parse-duration'

import {ALL_METHODS, parseMethods} from '../engine/ladder/methods.js'
import {transferOutputFlags} from './output.js'

/** Flags every command that talks to the cluster takes. */
export const clusterFlags = {
  config: Flags.string({char: 'c', description: 'config file (default: $XTRANSFER_CONFIG, then ~/.config/xtransfer/config.yaml)', helpGroup: 'CLUSTER'}),
  'password-file': Flags.string({description: 'file holding the admin password (mode 600); or set XTRANSFER_PASSWORD', helpGroup: 'CLUSTER'}),
  debug: Flags.boolean({description: 'print XML traces (SASL redacted) and stack traces on stderr', helpGroup: 'CLUSTER'}),
}

/** A duration with a unit: 500ms, 60s, 2m. */
export function durationFlag(options: {description: string; default: string}) {
  return Flags.custom<number>({
    description: options.description,
    default: async () => parseDurationOrThrow(options.default),
    defaultHelp: async () => options.default,
    parse: async (input) => parseDurationOrThrow(input),
  })()
}

/** A bound on the whole run, like kubectl drain --timeout: none unless given. */
export const timeoutFlag = Flags.custom<number>({
  description: 'stop the whole run after this long (e.g. 10m): sending stops, what is pending is reported, exit 7; resume it later',
  parse: async (input) => parseDurationOrThrow(input),
})()

export function parseDurationOrThrow(input: string): number {
  if (!/[a-z]\s*$/i.test(input)) throw new Error(`"${input}" needs a unit, e.g. 60s, 2m or 500ms`)
  const ms = parseDuration(input)
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) throw new Error(`"${input}" is not a duration like 60s, 2m or 500ms`)
  return Math.round(ms)
}

function numberFlag(options: {description: string; default: number; min: number; max: number; integer?: boolean}) {
  return Flags.custom<number>({
    description: options.description,
    default: options.default,
    parse: async (input) => {
      const value = Number(input)
      if (input.trim() === '' || !Number.isFinite(value) || (options.integer && !Number.isInteger(value)) || value < options.min || value > options.max) {
        throw new Error(`"${input}" is not ${options.integer ? 'a whole number' : 'a number'} from ${options.min} to ${options.max}`)
      }
      return value
    },
  })()
}

/** Shared by move and drain (and the scenarios that reuse their engine). */
export const transferFlags = {
  namespace: Flags.string({
    description: 'transfer namespace to send: jabber:iq:srvxfr, urn:xmpp:cxfr, or one packet of each',
    options: ['srvxfr', 'cxfr', 'both'],
    default: 'srvxfr',
  }),
  from: Flags.string({
    description: "send on the admin's connection (acks come back) or as the bare domain through the directory API (acks not observable)",
    options: ['admin', 'domain'],
    default: 'admin',
  }),
  rate: Flags.custom<number | 'auto'>({
    description:
      "moves per second: auto (the default) starts low and follows what the cluster absorbs (the time from each move to the client's new bind); a number fixes the pace",
    default: 'auto',
    parse: async (input) => {
      if (input === 'auto') return 'auto'
      const value = Number(input)
      if (input.trim() === '' || !Number.isFinite(value) || value < 0.1 || value > 1000) throw new Error(`"${input}" is not auto or a number from 0.1 to 1000`)
      return value
    },
  })(),
  concurrency: numberFlag({description: 'transfers whose answer is awaited at once', default: 100, min: 1, max: 10_000, integer: true}),
  wait: durationFlag({description: 'how long after its packet a session may take to reconnect elsewhere', default: '60s'}),
  'ack-timeout': durationFlag({description: "how long to wait for a client's answer to the packet", default: '10s'}),
  fallback: Flags.string({
    description:
      'after --wait, close sessions still on their source that refused or ignored the packet (kick_session / end-user-session), so their own reconnect logic takes over',
    options: ['none', 'kick'],
    default: 'none',
  }),
  methods: Flags.string({
    description:
      'the ways to move a session, tried in this order until one works: packet (XEP-0051), handover (socket close, XEP-0198 resumes elsewhere), redirect (see-other-host), close (system-shutdown); all but packet need the server companion',
    default: ALL_METHODS.join(','),
    // Checked here, so a typo is a usage error before anything else (the value stays text).
    parse: async (input) => parseMethods(input).join(','),
  }),
  'dry-run': Flags.boolean({description: 'print the plan (who goes where) and send nothing'}),
  yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (needed when there is no terminal)'}),
  timeout: timeoutFlag,
  ...transferOutputFlags,
}
