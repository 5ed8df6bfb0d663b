import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {seededRandom} from '../support/seeded-random.js'
import {VirtualClock, VirtualClockDeadlock, VirtualClockLimit, VirtualClockSpin} from '../support/virtual-clock.js'

async function manyMicrotasks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve()
}

describe('VirtualClock', () => {
  test('concurrent sleepers wake in time order, ties in the order they slept', async () => {
    const clock = new VirtualClock(1_000)
    const woke: Array<[string, number]> = []
    const sleeper = async (name: string, ms: number) => {
      await clock.sleep(ms)
      woke.push([name, clock.now()])
    }
    const all = Promise.all([sleeper('c', 30), sleeper('a', 10), sleeper('b1', 20), sleeper('b2', 20), sleeper('now', 0)])
    await clock.run(all)
    assert.deepEqual(woke, [
      ['now', 1_000],
      ['a', 1_010],
      ['b1', 1_020],
      ['b2', 1_020],
      ['c', 1_030],
    ])
  })

  test('time moves only once every runnable task has yielded', async () => {
    const clock = new VirtualClock()
    const seen: Array<[string, number]> = []
    const busy = async () => {
      await clock.sleep(10)
      // A long promise chain after waking is still "at" 10 ms: nothing else may move the clock meanwhile.
      await manyMicrotasks(5_000)
      seen.push(['busy done', clock.now()])
      await clock.sleep(1)
      seen.push(['busy slept 1', clock.now()])
    }
    const other = async () => {
      await clock.sleep(10.5)
      seen.push(['other', clock.now()])
    }
    await clock.run(Promise.all([busy(), other()]))
    assert.deepEqual(seen, [
      ['busy done', 10],
      ['other', 10.5],
      ['busy slept 1', 11],
    ])
  })

  test('a timer set while others wake at the same instant wakes after them, at that instant', async () => {
    const clock = new VirtualClock()
    const order: string[] = []
    const first = async () => {
      await clock.sleep(5)
      order.push('first')
      await clock.sleep(0)
      order.push(`first again at ${clock.now()}`)
    }
    const second = async () => {
      await clock.sleep(5)
      order.push('second')
    }
    await clock.run(Promise.all([first(), second()]))
    assert.deepEqual(order, ['first', 'second', 'first again at 5'])
  })

  test('advance wakes what is due and leaves later timers pending', async () => {
    const clock = new VirtualClock()
    let early = false
    let late = false
    void clock.sleep(100).then(() => (early = true))
    void clock.sleep(300).then(() => (late = true))
    await clock.advance(200)
    assert.equal(clock.now(), 200)
    assert.equal(early, true)
    assert.equal(late, false)
    assert.equal(clock.pendingTimers, 1)
    assert.equal(clock.nextTimerAt, 300)
    await clock.runAll()
    assert.equal(late, true)
    assert.equal(clock.now(), 300)
  })

  test('run returns the value, passes a rejection through, and names a deadlock or a runaway', async () => {
    const clock = new VirtualClock()
    const value = clock.run(
      (async () => {
        await clock.sleep(7)
        return 'done'
      })(),
    )
    assert.equal(await value, 'done')

    await assert.rejects(
      clock.run(
        (async () => {
          await clock.sleep(1)
          throw new RangeError('inside')
        })(),
      ),
      RangeError,
    )

    const never = new Promise<void>(() => undefined)
    await assert.rejects(clock.run(never), VirtualClockDeadlock)

    const forever = (async () => {
      for (;;) await clock.sleep(1_000)
    })()
    await assert.rejects(clock.run(forever, {limitMs: 10_000}), VirtualClockLimit)
    assert.ok(clock.now() <= 8 + 10_000, `stopped at ${clock.now()}`)
  })

  test('a loop of zero-length sleeps is named, not run forever', async () => {
    const clock = new VirtualClock(5)
    let stop = false
    const spinning = (async () => {
      while (!stop) await clock.sleep(0)
    })()
    await assert.rejects(clock.run(spinning), VirtualClockSpin)
    stop = true
  })

  test('100,000 random timers wake in order at their time, and none is left behind', async () => {
    const clock = new VirtualClock()
    const random = seededRandom(14)
    let last = -1
    let woken = 0
    let outOfOrder = 0
    let late = 0
    const sleepers: Array<Promise<void>> = []
    for (let i = 0; i < 100_000; i++) {
      // Whole milliseconds over 60 s: many ties, which must still come out in time order.
      const due = Math.floor(random() * 60_000)
      sleepers.push(
        clock.sleep(due).then(() => {
          if (clock.now() < last) outOfOrder++
          if (clock.now() !== due) late++
          last = clock.now()
          woken++
        }),
      )
    }
    assert.equal(clock.pendingTimers, 100_000)
    await clock.run(Promise.all(sleepers))
    assert.equal(woken, 100_000)
    assert.equal(outOfOrder, 0)
    assert.equal(late, 0)
    assert.equal(clock.pendingTimers, 0)
  })

  test('a long chain of sleeps holds one timer at a time', async () => {
    const clock = new VirtualClock()
    let most = 0
    const chain = async () => {
      for (let i = 0; i < 50_000; i++) {
        const sleeping = clock.sleep(3)
        most = Math.max(most, clock.pendingTimers)
        await sleeping
      }
    }
    await clock.run(chain())
    assert.equal(clock.now(), 150_000)
    assert.equal(most, 1)
    assert.equal(clock.pendingTimers, 0)
  })
})
