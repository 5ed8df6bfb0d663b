import type {createPromptModule} from 'inquirer'

import {parseServer} from '../protocol/index.js'

/**
 * inquirer on first use: loading it costs ~260 ms of CPU (measured; rxjs and its prompts),
 * which `drain --yes` and every run without a terminal never need.
 * Prompts talk on stderr so that stdout stays the report (or --json) alone.
 */
type PromptModule = ReturnType<typeof createPromptModule>
let promptModule: Promise<PromptModule> | undefined
const prompt = ((...args: Parameters<PromptModule>) => {
  promptModule ??= import('inquirer').then((inquirer) => inquirer.createPromptModule({output: process.stderr}))
  return promptModule.then((module) => module(...args))
}) as PromptModule

export async function askPassword(jid: string): Promise<string> {
  const {password} = await prompt<{password: string}>([{type: 'password', name: 'password', mask: '*', message: `Password for ${jid}:`}])
  return password
}

export async function confirmPlan(summary: string): Promise<boolean> {
  const {go} = await prompt<{go: boolean}>([{type: 'confirm', name: 'go', default: false, message: `${summary}\nSend the transfer packets?`}])
  return go
}

const OTHER = '\u0000other'

/** A configured node, or any HOST[:PORT]. */
export async function pickTarget(nodes: Array<{name: string; address: string; sessions: number}>): Promise<string> {
  const {target} = await prompt<{target: string}>([
    {
      type: 'select',
      name: 'target',
      message: 'Move them to',
      choices: [
        ...nodes.map((node) => ({name: `${node.name}  ${node.address}  (${node.sessions} sessions)`, value: node.name})),
        {name: 'other address…', value: OTHER},
      ],
    },
  ])
  if (target !== OTHER) return target
  const {address} = await prompt<{address: string}>([
    {
      type: 'input',
      name: 'address',
      message: 'Address (HOST[:PORT])',
      validate: (text: string) => {
        const parsed = parseServer(text.trim())
        return parsed.ok || parsed.reason
      },
    },
  ])
  return address.trim()
}

export async function pickNode(nodes: Array<{name: string; address: string; sessions: number}>, message: string): Promise<string> {
  const {node} = await prompt<{node: string}>([
    {
      type: 'select',
      name: 'node',
      message,
      choices: nodes.map((row) => ({name: `${row.name}  ${row.address}  (${row.sessions} sessions)`, value: row.name})),
    },
  ])
  return node
}

export async function askText(message: string, options: {default?: string; validate?: (text: string) => true | string} = {}): Promise<string> {
  const {value} = await prompt<{value: string}>([{type: 'input', name: 'value', message, default: options.default, validate: options.validate}])
  return value.trim()
}

export async function askYesNo(message: string, fallback = false): Promise<boolean> {
  const {yes} = await prompt<{yes: boolean}>([{type: 'confirm', name: 'yes', message, default: fallback}])
  return yes
}

export async function askChoice<T extends string>(message: string, choices: Array<{name: string; value: T}>): Promise<T> {
  const {value} = await prompt<{value: T}>([{type: 'select', name: 'value', message, choices}])
  return value
}
