import pLimit from 'p-limit'
import xml, {Element} from '@xmpp/xml'

import type {SessionInfo} from '../directories/session-directory.js'
import {ackOf} from '../engine/packet-senders.js'
import type {PreflightSummary} from '../engine/report.js'
import {NS_CXFR, NS_DISCO_INFO, NS_SRVXFR} from '../protocol/index.js'

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
  request: (iq: Element, timeoutMs: number) => Promise<Element>,
  sessions: Array<Pick<SessionInfo, 'jid' | 'node'>>,
  {concurrency = 32, timeoutMs = 5_000} = {},
): Promise<ProbeRow[]> {
  const limit = pLimit(concurrency)
  return Promise.all(sessions.map((session) => limit(async (): Promise<ProbeRow> => {
    const row = {jid: session.jid, node: session.node, srvxfr: false, cxfr: false}
    let answer: Element
    try {
      answer = await request(xml('iq', {type: 'get', to: session.jid}, xml('query', {xmlns: NS_DISCO_INFO})), timeoutMs)
    } catch (error) {
      if ((error as Error).name === 'IqTimeoutError') return {...row, answer: 'timeout'}
      return {...row, answer: `error:${(error as Error).name === 'RedirectError' ? 'redirect' : 'failed'}`}
    }
    const features = new Set(answer.getChild('query', NS_DISCO_INFO)?.getChildren('feature').map((feature) => feature.attrs.var) ?? [])
    return {...row, answer: ackOf(answer), srvxfr: features.has(NS_SRVXFR), cxfr: features.has(NS_CXFR)}
  })))
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
