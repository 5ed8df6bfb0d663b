import assert from 'node:assert/strict'
import {test} from 'node:test'

import {lateArrivals, listedBefore, mergeSeen, messageFigures, type SentMessages} from '../../bench/analysis/messages.js'
import type {WorkerLog} from '../../bench/fleet/protocol.js'

const T0 = 1_000_000

function log(part: Partial<WorkerLog>): WorkerLog {
  return {
    online: [],
    loginFailed: 0,
    loginErrors: [],
    packets: [],
    transferred: [],
    transferFailed: [],
    refused: 0,
    offline: [],
    reconnecting: [],
    rebound: [],
    resumed: 0,
    reconnectErrors: 0,
    reconnectErrorSample: [],
    crashes: 0,
    crashSample: [],
    messages: [],
    ...part,
  }
}

/** 8 messages at 10/s from T0, round robin over alice and bob: odd seqs to alice, even to bob. */
function sent(part: Partial<SentMessages> = {}): SentMessages {
  return {sent: 8, startedAt: T0, stoppedAt: T0 + 800, rate: 10, targets: 2, bounced: [], sendFailures: 0, streamErrors: [], droppedAt: null, ...part}
}

const at = (seq: number) => T0 + (seq - 1) * 100

test('messages: lost, duplicated, through storage, bounced and misrouted are told apart', () => {
  const logs = [
    log({
      messages: [
        ['alice', 'drain', 1, at(1), at(1) + 20, 0],
        ['alice', 'drain', 3, at(3), at(3) + 40, 0],
        ['alice', 'drain', 3, at(3), at(3) + 900, 1], // a second copy, through storage
        ['alice', 'drain', 5, at(5), at(5) + 3000, 1], // first copy through storage
        ['alice', 'drain', 4, at(4), at(4) + 10, 0], // 4 is bob's: misrouted
        ['alice', 'floor', 9, 0, at(1), 1], // an earlier phase's, handed over now
      ],
    }),
    log({
      messages: [
        ['bob', 'drain', 2, at(2), at(2) + 30, 0],
        ['bob', 'drain', 6, at(6), at(6) + 60, 0],
        ['bob', 'drain', 12, at(6), at(6) + 60, 0], // beyond what was sent: misrouted
      ],
    }),
  ]
  const {figures, lost} = messageFigures({
    sent: sent({
      bounced: [
        [4, 'service-unavailable'],
        [6, 'service-unavailable'],
      ],
    }),
    logs,
    receivers: ['alice', 'bob'],
    origin: T0,
    tag: 'drain',
    drainNode: 'node-1',
  })
  assert.deepEqual(lost, [4, 7, 8])
  assert.equal(figures.sent, 8)
  assert.equal(figures.delivered, 5)
  assert.equal(figures.lost, 3)
  assert.equal(figures.duplicated, 1)
  assert.equal(figures.throughStorage, 1)
  assert.equal(figures.misrouted, 2)
  assert.equal(figures.bounced, 2)
  assert.deepEqual(figures.bounceConditions, {'service-unavailable': 2})
  // 6 was bounced although bob has it: ejabberd bounces the unacknowledged stanzas of a session that ends.
  assert.equal(figures.bouncedButDelivered, 1)
  assert.deepEqual(figures.fromEarlierPhases, {floor: 1})
  assert.deepEqual(figures.lostByUser, {bob: 2, alice: 1})
  // Delays of first copies only: 20, 30, 40, 3000, 60 ms.
  assert.deepEqual(figures.delayMs, {p50: 40, p95: 3000, p99: 3000, max: 3000})
  assert.deepEqual(figures.duplicateSample, [['alice', 3, 0.2, 'delayed']])
  assert.equal(figures.sendingS, 0.8)
})

test("messages: each lost message is set against its receiver's nearest session events", () => {
  const logs = [
    log({
      offline: [['alice', T0 + 150]],
      rebound: [['alice', T0 + 300]],
      packets: [['bob', T0 - 5000]],
      transferred: [['bob', T0 + 5000, 10_000, 'xmpp://127.0.0.1:26222']],
    }),
  ]
  const {figures} = messageFigures({
    sent: sent({bounced: [[7, 'service-unavailable']]}),
    logs,
    receivers: ['alice', 'bob'],
    origin: T0,
    tag: 'drain',
    drainNode: 'node-1',
  })
  // Nothing was delivered: all 8 are lost.
  assert.equal(figures.lost, 8)
  assert.deepEqual(figures.lostWhen, {
    'within 2 s before its session changed (session ended, none bound) (no bounce)': 1, // alice's 1, 150 ms before her session ended
    'while the user had no session (no bounce)': 1, // alice's 3
    'within 2 s after bound again (no bounce)': 1, // alice's 5
    'within 2 s after bound again (bounced: service-unavailable)': 1, // alice's 7
    'no session change within 2 s (no bounce)': 4, // bob's, 5 s from either event
  })
  assert.deepEqual(
    figures.lostSample.find(([, seq]) => seq === 3),
    ['alice', 3, 0.2, 'session ended, none bound -50 ms; bound again +100 ms', null],
  )
  assert.deepEqual(
    figures.lostSample.find(([, seq]) => seq === 7),
    ['alice', 7, 0.6, 'bound again -300 ms', 'service-unavailable'],
  )
  assert.deepEqual(
    figures.lostSample.find(([, seq]) => seq === 2),
    ['bob', 2, 0.1, 'transfer packet -5100 ms; new session bound +4900 ms', null],
  )
})

test('late arrivals: what a later login handed over, live or from storage, and what never came', () => {
  const seen = mergeSeen([{drain: [1, -4]}, {drain: [7], kick: [2]}])
  assert.deepEqual(lateArrivals([4, 7, 8], seen.get('drain')), {arrivedLater: {live: 1, fromStorage: 1}, neverArrived: 1})
  assert.deepEqual(lateArrivals([3], seen.get('stop-node')), {arrivedLater: {live: 0, fromStorage: 0}, neverArrived: 1})
})

test("view probe: where the sender's node listed a user in the last sample before a send", () => {
  const view = {
    node: 'node-2',
    failures: 0,
    samples: [
      [100, {alice: 'node-1'}],
      [200, {alice: null}],
      [300, {alice: 'node-2'}],
    ] as [number, Record<string, string | null>][],
  }
  assert.equal(listedBefore(view, 'alice', 50), undefined)
  assert.equal(listedBefore(view, 'alice', 150), 'node-1')
  assert.equal(listedBefore(view, 'alice', 200), null)
  assert.equal(listedBefore(view, 'alice', 1000), 'node-2')
})
