import type {RunNeeds} from '../../model/control.js'

/**
 * Every mod_http_api command a transfer run may call with a bearer token: a run's token is
 * scoped to those of them it uses. The lab (test/lab/lib.sh, LAB_OAUTH_COMMANDS) gives each
 * its own api_permissions rule, and so should an operator (docs/servers.md).
 */
export const RUN_COMMANDS = [
  'list_cluster',
  'connected_users_info',
  'user_sessions_info',
  'kick_session',
  'send_stanza',
  'xtransfer_node_sessions',
  'xtransfer_locate',
  'xtransfer_handover',
  'xtransfer_redirect',
  'xtransfer_close',
  'xtransfer_cordon',
] as const

export type RunCommand = (typeof RUN_COMMANDS)[number]

/**
 * The commands a run calls, from what it will do: the nodes (list_cluster, watched while
 * packets go out), where sessions are (the listing and per-user lookups, or the companion's
 * per-node listing and batch locate), and each kind of action. Nothing else: ejabberd 23.01
 * refuses a token a command its scopes do not name (with one api_permissions rule per command).
 */
export function runCommands(needs: RunNeeds, companion: boolean): RunCommand[] {
  const commands: RunCommand[] = ['list_cluster']
  commands.push(...(companion ? (['xtransfer_node_sessions', 'xtransfer_locate'] as const) : (['connected_users_info', 'user_sessions_info'] as const)))
  if (needs.kick) commands.push('kick_session')
  if (needs.sendAsDomain) commands.push('send_stanza')
  if (companion && needs.cordon) commands.push('xtransfer_cordon')
  if (companion && needs.methods.includes('handover')) commands.push('xtransfer_handover')
  if (companion && needs.methods.includes('redirect')) commands.push('xtransfer_redirect')
  if (companion && needs.methods.includes('close')) commands.push('xtransfer_close')
  return commands
}
