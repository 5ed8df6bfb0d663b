import type {RunEvent} from '../engine/run-transfers.js'
import {ackToText} from '../model/ack.js'
import {formatMs} from './format.js'

/**
 * --verbose: one line per step of a session, as it happens, stamped with the time since
 * the run started (`+12.345s`), so a slow rung or a late landing is seen where it happens.
 */
export function stepLine(event: RunEvent, sinceStartMs: number): string {
  const stamp = `+${(sinceStartMs / 1000).toFixed(3)}s`
  switch (event.type) {
    case 'retargeted':
      return `${stamp} ${event.item.jid}  retargeted: ${event.from} left the cluster, now → ${event.item.target.name}`
    case 'sending':
      return `${stamp} ${event.item.jid}  sending packet → ${event.item.target.name}`
    case 'sent':
      return `${stamp} ${event.record.jid}  sent: ${ackToText(event.record.ack)}${event.record.ackMs === null ? '' : ` in ${formatMs(event.record.ackMs)}`}`
    case 'acting':
      return `${stamp} ${event.item.jid}  ${event.method} → ${event.item.target.name}`
    case 'acted':
      return `${stamp} ${event.record.jid}  ${event.rung.method}: ${event.rung.result}${event.rung.reason ? ` (${event.rung.reason})` : ''}`
    case 'settled': {
      const {record} = event
      const where = record.reconnectedTo ? ` on ${record.reconnectedTo}` : ''
      const took = record.latencyMs === null ? '' : ` after ${formatMs(record.latencyMs)}`
      const how = record.method && record.outcome === 'moved' ? ` by ${record.method}` : ''
      return `${stamp} ${record.jid}  ${record.outcome}${where}${took}${how}`
    }
  }
}
