import {createPromptModule} from 'inquirer'

// Prompts talk on stderr so that stdout stays the report (or --json) alone.
const prompt = createPromptModule({output: process.stderr})

export async function askPassword(jid: string): Promise<string> {
  const {password} = await prompt<{password: string}>([{type: 'password', name: 'password', mask: '*', message: `Password for ${jid}:`}])
  return password
}

export async function confirmPlan(summary: string): Promise<boolean> {
  const {go} = await prompt<{go: boolean}>([{type: 'confirm', name: 'go', default: false, message: `${summary}\nSend the transfer packets?`}])
  return go
}
