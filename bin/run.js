#!/usr/bin/env node
// oclif checks the Node version against its own engines with semver at every start, and
// loading semver costs ~25 ms of CPU (measured): the same check, for our engines, without it.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 10)) process.emitWarning(`xtransfer needs Node 20.10 or later (this is ${process.versions.node})`)
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
