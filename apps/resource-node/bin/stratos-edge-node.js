#!/usr/bin/env node
import { runCli } from '../dist/cli/cli.js'

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'fatal', error: String(err?.stack ?? err) })}\n`,
    )
    process.exit(1)
  },
)
