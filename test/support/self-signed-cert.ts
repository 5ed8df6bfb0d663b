// A throwaway certificate for a loopback test server: self-signed, valid one day, for
// IP:127.0.0.1, made with the machine's openssl (as the lab makes its CA).
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {testTempDir} from './temp-dir.js'

export interface SelfSignedCert {
  key: Buffer
  cert: Buffer
  /** The certificate's PEM file: what NODE_EXTRA_CA_CERTS would name to trust it. */
  certFile: string
}

export function selfSignedCert(prefix = 'xt-cert-'): SelfSignedCert {
  const dir = testTempDir(prefix)
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    {stdio: 'ignore'},
  )
  return {key: readFileSync(keyFile), cert: readFileSync(certFile), certFile}
}
