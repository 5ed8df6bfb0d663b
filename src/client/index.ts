// The transfer-aware helper for @xmpp/client apps: `import {followTransfers} from 'xtransfer/client'`.
// Imports @xmpp/client and the protocol module only, never anything of the CLI.
export {followTransfers, TransferFollower} from './follow-transfers.js'
export type {FollowTransfersOptions} from './options.js'
export type {TransferEvents, TransferFailed, TransferMode, TransferRefused, TransferStarted, Transferred} from './events.js'
export type {ConnectContext, ConnectFn, Credentials} from './open-session.js'
export type {SessionTarget} from './target.js'
export type {AllowedServer, AllowedServers} from './target-policy.js'
export {targetOf} from './target.js'
export {guardStreamManagementCount} from './xmpp-internals.js'
export {NewSessionEndedError, OldSessionKeptError, TlsDowngradeError, TransferStoppedError} from './errors.js'
export {TimeoutError} from './timer.js'
export type {Timer} from './timer.js'
