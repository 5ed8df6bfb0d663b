// The bench's phases in the order they run. The floor comes first: the drains' pace is
// derived from it and the targets are judged against it. stop-node comes last: it stops
// node-1 (and starts it again afterwards).
import {drain} from './drain.js'
import {drain50} from './drain-50.js'
import {drainBbm} from './drain-bbm.js'
import {drainDefault} from './drain-default.js'
import {drainOrdinary} from './drain-ordinary.js'
import {floor} from './floor.js'
import {kick} from './kick.js'
import {stopNode} from './stop-node.js'

export {floor}
export const AFTER_THE_FLOOR = [drain, drainDefault, drain50, drainBbm, drainOrdinary, kick, stopNode] as const
