import {Help} from '@oclif/core'

import {reportUnknownCommand} from './unknown-command.js'

/** oclif's help, except that `help dran` says so the way an unknown command does. */
export default class XtransferHelp extends Help {
  async showHelp(argv: string[]): Promise<void> {
    const subject = argv.find((arg) => !arg.startsWith('-'))
    if (subject && !this.config.findCommand(subject) && !this.config.findTopic(subject)) {
      reportUnknownCommand(this.config, subject, argv.includes('--json'))
      return
    }
    await super.showHelp(argv)
  }
}
