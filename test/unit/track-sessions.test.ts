// The tracker on its own: which listed session ends which wait, when a user has several being moved.
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {type Sighting, trackSessions} from '../../src/engine/track-sessions.js'
import type {SessionInfo} from '../../src/model/session.js'
import {VirtualClock} from '../support/virtual-clock.js'

function session(resource: string, node: string, uptimeSeconds: number): SessionInfo {
  return {jid: `a@d/${resource}`, bare: 'a@d', resource, node, server: node, uptimeSeconds}
}

/** A directory whose listing is whatever `now()` says at each poll. */
function directory(now: () => SessionInfo[]) {
  return {sessionsOf: async (bares: string[]) => new Map(bares.map((bare) => [bare, now().filter((s) => s.bare === bare)]))}
}

test("a user's session that lands under a resource another of its waits is tracking goes to that wait, never to the other", async () => {
  const clock = new VirtualClock(1_000_000)
  // phone (r1) stays put; laptop (r2) lands on node-2 keeping its resource. Nothing was known
  // when planned (a resumed run), and r2's session there is fresh: only the pending resources
  // tell the phone's wait that r2 is not its new session.
  let listing = [session('r1', 'node-1', 500), session('r2', 'node-1', 500)]
  const tracker = trackSessions(
    directory(() => listing),
    clock,
    {pollMs: 250, knownJids: new Set(), downAfterMs: 60_000},
  )
  const since = clock.now()
  const phone = tracker.until({jid: 'a@d/r1', bare: 'a@d', resource: 'r1', from: 'node-1'}, since, since + 2_000)
  const laptop = tracker.until({jid: 'a@d/r2', bare: 'a@d', resource: 'r2', from: 'node-1'}, since, since + 2_000)
  void clock.sleep(100).then(() => (listing = [session('r1', 'node-1', 500), session('r2', 'node-2', 0)]))
  const [phoneSeen, laptopSeen] = (await clock.run(Promise.all([phone, laptop]))) as [Sighting, Sighting]
  tracker.close()
  await clock.run(tracker.done)
  assert.equal(laptopSeen.kind, 'landed')
  assert.equal(laptopSeen.kind === 'landed' && laptopSeen.session.jid, 'a@d/r2')
  assert.deepEqual(phoneSeen, {kind: 'on-source', pending: false})
})

test("once a user's wait is over, its resource no longer keeps a fresh session from the user's other waits", async () => {
  const clock = new VirtualClock(1_000_000)
  let listing = [session('r1', 'node-1', 500), session('r2', 'node-1', 500)]
  const tracker = trackSessions(
    directory(() => listing),
    clock,
    {pollMs: 250, knownJids: new Set(), downAfterMs: 60_000},
  )
  const since = clock.now()
  // r2's wait is short and ends with r2 still on its source. Then r1's client comes back on
  // node-2 as a fresh session named "r2" (a client that picks a resource name of its own).
  const laptop = tracker.until({jid: 'a@d/r2', bare: 'a@d', resource: 'r2', from: 'node-1'}, since, since + 300)
  const phone = tracker.until({jid: 'a@d/r1', bare: 'a@d', resource: 'r1', from: 'node-1'}, since, since + 5_000)
  void clock.sleep(1_000).then(() => (listing = [session('r2', 'node-2', 0)]))
  const [laptopSeen, phoneSeen] = (await clock.run(Promise.all([laptop, phone]))) as [Sighting, Sighting]
  tracker.close()
  await clock.run(tracker.done)
  assert.deepEqual(laptopSeen, {kind: 'on-source', pending: false})
  assert.equal(phoneSeen.kind, 'landed')
  assert.equal(phoneSeen.kind === 'landed' && phoneSeen.session.jid, 'a@d/r2')
})
