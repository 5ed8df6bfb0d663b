// --rate: runTransfers sends one packet every 1000/rate ms, on the run's clock.
import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {SessionInfo} from '../../src/directories/session-directory.js'
import type {PacketSender} from '../../src/engine/packet-senders.js'
import type {PlannedTransfer} from '../../src/engine/plan.js'
import {runTransfers} from '../../src/engine/run-transfers.js'
import {virtualClock} from '../support/virtual-clock.js'

function plan(n: number): PlannedTransfer[] {
  return Array.from(
    {length: n},
    (_, i) =>
      ({
        jid: `u${i}@d/r`,
        bare: `u${i}@d`,
        resource: 'r',
        source: {name: 'node-1', address: '127.0.0.1:5222'},
        target: {name: 'node-2', address: '127.0.0.2:5222'},
      }) as unknown as PlannedTransfer,
  )
}

/** A sender that notes when each packet leaves (on `clock`) and answers after `answerMs`. */
function sender(clock: ReturnType<typeof virtualClock>, answerMs = 0): PacketSender & {sentAt: number[]} {
  const sentAt: number[] = []
  return {
    sentAt,
    acksObservable: true,
    async send() {
      sentAt.push(clock.now())
      if (answerMs > 0) await clock.sleep(answerMs)
      return 'error:service-unavailable'
    },
  } as unknown as PacketSender & {sentAt: number[]}
}

const noDirectory = {sessionsOf: async () => new Map<string, SessionInfo[]>()}

function gaps(times: number[]): number[] {
  return times.slice(1).map((time, i) => time - times[i])
}

test("--rate 20: one packet every 50 ms on the run's clock, the first at once, however many may be in flight", async () => {
  const clock = virtualClock()
  const start = clock.now()
  const packets = sender(clock)
  await runTransfers({
    plan: plan(8),
    sender: packets,
    directory: noDirectory,
    clock,
    options: {rate: 20, concurrency: 100, waitMs: 1000, pollMs: 250},
    knownJids: new Set(),
  })
  assert.equal(packets.sentAt[0], start)
  assert.deepEqual(gaps(packets.sentAt), [50, 50, 50, 50, 50, 50, 50])
})

test('--rate 1000 with --concurrency 2 and answers taking 200 ms: the concurrency is the limit', async () => {
  const clock = virtualClock()
  const packets = sender(clock, 200)
  await runTransfers({
    plan: plan(6),
    sender: packets,
    directory: noDirectory,
    clock,
    options: {rate: 1000, concurrency: 2, waitMs: 1000, pollMs: 250},
    knownJids: new Set(),
  })
  assert.deepEqual(gaps(packets.sentAt), [1, 199, 1, 199, 1])
})

test('--rate 3: 333 ms apart (whole milliseconds)', async () => {
  const clock = virtualClock()
  const packets = sender(clock)
  await runTransfers({
    plan: plan(4),
    sender: packets,
    directory: noDirectory,
    clock,
    options: {rate: 3, concurrency: 10, waitMs: 1000, pollMs: 250},
    knownJids: new Set(),
  })
  assert.deepEqual(gaps(packets.sentAt), [333, 333, 333])
})
