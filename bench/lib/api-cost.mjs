// What one authenticated mod_http_api call costs the server: wall time and beam CPU.
import {cpuDelta, round, serverCpu} from './lab.mjs'

/**
 * `calls` sequential calls of `command` to node 1; returns the mean wall time per
 * call and the server CPU per call (every node's beam, since a listing may touch all).
 */
export async function measureApiCost(lab, api, command, {calls = 40, args = {}} = {}) {
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
    serverCpuMsPerCall: round((cpu.total * 1000) / calls, 1),
    serverCpuMsPerCallOnNode1: round((cpu['node-1'] * 1000) / calls, 1),
    bytesPerCall: Math.round((api.usage.bytes - bytes0) / calls),
  }
}

/** The same without credentials: ejabberd answers 403 without checking a password (no PBKDF2). */
export async function measureAnonymousCost(lab, command, {calls = 40} = {}) {
  const once = () => fetch(`${lab.nodes[0].api}/${command}`, {method: 'POST', body: '{}'}).then((response) => response.text())
  await once()
  const cpu0 = serverCpu(lab)
  const started = performance.now()
  for (let i = 0; i < calls; i++) await once()
  const wallMs = performance.now() - started
  const cpu = cpuDelta(cpu0, serverCpu(lab))
  return {command: `${command} (anonymous, refused)`, calls, wallMsPerCall: round(wallMs / calls, 1), serverCpuMsPerCall: round((cpu.total * 1000) / calls, 1)}
}
