// The rehearsal fleet: many scripted users that follow, refuse or ignore transfers.
export {startFleet, FleetStartError} from './start-fleet.js'
export type {Fleet, FleetEvent, FleetOptions, FleetTotals, FleetUserStats} from './start-fleet.js'
export {BEHAVIOURS} from './behaviours.js'
export type {Behaviour} from './behaviours.js'
export {SessionClock} from './session-clock.js'
export type {SessionClockReading} from './session-clock.js'
