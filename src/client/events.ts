import {type XmppClient} from '@xmpp/client'

import {type TransferNamespace} from '../protocol/index.js'
import {type SessionTarget} from './target.js'

export type TransferMode = 'make-before-break' | 'break-before-make'

export interface TransferStarted {
  from: SessionTarget
  to: SessionTarget
  sender: string
  namespace: TransferNamespace
  mode: TransferMode
}

export interface Transferred extends TransferStarted {
  /** The client now carrying the session (also `helper.client`). */
  client: XmppClient
  /** The client that carried it before (the same object in break-before-make without `connect`). */
  previous: XmppClient
  /** From the packet's arrival to the new session bound. */
  ms: number
  /** How the old stream ended: the server's `<conflict/>` (expected), closed by the helper, or already gone. */
  oldStream: 'conflict' | 'closed' | 'gone'
}

export interface TransferFailed extends TransferStarted {
  error: Error
  /** The client carrying the session now (the old one, or a session reopened at `from`). */
  client: XmppClient
  /** Whether the session is online after the failure. */
  online: boolean
  ms: number
}

export interface TransferRefused {
  /** The sender as written in the packet ('' if none). */
  from: string
  /**
   * forbidden: the sender is not trusted; bad-request: not a well-formed transfer;
   * not-allowed: another domain, or a server the app does not allow (`allowedServers`);
   * conflict: another transfer is in progress.
   */
  condition: 'forbidden' | 'bad-request' | 'not-allowed' | 'conflict'
  reason: string
}

export interface TransferEvents {
  'transfer-started': [TransferStarted]
  transferred: [Transferred]
  'transfer-failed': [TransferFailed]
  'transfer-refused': [TransferRefused]
}
