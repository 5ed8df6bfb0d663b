import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, test} from 'node:test'

import Ajv2020 from 'ajv/dist/2020.js'
import fc from 'fast-check'

import {buildReport, type ReportInput, reportExitCode, type TransferReport} from '../../src/engine/report.js'
import {ackFromText} from '../../src/model/ack.js'
import type {Outcome, TransferRecord} from '../../src/model/transfer.js'
import {
  AuthError,
  ConfigError,
  DeclinedError,
  DirectoryError,
  TlsError,
  UnknownHostError,
  UnreachableError,
  UsageError,
  XtransferError,
} from '../../src/errors.js'

const readSchema = (name: string) => JSON.parse(readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8'))

// ajv is CommonJS: under Node16 typing the default import is the module, whose `default` is the class.
// strictTypes: the schema files must compile cleanly, not just leniently.
const ajv = new Ajv2020.default({strict: true, strictTypes: true, allErrors: true, formats: {'date-time': (text: string) => !Number.isNaN(Date.parse(text))}})
const validateReport = ajv.compile<TransferReport>(readSchema('report.schema.json'))
const validateError = ajv.compile(readSchema('error.schema.json'))

function assertValid(report: unknown) {
  assert.ok(validateReport(report), `schema errors: ${ajv.errorsText(validateReport.errors)}`)
}

function assertInvalid(report: unknown, why: string) {
  assert.equal(validateReport(report), false, `should be refused: ${why}`)
}

const START = Date.parse('2025-01-02T03:04:05.000Z')

/** A record as the engine leaves it: only moved records know where they went and how long it took. */
/** An ack as the journal and the report spell it. */
type AckText = string

function record(user: string, outcome: Outcome, ack: AckText, moved?: {to: string; resource?: string; latencyMs: number}): TransferRecord {
  return {
    jid: `${user}@example.test/r`,
    bare: `${user}@example.test`,
    resource: 'r',
    from: 'node-1',
    target: 'node-2',
    reconnectedTo: moved?.to ?? null,
    reconnectedJid: moved ? `${user}@example.test/${moved.resource ?? 'r'}` : null,
    ack: ackFromText(ack),
    sentAt: START + 10,
    ackMs: ack === 'not-observable' ? null : 5,
    latencyMs: moved?.latencyMs ?? null,
    outcome,
    method: outcome === 'moved' ? 'packet' : null,
    rungs: [{method: 'packet', at: START + 10, result: ack.startsWith('error:') ? 'refused' : 'done'}],
  }
}

function input(overrides: Partial<ReportInput>): ReportInput {
  return {
    command: 'drain',
    source: 'node-1',
    targets: ['node-2', 'node-3'],
    dryRun: false,
    startedAt: START,
    finishedAt: START + 61_000,
    options: {namespace: 'srvxfr', from: 'admin', rate: 50, concurrency: 100, waitMs: 60_000, fallback: 'none'},
    acksObservable: true,
    records: [],
    notSent: [],
    alreadyThere: 0,
    ...overrides,
  }
}

const mixedRecords = [
  record('alice', 'moved', 'result', {to: 'node-2', latencyMs: 850}),
  record('bob', 'moved', 'result', {to: 'node-3', resource: 'new', latencyMs: 1250}),
  record('carol', 'not-moved', 'timeout'),
  record('dave', 'not-moved', 'error:not-allowed'),
  record('erin', 'unsupported', 'error:service-unavailable'),
  record('fay', 'unsupported', 'error:feature-not-implemented'),
  record('gus', 'went-offline', 'result'),
]

const runReport = () => buildReport(input({records: mixedRecords, message: 'a note'}))
const dryReport = () =>
  buildReport(
    input({
      dryRun: true,
      finishedAt: START,
      notSent: [
        {jid: 'zoe@example.test/r', from: 'node-1', target: 'node-3'},
        {jid: 'amy@example.test/r', from: 'node-1', target: 'node-2'},
      ],
      message: 'dry run: nothing sent',
    }),
  )
const interruptedReport = () =>
  buildReport(
    input({
      records: mixedRecords.slice(0, 3),
      notSent: [
        {jid: 'zed@example.test/r', from: 'node-1', target: 'node-2'},
        {jid: 'yan@example.test/r', from: 'node-1', target: 'node-3'},
      ],
    }),
  )

/** A deep copy to break. */
const copy = <T>(value: T): T => structuredClone(value)

describe('docs/report.schema.json accepts what buildReport builds', () => {
  test('a run with moved, not-moved, unsupported and went-offline sessions', () => {
    const report = runReport()
    assertValid(report)
    assert.deepEqual(
      report.sessions.map((row) => row.outcome),
      ['moved', 'moved', 'not-moved', 'not-moved', 'unsupported', 'unsupported', 'went-offline'],
    )
  })

  test('a dry run: planned rows', () => {
    const report = dryReport()
    assertValid(report)
    assert.deepEqual(
      report.sessions.map((row) => [row.jid, row.outcome]),
      [
        ['amy@example.test/r', 'planned'],
        ['zoe@example.test/r', 'planned'],
      ],
    )
  })

  test('an interrupted run: unsent rows', () => {
    const report = interruptedReport()
    assertValid(report)
    assert.equal(report.sessions.filter((row) => row.outcome === 'unsent').length, 2)
  })

  test('a run stopped by an error', () => {
    assertValid(
      buildReport(
        input({records: mixedRecords.slice(0, 1), notSent: [{jid: 'x@example.test/r', from: 'node-1', target: 'node-2'}], error: 'directory unreachable'}),
      ),
    )
  })

  test('a move sent as the domain to an address: acks not observable', () => {
    const records = [record('alice', 'moved', 'not-observable', {to: 'node-2', latencyMs: 300}), record('bob', 'went-offline', 'not-observable')]
    assertValid(
      buildReport(
        input({
          command: 'move',
          source: null,
          targets: ['10.0.0.5:5222'],
          acksObservable: false,
          options: {namespace: 'both', from: 'domain', rate: 0.5, concurrency: 1, waitMs: 500, fallback: 'kick'},
          records,
          alreadyThere: 2,
        }),
      ),
    )
  })

  test('nothing selected', () => {
    assertValid(buildReport(input({dryRun: true, message: 'no sessions on node-1: nothing to do'})))
    assertValid(buildReport(input({})))
  })

  test('the JSON text, not just the object', () => {
    assertValid(JSON.parse(JSON.stringify(runReport())))
  })
})

describe('docs/report.schema.json refuses what is not a report', () => {
  test('an extra field, at any level', () => {
    assertInvalid({...runReport(), extra: 1}, 'extra top-level field')
    const inSession = copy(runReport())
    Object.assign(inSession.sessions[0], {node: 'node-2'})
    assertInvalid(inSession, 'extra session field')
    const inSummary = copy(runReport())
    Object.assign(inSummary.summary, {failed: 0})
    assertInvalid(inSummary, 'extra summary field')
    const inOptions = copy(runReport())
    Object.assign(inOptions.options, {dryRun: false})
    assertInvalid(inOptions, 'extra options field')
  })

  test('a missing field', () => {
    const {summary: _, ...noSummary} = runReport()
    assertInvalid(noSummary, 'no summary')
    const noAck = copy(runReport()) as unknown as {sessions: Array<Record<string, unknown>>}
    delete noAck.sessions[0].ack
    assertInvalid(noAck, 'session without ack')
  })

  test('a wrong outcome', () => {
    for (const outcome of ['failed', 'Moved', 'not_moved', '']) {
      const report = copy(runReport())
      ;(report.sessions[2] as {outcome: string}).outcome = outcome
      assertInvalid(report, `outcome ${outcome}`)
    }
  })

  test('an ack outside the pattern', () => {
    for (const ack of ['ok', 'error:', 'error:Not-Allowed', 'error:not allowed', 'RESULT', 'result ']) {
      const report = copy(runReport())
      report.sessions[2].ack = ack
      assertInvalid(report, `ack ${JSON.stringify(ack)}`)
    }
  })

  test('rows that contradict their outcome', () => {
    const moved = copy(runReport())
    moved.sessions[0].reconnectedTo = null
    assertInvalid(moved, 'moved without a node')
    const notMoved = copy(runReport())
    notMoved.sessions[2].latencyMs = 100
    assertInvalid(notMoved, 'not-moved with a latency')
    const unsupported = copy(runReport())
    unsupported.sessions[4].ack = 'error:not-allowed'
    assertInvalid(unsupported, 'unsupported with another condition')
    const unsent = copy(interruptedReport())
    unsent.sessions.find((row) => row.outcome === 'unsent')!.ack = 'result'
    assertInvalid(unsent, 'unsent with an ack')
    const sentWithoutAck = copy(runReport())
    sentWithoutAck.sessions[3].ack = null
    assertInvalid(sentWithoutAck, 'a sent row without an ack')
  })

  test('planned rows only in dry runs, and dry runs only planned rows', () => {
    const plannedInRun = copy(interruptedReport())
    plannedInRun.sessions.find((row) => row.outcome === 'unsent')!.outcome = 'planned'
    assertInvalid(plannedInRun, 'planned in a real run')
    const unsentInDry = copy(dryReport())
    unsentInDry.sessions[0].outcome = 'unsent'
    assertInvalid(unsentInDry, 'unsent in a dry run')
  })

  test('wrong types and enums', () => {
    assertInvalid({...runReport(), command: 'migrate'}, 'command')
    assertInvalid({...runReport(), startedAt: START}, 'startedAt as a number')
    assertInvalid({...runReport(), options: {...runReport().options, from: 'server'}}, 'options.from')
    assertInvalid({...runReport(), options: {...runReport().options, namespace: 'jabber:iq:srvxfr'}}, 'options.namespace')
    assertInvalid({...runReport(), summary: {...runReport().summary, moved: -1}}, 'negative count')
    assertInvalid({...runReport(), summary: {...runReport().summary, moved: 1.5}}, 'fractional count')
    assertInvalid({...runReport(), summary: {...runReport().summary, latencyMs: {p50: null, p95: null}}}, 'latency without max')
  })
})

describe('summary and exit code', () => {
  const outcomeCounts = (report: TransferReport) => {
    const count = (outcome: string) => report.sessions.filter((row) => row.outcome === outcome).length
    return {
      moved: count('moved'),
      notMoved: count('not-moved'),
      unsupported: count('unsupported'),
      wentOffline: count('went-offline'),
      kicked: count('kicked'),
      unsent: count('unsent'),
    }
  }

  test('a run: the counts add up to the total and match the rows', () => {
    for (const report of [runReport(), interruptedReport(), buildReport(input({}))]) {
      const {summary} = report
      assert.equal(summary.moved + summary.notMoved + summary.unsupported + summary.wentOffline + summary.kicked + summary.unsent, summary.total)
      assert.equal(summary.total, report.sessions.length)
      assert.deepEqual(outcomeCounts(report), {
        moved: summary.moved,
        notMoved: summary.notMoved,
        unsupported: summary.unsupported,
        wentOffline: summary.wentOffline,
        kicked: summary.kicked,
        unsent: summary.unsent,
      })
    }
    assert.deepEqual(runReport().summary, {
      total: 7,
      moved: 2,
      notMoved: 2,
      unsupported: 2,
      wentOffline: 1,
      kicked: 0,
      unknown: 0,
      returned: 0,
      notBack: 0,
      perMethod: {packet: 2},
      unsent: 0,
      alreadyThere: 0,
      perTarget: {'node-2': 1, 'node-3': 1},
      latencyMs: {p50: 850, p95: 1250, max: 1250},
    })
    assert.equal(interruptedReport().summary.unsent, 2)
  })

  test('a dry run: every row planned, nothing counted as sent', () => {
    const {summary} = dryReport()
    assert.equal(summary.total, 2)
    assert.deepEqual(
      {...outcomeCounts(dryReport()), total: summary.total},
      {moved: 0, notMoved: 0, unsupported: 0, wentOffline: 0, kicked: 0, unsent: 0, total: 2},
    )
    assert.equal(summary.unsent, 0)
    assert.deepEqual(summary.latencyMs, {p50: null, p95: null, max: null})
  })

  test('exit code 0 only when every selected session moved', () => {
    const allMoved = buildReport(input({records: mixedRecords.slice(0, 2)}))
    assert.equal(reportExitCode(allMoved), 0)
    assert.equal(reportExitCode(runReport()), 1)
    assert.equal(reportExitCode(interruptedReport()), 1)
    for (const outcome of ['not-moved', 'unsupported', 'went-offline'] as const) {
      assert.equal(reportExitCode(buildReport(input({records: [...mixedRecords.slice(0, 2), record('x', outcome, 'timeout')]}))), 1, outcome)
    }
    assert.equal(
      reportExitCode(buildReport(input({records: mixedRecords.slice(0, 2), notSent: [{jid: 'x@example.test/r', from: 'node-1', target: 'node-2'}]}))),
      1,
      'unsent',
    )
  })

  test('--fallback kick: a kicked session seen back elsewhere counts as landed, one that did not come back does not', () => {
    const back = record('kim', 'kicked', 'error:service-unavailable', {to: 'node-2', latencyMs: 900})
    const gone = record('kit', 'kicked', 'timeout')
    const landed = buildReport(input({records: [...mixedRecords.slice(0, 2), back], options: {...runReport().options, fallback: 'kick'}}))
    assertValid(landed)
    assert.equal(landed.summary.kicked, 1)
    assert.equal(reportExitCode(landed), 0)
    const lost = buildReport(input({records: [...mixedRecords.slice(0, 2), gone], options: {...runReport().options, fallback: 'kick'}}))
    assertValid(lost)
    assert.equal(reportExitCode(lost), 1)
  })

  test('exit code 0 for an empty selection and for dry runs', () => {
    assert.equal(reportExitCode(buildReport(input({}))), 0)
    assert.equal(reportExitCode(buildReport(input({dryRun: true}))), 0)
    assert.equal(reportExitCode(dryReport()), 0)
  })

  test('property: any mix of records gives a valid report whose counts add up', () => {
    const outcomeArb = fc.constantFrom<Outcome>('moved', 'not-moved', 'unsupported', 'went-offline', 'kicked')
    const rowArb = fc.record({outcome: outcomeArb, latencyMs: fc.nat(60_000), to: fc.constantFrom('node-2', 'node-3'), observable: fc.boolean()})
    fc.assert(
      fc.property(fc.array(rowArb, {maxLength: 30}), fc.nat(5), fc.boolean(), (rows, unsentCount, dryRun) => {
        const records = dryRun
          ? []
          : rows.map((row, i) => {
              const ack: AckText =
                row.outcome === 'unsupported'
                  ? 'error:service-unavailable'
                  : !row.observable
                    ? 'not-observable'
                    : row.outcome === 'not-moved'
                      ? 'timeout'
                      : 'result'
              return record(`u${i}`, row.outcome, ack, row.outcome === 'moved' ? {to: row.to, latencyMs: row.latencyMs} : undefined)
            })
        const notSent = Array.from({length: unsentCount}, (_, i) => ({jid: `n${i}@example.test/r`, from: 'node-1', target: 'node-2'}))
        const report = buildReport(input({records, notSent, dryRun}))
        assertValid(report)
        const {summary} = report
        assert.equal(summary.total, records.length + notSent.length)
        if (!dryRun) assert.equal(summary.moved + summary.notMoved + summary.unsupported + summary.wentOffline + summary.kicked + summary.unsent, summary.total)
        assert.equal(
          Object.values(summary.perTarget).reduce((a, b) => a + b, 0),
          summary.moved,
        )
        if (summary.moved > 0) assert.ok(summary.latencyMs.p50! <= summary.latencyMs.p95! && summary.latencyMs.p95! <= summary.latencyMs.max!)
        assert.equal(reportExitCode(report), dryRun || summary.moved === summary.total ? 0 : 1)
      }),
    )
  })
})

describe('docs/error.schema.json', () => {
  /** As ClusterCommand.catch prints it. */
  const errorJson = (error: Error) => ({
    error: {
      message: error.message.split('\n')[0],
      exitCode: error instanceof XtransferError ? error.exitCode : 70,
      kind: error instanceof XtransferError ? error.name : 'Error',
    },
  })

  test('accepts every expected error and the internal one', () => {
    const errors = [
      new UsageError('u'),
      new ConfigError('c'),
      new AuthError('a'),
      new DirectoryError('d'),
      new UnreachableError('r'),
      new UnknownHostError('h'),
      new TlsError('t'),
      new DeclinedError(),
      new Error('bug'),
    ]
    for (const error of errors) assert.ok(validateError(errorJson(error)), `${error.name}: ${ajv.errorsText(validateError.errors)}`)
    assert.deepEqual(
      errors.map((error) => errorJson(error).error.kind),
      ['UsageError', 'ConfigError', 'AuthError', 'DirectoryError', 'UnreachableError', 'UnknownHostError', 'TlsError', 'DeclinedError', 'Error'],
    )
  })

  test('refuses other shapes', () => {
    const good = {error: {message: 'no config file at /x', exitCode: 2, kind: 'ConfigError'}}
    assert.ok(validateError(good))
    assert.equal(validateError({...good, report: {}}), false, 'extra top-level field')
    assert.equal(validateError({error: {...good.error, stack: 'at ...'}}), false, 'extra error field')
    assert.equal(validateError({error: {message: 'x', exitCode: 2}}), false, 'no kind')
    assert.equal(validateError({error: {...good.error, exitCode: '2'}}), false, 'exitCode as a string')
    assert.equal(validateError({error: {...good.error, exitCode: 2.5}}), false, 'fractional exitCode')
    assert.equal(validateError({error: {...good.error, message: ''}}), false, 'empty message')
    assert.equal(validateError({error: {...good.error, message: 'two\nlines'}}), false, 'two lines')
    assert.equal(validateError({message: 'x', exitCode: 2, kind: 'Error'}), false, 'not wrapped in error')
  })
})
