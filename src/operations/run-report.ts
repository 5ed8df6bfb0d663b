import {buildReport, reportExitCode, type TransferReport} from '../engine/report.js'
import type {RunState} from '../journal/journal-reader.js'

/** A run's report rebuilt from its journal alone: what `xtransfer report RUN` prints. */
export function reportFromJournal(state: RunState): {report: TransferReport; exitCode: number} {
  const {header} = state
  // Moved (or maybe moved) but never settled in the journal: the run ended before anyone saw where they went.
  const records = [...state.records.values()].map((record) => (state.settled.has(record.jid) ? record : {...record, outcome: 'unknown' as const}))
  const lastAt = records.reduce((latest, record) => Math.max(latest, record.sentAt + (record.latencyMs ?? 0)), header.startedAt)
  const unfinished = !state.finished
  const report = buildReport({
    command: header.command,
    source: header.source,
    targets: header.targets,
    dryRun: false,
    startedAt: header.startedAt,
    finishedAt: state.finished?.at ?? state.stopped?.at ?? lastAt,
    alreadyThere: 0,
    options: {
      namespace: header.settings.namespace,
      from: header.settings.from,
      rate: header.settings.rate,
      concurrency: header.settings.concurrency,
      waitMs: header.settings.waitMs,
      fallback: header.settings.fallback ?? 'none',
      ...(header.settings.methods ? {methods: header.settings.methods} : {}),
      ...(header.settings.cordon !== undefined ? {cordon: header.settings.cordon} : {}),
    },
    acksObservable: header.settings.from === 'admin',
    records,
    notSent: state.planned.filter((entry) => !state.records.has(entry.jid)).map((entry) => ({jid: entry.jid, from: entry.from, target: entry.target})),
    error: state.finished?.reason ?? state.stopped?.reason,
    runId: header.id,
    resumable: unfinished,
    message: [
      `run ${header.id}`,
      ...(unfinished ? [`unfinished: resume with xtransfer resume ${header.id}`] : []),
      ...(state.resumes ? [`resumed ${state.resumes} time(s)`] : []),
    ].join('; '),
  })
  return {report, exitCode: state.finished?.exitCode ?? state.stopped?.exitCode ?? reportExitCode(report)}
}
