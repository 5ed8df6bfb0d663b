import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, test} from 'node:test'

import Ajv2020 from 'ajv/dist/2020.js'

import {buildReport} from '../../src/engine/report.js'
import type {RunEvent} from '../../src/engine/run-transfers.js'
import {ACK_NONE, ACK_RESULT, refused} from '../../src/model/ack.js'
import type {PlannedTransfer, TransferRecord} from '../../src/model/transfer.js'
import {parseServer, type ServerAddress} from '../../src/protocol/index.js'
import {eventLine, plannedEvent, runEvent, streamEvent, summaryEvent} from '../../src/render/events.js'

const readSchema = (name: string) => JSON.parse(readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8'))
const ajv = new Ajv2020.default({strict: true, strictTypes: true, allErrors: true, formats: {'date-time': (text: string) => !Number.isNaN(Date.parse(text))}})
// The events schema refers to the report's and the error's definitions by their $id.
ajv.addSchema(readSchema('report.schema.json'))
ajv.addSchema(readSchema('error.schema.json'))
const validators = Object.fromEntries(
  ['events', 'nodes', 'sessions', 'runs', 'probe', 'cordon'].map((name) => [name, ajv.compile(readSchema(`${name}.schema.json`))]),
)

function valid(schema: string, value: unknown) {
  const validate = validators[schema]
  assert.ok(validate(value), `${schema}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`)
}
function invalid(schema: string, value: unknown, why: string) {
  assert.equal(validators[schema](value), false, `${schema} should refuse: ${why}`)
}

const T0 = Date.parse('2026-12-01T10:00:00.000Z')
const item: PlannedTransfer = {
  jid: 'alice@example.test/phone',
  bare: 'alice@example.test',
  resource: 'phone',
  from: 'node-1',
  target: {name: 'node-2', address: (parseServer('10.0.0.4:5222') as {ok: true; value: ServerAddress}).value, isNode: true},
}
const record = (overrides: Partial<TransferRecord> = {}): TransferRecord => ({
  jid: item.jid,
  bare: item.bare,
  resource: item.resource,
  from: 'node-1',
  target: 'node-2',
  reconnectedTo: null,
  reconnectedJid: null,
  ack: ACK_RESULT,
  sentAt: T0 + 10,
  ackMs: 3,
  latencyMs: null,
  outcome: 'not-moved',
  method: null,
  rungs: [{method: 'packet', at: T0 + 10, result: 'done'}],
  ...overrides,
})

/** One of every event the engine emits, as a run would. */
const runEvents: RunEvent[] = [
  {type: 'retargeted', item, from: 'node-3'},
  {type: 'sending', item, at: T0 + 10},
  {type: 'sent', record: record({ack: refused('service-unavailable'), rungs: [{method: 'packet', at: T0 + 10, result: 'refused'}]})},
  {type: 'acting', item, method: 'redirect', at: T0 + 20},
  {
    type: 'acted',
    record: record({ack: ACK_NONE}),
    rung: {method: 'handover', at: T0 + 30, result: 'refused', reason: 'not-resumable'},
  },
  {type: 'settled', record: record({outcome: 'moved', reconnectedTo: 'node-2', reconnectedJid: item.jid, latencyMs: 640, method: 'redirect'})},
  {type: 'settled', record: record({outcome: 'went-offline'})},
]

describe('docs/events.schema.json: the lines of -o ndjson', () => {
  test('every engine event, the run and planned lines, and the summary are valid, one line each', () => {
    const report = buildReport({
      command: 'drain',
      source: 'node-1',
      targets: ['node-2'],
      dryRun: false,
      startedAt: T0,
      finishedAt: T0 + 5000,
      options: {namespace: 'srvxfr', from: 'admin', rate: 'auto', concurrency: 100, waitMs: 60_000, fallback: 'none'},
      acksObservable: true,
      records: [record({outcome: 'moved', reconnectedTo: 'node-2', reconnectedJid: item.jid, latencyMs: 640, method: 'packet'})],
      notSent: [],
      alreadyThere: 0,
      runId: '20261201T100000Z-drain-abcd',
      pace: [{atMs: 0, rate: 20, reason: 'start'}],
    })
    const lines = [
      runEvent({runId: '20261201T100000Z-drain-abcd', command: 'drain', source: 'node-1', targets: ['node-2'], sessions: 1, resumed: false}, T0),
      plannedEvent(item, T0),
      ...runEvents.map((event) => streamEvent(event, T0 + 100)),
      summaryEvent(report, 0, T0 + 5000),
    ].map(eventLine)
    for (const line of lines) {
      assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'one line')
      valid('events', JSON.parse(line))
    }
    const types = lines.map((line) => JSON.parse(line).type)
    assert.deepEqual(types, ['run', 'planned', 'retargeted', 'sending', 'sent', 'acting', 'acted', 'settled', 'settled', 'summary'])
    const summary = JSON.parse(lines.at(-1)!)
    assert.equal(summary.exitCode, 0)
    assert.equal(summary.summary.moved, 1)
    assert.equal('sessions' in summary, false, 'the rows were streamed, not repeated')
  })

  test('what each line says: times from the event itself, the address as written, the rung and its reason', () => {
    const [retargeted, sending, sent, acting, acted, moved] = runEvents.map((event) => streamEvent(event, T0 + 100))
    assert.deepEqual(retargeted, {
      type: 'retargeted',
      at: '2026-12-01T10:00:00.100Z',
      jid: item.jid,
      from: 'node-1',
      target: 'node-2',
      address: '10.0.0.4:5222',
      previousTarget: 'node-3',
    })
    assert.equal(sending.at, '2026-12-01T10:00:00.010Z')
    assert.deepEqual(sent, {type: 'sent', at: '2026-12-01T10:00:00.010Z', jid: item.jid, ack: 'error:service-unavailable', ackMs: 3})
    assert.deepEqual(acting, {type: 'acting', at: '2026-12-01T10:00:00.020Z', jid: item.jid, method: 'redirect'})
    assert.deepEqual(acted, {type: 'acted', at: '2026-12-01T10:00:00.030Z', jid: item.jid, method: 'handover', result: 'refused', reason: 'not-resumable'})
    assert.equal(moved.type === 'settled' && moved.method, 'redirect')
  })

  test('an error line, as the command prints it under -o ndjson', () => {
    valid('events', {type: 'error', error: {message: 'unknown node "node-9"', exitCode: 2, kind: 'UsageError'}})
    invalid('events', {type: 'error', error: {message: 'x', exitCode: 2}}, 'error without kind')
  })

  test('refuses what is not an event', () => {
    const sending = streamEvent(runEvents[1], T0)
    invalid('events', {...sending, type: 'sendng'}, 'unknown type')
    invalid('events', {...sending, extra: 1}, 'extra field')
    invalid('events', {...sending, at: T0}, 'at as a number')
    const {at: _, ...noTime} = sending
    invalid('events', noTime, 'no time')
    invalid('events', {...streamEvent(runEvents[5], T0), outcome: 'planned'}, 'planned is no settled outcome')
    invalid('events', {...streamEvent(runEvents[4], T0), method: 'kick'}, 'unknown rung')
  })
})

