import pLimit from 'p-limit'
import xml, {type Element} from '@xmpp/xml'

import {IqTimeoutError} from '../connection/iq-exchange.js'
import {RedirectError} from '../connection/follow-redirects.js'
import {ackOf} from '../engine/packet-senders.js'
import type {Config} from '../config/config-schema.js'
import {ackToText} from '../model/ack.js'
import type {SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'
import type {SessionInfo} from '../model/session.js'
import type {PreflightSummary} from '../engine/report.js'
import {NS_CXFR, NS_DISCO_INFO, NS_SRVXFR} from '../protocol/index.js'
import {listSessions} from './list-sessions.js'

export interface ProbeRow {
  jid: string
  node: string
  /** The client's answer to disco#info: `result`, `error:<condition>` or `timeout`. */
  answer: string
  srvxfr: boolean
  cxfr: boolean
}

/** Ask each session's client (disco#info) whether it advertises the transfer namespaces. */
export async function probeSessions(
  /** An iq to a session on its node, on the admin's own session. */
  request: (node: string, iq: Element, timeoutMs: number) => Promise<Element>,
  sessions: Array<Pick<SessionInfo, 'jid' | 'node'>>,
  {concurrency = 32, timeoutMs = 5_000} = {},
): Promise<ProbeRow[]> {
  const limit = pLimit(concurrency)
  return Promise.all(
    sessions.map((session) =>
      limit(async (): Promise<ProbeRow> => {
        const row = {jid: session.jid, node: session.node, srvxfr: false, cxfr: false}
        let answer: Element
        try {
          answer = await request(session.node, xml('iq', {type: 'get', to: session.jid}, xml('query', {xmlns: NS_DISCO_INFO})), timeoutMs)
        } catch (error) {
          if (error instanceof IqTimeoutError) return {...row, answer: 'timeout'}
          return {...row, answer: `error:${error instanceof RedirectError ? 'redirect' : 'failed'}`}
        }
        const features = new Set(
          answer
            .getChild('query', NS_DISCO_INFO)
            ?.getChildren('feature')
            .map((feature) => feature.attrs.var) ?? [],
        )
        return {...row, answer: ackToText(ackOf(answer)), srvxfr: features.has(NS_SRVXFR), cxfr: features.has(NS_CXFR)}
      }),
    ),
  )
}

export function summarizeProbe(rows: ProbeRow[]): PreflightSummary {
  return {
    probed: rows.length,
    answered: rows.filter((row) => row.answer === 'result').length,
    srvxfr: rows.filter((row) => row.srvxfr).length,
    cxfr: rows.filter((row) => row.cxfr).length,
    either: rows.filter((row) => row.srvxfr || row.cxfr).length,
  }
}

export interface ProbeRequest {
  node?: string
  jids?: string[]
}

/** `xtransfer probe`: the selected sessions (the admin's own left out), asked on the admin's link. */
export async function probeCluster(
  config: Config,
  {directory, control}: {directory: SessionDirectory; control: Pick<SessionControl, 'request'>},
  request: ProbeRequest,
): Promise<{summary: PreflightSummary; sessions: ProbeRow[]}> {
  const sessions = request.node
    ? await listSessions(config, directory, {node: request.node})
    : (await Promise.all((request.jids ?? []).map((jid) => listSessions(config, directory, {user: jid})))).flat()
  const rows = await probeSessions(
    (node, iq, timeoutMs) => control.request(node, iq, timeoutMs),
    sessions.filter((session) => session.bare !== config.admin.jid),
  )
  return {summary: summarizeProbe(rows), sessions: rows}
}
