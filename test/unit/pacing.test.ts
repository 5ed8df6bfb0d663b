// --rate: runTransfers sends one packet every 1000/rate ms, on the run's clock.
import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {PacketSender} from '../../src/engine/packet-senders.js'
import {runTransfers} from '../../src/engine/run-transfers.js'
import {refused} from '../../src/model/ack.js'
import type {SessionInfo} from '../../src/model/session.js'
import type {PlannedTransfer} from '../../src/model/transfer.js'
import {VirtualClock} from '../support/virtual-clock.js'

function plan(n: number): PlannedTransfer[] {
  return Array.from(
    {length: n},
    (_, i) =>
      ({
        jid: `u${i}@d/r`,
        bare: `u${i}@d`,
        resource: 'r',
        from: 'node-1',
        target: {name: 'node-2', address: {kind: 'ipv4', host: '127.0.0.2', port: 5222}, isNode: true},
      }) satisfies PlannedTransfer,
  )
}

/** A sender that notes when each packet leaves (on `clock`) and answers after `answerMs`. */
function sender(clock: VirtualClock, answerMs = 0): PacketSender & {sentAt: number[]} {
  const sentAt: number[] = []
  return {
    sentAt,
    acksObservable: true,
    async send() {
      sentAt.push(clock.now())
      if (answerMs > 0) await clock.sleep(answerMs)
      return refused('service-unavailable')
    },
  }
}

const noDirectory = {sessionsOf: async () => new Map<string, SessionInfo[]>()}

function gaps(times: number[]): number[] {
  return times.slice(1).map((time, i) => time - times[i])
}

test("--rate 20: one packet every 50 ms on the run's clock, the first at once, however many may be in flight", async () => {
  const clock = new VirtualClock(1_000_000)
  const start = clock.now()
  const packets = sender(clock)
  await clock.run(
    runTransfers({
      plan: plan(8),
      sender: packets,
      directory: noDirectory,
      clock,
      options: {rate: 20, concurrency: 100, waitMs: 1000, pollMs: 250},
      knownJids: new Set(),
    }),
  )
  assert.equal(packets.sentAt[0], start)
  assert.deepEqual(gaps(packets.sentAt), [50, 50, 50, 50, 50, 50, 50])
})

test('--rate 1000 with --concurrency 2 and answers taking 200 ms: the concurrency is the limit', async () => {
  const clock = new VirtualClock(1_000_000)
  const packets = sender(clock, 200)
  await clock.run(
    runTransfers({
      plan: plan(6),
      sender: packets,
      directory: noDirectory,
      clock,
      options: {rate: 1000, concurrency: 2, waitMs: 1000, pollMs: 250},
      knownJids: new Set(),
    }),
  )
  assert.deepEqual(gaps(packets.sentAt), [1, 199, 1, 199, 1])
})

test('--rate 3: a third of a second apart', async () => {
  const clock = new VirtualClock(1_000_000)
  const packets = sender(clock)
  await clock.run(
    runTransfers({
      plan: plan(4),
      sender: packets,
      directory: noDirectory,
      clock,
      options: {rate: 3, concurrency: 10, waitMs: 1000, pollMs: 250},
      knownJids: new Set(),
    }),
  )
  assert.deepEqual(gaps(packets.sentAt).map(Math.round), [333, 333, 333])
})
