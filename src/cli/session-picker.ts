import {
  createPrompt,
  isDownKey,
  isEnterKey,
  isUpKey,
  type KeypressEvent,
  makeTheme,
  useKeypress,
  useMemo,
  usePagination,
  usePrefix,
  useState,
} from '@inquirer/core'

import type {SessionInfo} from '../model/session.js'
import {formatUptime} from '../render/format.js'

interface PickerConfig {
  message: string
  sessions: readonly SessionInfo[]
  pageSize?: number
}

/** Rows shown at most: a filter narrows a cluster of thousands to what can be read. */
const MAX_ROWS = 200
const DONE = Symbol('done')

/**
 * A searchable multi-select: type to filter, Enter toggles the highlighted session and
 * keeps the filter, the first row ends the choice, Escape cancels (null). inquirer's
 * search prompt returns after one choice, so a loop of them lost the filter each time
 * and never showed what was picked.
 */
const sessionPicker = createPrompt<string[] | null, PickerConfig>((config, done) => {
  const theme = makeTheme({})
  const [status, setStatus] = useState<'idle' | 'done'>('idle')
  const [filter, setFilter] = useState('')
  const [picked, setPicked] = useState<readonly string[]>([])
  const [active, setActive] = useState(0)
  const prefix = usePrefix({status, theme})

  const matches = useMemo(() => {
    const text = filter.trim().toLowerCase()
    return config.sessions.filter((session) => !text || `${session.jid} ${session.node}`.toLowerCase().includes(text)).slice(0, MAX_ROWS)
  }, [filter, config.sessions])
  const rows: Array<SessionInfo | typeof DONE> = [DONE, ...matches]

  useKeypress((key: KeypressEvent & {name?: string}, rl) => {
    if (key.name === 'escape') {
      setPicked([])
      setStatus('done')
      done(null)
    } else if (isEnterKey(key)) {
      const row = rows[Math.min(active, rows.length - 1)]
      if (row === DONE) {
        setStatus('done')
        done([...picked])
        return
      }
      setPicked(picked.includes(row.jid) ? picked.filter((jid) => jid !== row.jid) : [...picked, row.jid])
      // readline empties its line on Enter: the filter stays what it was.
      rl.write(filter)
    } else if (isUpKey(key) || isDownKey(key)) {
      rl.clearLine(0)
      rl.write(filter)
      setActive(Math.max(0, Math.min(rows.length - 1, active + (isUpKey(key) ? -1 : 1))))
    } else if (rl.line !== filter) {
      setFilter(rl.line)
      setActive(1) // the first match: type a name, press Enter
    }
  })

  const message = theme.style.message(config.message, status)
  if (status === 'done') return `${prefix} ${message} ${theme.style.answer(picked.length ? `${picked.length} picked` : 'cancelled')}`

  const page = usePagination({
    items: rows,
    active: Math.min(active, rows.length - 1),
    pageSize: config.pageSize ?? 12,
    loop: false,
    renderItem: ({item, isActive}) => {
      const cursor = isActive ? '❯' : ' '
      const text =
        item === DONE
          ? picked.length
            ? `✔ done: move ${picked.length} session(s)`
            : '✖ cancel: pick none'
          : `${picked.includes(item.jid) ? '[x]' : '[ ]'} ${item.jid}  ${item.node}  ${formatUptime(item.uptimeSeconds)}`
      return isActive ? theme.style.highlight(`${cursor} ${text}`) : `${cursor} ${text}`
    },
  })
  const shown = picked.length > 3 ? `${picked.slice(0, 3).join(', ')} and ${picked.length - 3} more` : picked.join(', ')
  const lines = [
    `${prefix} ${message} ${filter}`,
    `  picked (${picked.length}): ${shown || 'none yet'}`,
    matches.length === 0 && filter ? `  no session matches "${filter}"` : '',
    page,
    theme.style.help('  type to filter • ↑↓ move • ⏎ toggle (the first row ends) • esc cancel'),
  ]
  return lines.filter(Boolean).join('\n')
})

/** The JIDs picked, or null when the operator pressed Escape. Talks on stderr, like every prompt. */
export function pickSessions(sessions: readonly SessionInfo[]): Promise<string[] | null> {
  return sessionPicker({message: 'Sessions to move', sessions}, {output: process.stderr})
}
