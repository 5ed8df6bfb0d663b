import stringWidth from 'string-width'

/** One column of a listing: its title, and whether it gives up width when the terminal is narrow. */
export interface Column {
  title: string
  /** Shrinks (with an ellipsis) when the row is wider than the terminal: long free text, never a number. */
  flex?: boolean
  align?: 'left' | 'right'
}

/** A cell: its text, and how to paint it once laid out (colour must not count in the width). */
export type Cell = string | number | {text: string; paint: (text: string) => string}

export interface LayoutOptions {
  /** A header row (titles upper-cased, as kubectl and docker print them). */
  header: boolean
  /** Paints the header (bold on a colour terminal). */
  bold?: (text: string) => string
  /** The width to fit: the terminal's columns. Undefined (a pipe, a file): no truncation at all. */
  maxWidth?: number
}

/** Two spaces between columns: what kubectl does, and what `column -t` and awk read as one separator. */
const GAP = '  '

/**
 * Columns separated by spaces, with no box drawing: what a terminal shows and what a pipe
 * reads (awk, cut, grep) are the same text. Trailing spaces are trimmed. When `maxWidth`
 * is given and the rows are wider, the flexible columns shrink, widest first, to no less
 * than their title's width, and their text ends in "…".
 */
export function layoutColumns(columns: readonly Column[], rows: readonly (readonly Cell[])[], options: LayoutOptions): string {
  const texts = rows.map((row) => columns.map((_, index) => cellText(row[index])))
  const widths = columns.map((column, index) => Math.max(options.header ? stringWidth(column.title) : 0, ...texts.map((row) => stringWidth(row[index]))))
  if (options.maxWidth !== undefined) shrink(columns, widths, options.maxWidth)
  const bold = options.bold ?? ((text: string) => text)
  const line = (cells: Array<{text: string; paint?: (text: string) => string}>) =>
    cells
      .map(({text, paint}, index) => {
        const fitted = fit(text, widths[index])
        const padding = ' '.repeat(Math.max(0, widths[index] - stringWidth(fitted)))
        const shown = paint ? paint(fitted) : fitted
        return columns[index].align === 'right' ? padding + shown : shown + padding
      })
      .join(GAP)
      .trimEnd()
  const lines = rows.map((row, r) => line(columns.map((_, index) => ({text: texts[r][index], paint: painter(row[index])}))))
  if (options.header) lines.unshift(line(columns.map((column) => ({text: column.title, paint: bold}))))
  return lines.join('\n')
}

/** The width a layout takes (the longest line, colour left out). */
export function layoutWidth(text: string): number {
  return Math.max(0, ...text.split('\n').map((line) => stringWidth(line)))
}

function cellText(cell: Cell | undefined): string {
  if (cell === undefined) return ''
  return typeof cell === 'object' ? cell.text : String(cell)
}

function painter(cell: Cell | undefined): ((text: string) => string) | undefined {
  return typeof cell === 'object' ? cell.paint : undefined
}

function shrink(columns: readonly Column[], widths: number[], maxWidth: number): void {
  const total = () => widths.reduce((sum, width) => sum + width, 0) + GAP.length * (widths.length - 1)
  const floor = (index: number) => Math.max(stringWidth(columns[index].title), 8)
  for (let over = total() - maxWidth; over > 0; over = total() - maxWidth) {
    const flexible = columns.flatMap((column, index) => (column.flex && widths[index] > floor(index) ? [index] : []))
    if (flexible.length === 0) return
    const widest = flexible.reduce((a, b) => (widths[b] > widths[a] ? b : a))
    const others = flexible.filter((index) => index !== widest).map((index) => widths[index])
    // Down to the next widest flexible column (so they share the cut), or by all that is over.
    const target = Math.max(floor(widest), widths[widest] - over, ...(others.length ? [Math.min(widths[widest] - 1, Math.max(...others))] : []))
    widths[widest] = target
  }
}

/** `text` cut to `width` display columns, ending in "…" when cut. */
function fit(text: string, width: number): string {
  if (stringWidth(text) <= width) return text
  let out = ''
  for (const char of text) {
    if (stringWidth(out + char) > width - 1) break
    out += char
  }
  return `${out}…`
}

/**
 * Prose wrapped at word boundaries to `width` display columns, continuation lines indented
 * by two spaces: summary lines stay within 80 columns in a pipe or a file too.
 */
export function wrapLine(line: string, width: number): string {
  if (stringWidth(line) <= width) return line
  const lines: string[] = []
  let current = ''
  for (const word of line.split(' ')) {
    const next = current ? `${current} ${word}` : word
    if (current && stringWidth(next) > width) {
      lines.push(current)
      current = `  ${word}`
    } else current = next
  }
  lines.push(current)
  return lines.join('\n')
}
