import type {ChalkInstance} from 'chalk'

/** How a human listing is laid out: colours, more columns, a header, the width to fit. */
export interface View {
  style: ChalkInstance
  /** `-o wide`: every column (and for a run's report, every row). */
  wide: boolean
  /** False with --no-header: rows only (and no count or hint lines around them). */
  header: boolean
  /** The terminal's width; undefined when the output is not a terminal (nothing is cut then). */
  maxWidth?: number
}
