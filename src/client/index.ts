// The transfer-aware helper for @xmpp/client apps: `import {followTransfers} from 'xtransfer/client'`.
// Imports @xmpp/client and the protocol module only, never anything of the CLI.
export {followTransfers, TransferFollower} from './follow-transfers.js'
export type {FollowTransfersOptions, TransferEvents, TransferFailed, TransferMode, TransferRefused, TransferStarted, Transferred} from './follow-transfers.js'
export type {ConnectContext, ConnectFn, Credentials} from './connect.js'
export type {SessionTarget} from './target.js'
export {targetOf} from './target.js'
export {guardStreamManagementCount} from './stream-management-count.js'
