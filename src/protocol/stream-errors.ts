/** RFC 6120 §4.9.3: the conditions of a stream error. */
export const STREAM_CONDITIONS = [
  'bad-format',
  'bad-namespace-prefix',
  'conflict',
  'connection-timeout',
  'host-gone',
  'host-unknown',
  'improper-addressing',
  'internal-server-error',
  'invalid-from',
  'invalid-namespace',
  'invalid-xml',
  'not-authorized',
  'not-well-formed',
  'policy-violation',
  'remote-connection-failed',
  'reset',
  'resource-constraint',
  'restricted-xml',
  'see-other-host',
  'system-shutdown',
  'undefined-condition',
  'unsupported-encoding',
  'unsupported-feature',
  'unsupported-stanza-type',
  'unsupported-version',
] as const

export type StreamCondition = (typeof STREAM_CONDITIONS)[number]

export function isStreamCondition(text: string): text is StreamCondition {
  return (STREAM_CONDITIONS as readonly string[]).includes(text)
}
