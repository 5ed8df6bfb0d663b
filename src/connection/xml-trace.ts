/** SASL payloads carry the password (PLAIN) or its proofs (SCRAM): never print them. */
const SASL_PAYLOAD = /<(auth|response|challenge|success|authenticate)\b([^>]*)>[^<]*<\/\1>/g

export function redactSasl(xml: string): string {
  return xml.replace(SASL_PAYLOAD, '<$1$2>[redacted]</$1>')
}
