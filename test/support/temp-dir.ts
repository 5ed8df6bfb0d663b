import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * A fresh folder for one test, inside one folder per test process
 * (`$TMPDIR/xtransfer-test-<pid>-…`) that is removed when the process exits: a test run leaves
 * nothing behind in the machine's temp folder, which other runs share (a CI run used to leave
 * ~250 folders).
 */
export function testTempDir(prefix: string): string {
  return mkdtempSync(join(processRoot(), prefix))
}

let root: string | undefined

function processRoot(): string {
  if (root) return root
  const dir = mkdtempSync(join(tmpdir(), `xtransfer-test-${process.pid}-`))
  process.once('exit', () => rmSync(dir, {recursive: true, force: true}))
  root = dir
  return dir
}
