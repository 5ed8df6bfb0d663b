// What one mod_http_api call costs the server: wall time and beam CPU.
import {round} from '../analysis/stats.js'
import type {AdminApi} from './admin-api.js'
import type {LabInfo} from './lab-info.js'
import {cpuDelta, serverCpu} from './proc-stats.js'

export interface ApiCost {
  command: string
  calls: number
  wallMsPerCall: number | null
  serverCpuMsPerCall: number | null
  serverCpuMsPerCallOnNode1?: number | null
  bytesPerCall?: number
}

/**
 * `calls` sequential calls of `command` to node 1; returns the mean wall time per
 * call and the server CPU per call (every node's beam, since a listing may touch all).
 */
export async function measureApiCost(
  lab: LabInfo,
  api: AdminApi,
  command: string,
  {calls = 40, args = {}}: {calls?: number; args?: Record<string, unknown>} = {},
): Promise<ApiCost> {
  await api.call(command, args) // warm: connection, code paths
  const cpu0 = serverCpu(lab)
  const bytes0 = api.usage.bytes
  const started = performance.now()
  for (let i = 0; i < calls; i++) await api.call(command, args)
  const wallMs = performance.now() - started
  const cpu = cpuDelta(cpu0, serverCpu(lab))
  return {
    command,
    calls,
    wallMsPerCall: round(wallMs / calls, 1),
    serverCpuMsPerCall: round((Number(cpu.total) * 1000) / calls, 1),
    serverCpuMsPerCallOnNode1: round((Number(cpu['node-1']) * 1000) / calls, 1),
    bytesPerCall: Math.round((api.usage.bytes - bytes0) / calls),
  }
}

/** The same without credentials: ejabberd answers 403 without checking a password (no PBKDF2). */
export async function measureAnonymousCost(lab: LabInfo, command: string, {calls = 40}: {calls?: number} = {}): Promise<ApiCost> {
  const once = () => fetch(`${lab.nodes[0].api}/${command}`, {method: 'POST', body: '{}'}).then((response) => response.text())
  await once()
  const cpu0 = serverCpu(lab)
  const started = performance.now()
  for (let i = 0; i < calls; i++) await once()
  const wallMs = performance.now() - started
  const cpu = cpuDelta(cpu0, serverCpu(lab))
  return {
    command: `${command} (anonymous, refused)`,
    calls,
    wallMsPerCall: round(wallMs / calls, 1),
    serverCpuMsPerCall: round((Number(cpu.total) * 1000) / calls, 1),
  }
}