describe('schemas of the listing commands refuse what they do not describe', () => {
  test('nodes', () => {
    const node = {name: 'node-1', address: '10.0.0.3:5222', server: 'ejabberd@node1', seen: true, sessions: 3, cordoned: null}
    valid('nodes', {nodes: [node, {...node, name: 'ejabberd@node9', address: null, cordoned: true}]})
    invalid('nodes', {nodes: [{...node, sessions: -1}]}, 'negative count')
    invalid('nodes', {nodes: [{...node, cordoned: 'no'}]}, 'cordoned as text')
    invalid('nodes', [node], 'not wrapped')
  })

  test('sessions', () => {
    const session = {jid: 'a@example.test/r', bare: 'a@example.test', resource: 'r', node: 'node-1', server: 'x@y', uptimeSeconds: 5}
    valid('sessions', {sessions: [session, {...session, ip: '127.0.0.1', port: 5000, streamManagement: 'pending', resumable: false, capsNode: 'x'}]})
    invalid('sessions', {sessions: [{...session, jid: 'a@example.test'}]}, 'a bare JID')
    invalid('sessions', {sessions: [{...session, streamManagement: 'on'}]}, 'unknown SM state')
  })

  test('runs', () => {
    const run = {
      id: '20261201T100000Z-move-1a2b',
      command: 'move',
      source: null,
      targets: ['node-2'],
      startedAt: '2026-12-01T10:00:00.000Z',
      planned: 2,
      sent: 2,
      moved: 1,
      notMoved: 1,
      state: 'finished',
      exitCode: 1,
    }
    valid('runs', {runs: [run, {...run, state: 'unfinished', exitCode: null}]})
    invalid('runs', {runs: [{...run, state: 'done'}]}, 'unknown state')
    invalid('runs', {runs: [{...run, id: 'a b'}]}, 'id with a space')
  })

  test('probe and cordon', () => {
    const row = {jid: 'a@example.test/r', node: 'node-1', answer: 'error:service-unavailable', srvxfr: false, cxfr: false}
    valid('probe', {summary: {probed: 1, answered: 0, srvxfr: 0, cxfr: 0, either: 0}, sessions: [row]})
    invalid('probe', {summary: {probed: 1, answered: 0, srvxfr: 0, cxfr: 0, either: 0}, sessions: [{...row, answer: 'ok'}]}, 'answer outside the pattern')
    valid('cordon', {node: 'node-3', cordoned: true, mode: 'refuse'})
    valid('cordon', {node: 'node-3', cordoned: false})
    valid('cordon', {node: 'node-3', cordoned: true, mode: 'redirect', redirect: '127.0.0.1:5222'})
    invalid('cordon', {node: 'node-3', cordoned: true, mode: 'redirect', redirect: ''}, 'empty redirect')
    invalid('cordon', {node: 'node-3', cordoned: true, mode: 'drop'}, 'unknown mode')
  })
})
