/** Whether a person is there to answer a prompt. CI runs with no stdin. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY)
}
