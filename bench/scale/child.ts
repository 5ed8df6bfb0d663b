// One step of one bench:scale scenario as a child process of main.ts (scenario.ts says why a
// process each): `plan SPEC`, `run SPEC` or `report SPEC STATE_DIR RUN_ID`, the spec as JSON; the
// result as one JSON line on stdout, progress on stderr. Started with --expose-gc (measure.ts).
import {planStep, reportStep, runStep, type ScenarioSpec} from './scenario.js'

const [step, specText, stateDir, runId] = process.argv.slice(2)
const spec = JSON.parse(specText ?? 'null') as ScenarioSpec | null
const say = (line: string) => process.stderr.write(`[scale ${spec?.name} ${spec?.sessions}] ${line}\n`)

function work(): Promise<unknown> {
  if (spec && step === 'plan') return planStep(spec, say)
  if (spec && step === 'run') return runStep(spec, say)
  if (spec && step === 'report' && stateDir && runId) return reportStep(spec, stateDir, runId, say)
  process.stderr.write('usage: node --expose-gc --import tsx bench/scale/child.ts plan|run SPEC_JSON | report SPEC_JSON STATE_DIR RUN_ID\n')
  process.exit(2)
}

work()
  .then((result) => process.stdout.write(JSON.stringify(result) + '\n'))
  .catch((error: unknown) => {
    process.stderr.write(`[scale] ${(error as Error).stack ?? String(error)}\n`)
    process.exit(1)
  })
